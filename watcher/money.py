"""Prices as exact decimals in our units, with float noise rounded away.

Catalogs publish per-token prices as binary floats (`2.5e-06`,
`0.0002833333333333333`) or strings; we keep USD per 1M tokens (or per second,
image, request) as `Decimal`, rounded to `SIGNIFICANT_DIGITS` so that two
renderings of the same price compare equal.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from typing import Final

SIGNIFICANT_DIGITS: Final = 10
_CONTEXT: Final = Context(prec=SIGNIFICANT_DIGITS, rounding=ROUND_HALF_EVEN)
MILLION: Final = Decimal(1_000_000)


def to_decimal(value: object, scale: Decimal | int = 1) -> Decimal | None:
    """`value` (number or numeric text) times `scale`, normalised; None when not a number.

    Floats go through `repr` (the shortest round-tripping text), never through
    binary arithmetic, so `2.5e-06 * 1M` is exactly `2.5`.
    """
    if value is None or isinstance(value, bool):
        return None
    text = repr(value) if isinstance(value, float) else str(value).strip().replace(",", "")
    if text.startswith("$"):
        text = text[1:]
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return normalise(number * Decimal(scale))


def normalise(number: Decimal) -> Decimal:
    """Round to the significant digits we compare on and drop trailing zeros."""
    if number == 0:
        return Decimal(0)
    rounded = _CONTEXT.plus(number).normalize(_CONTEXT)
    # normalize() may produce exponent form (1E+1); keep plain digits for storage.
    return rounded.quantize(Decimal(1)) if rounded == rounded.to_integral() else rounded


def format_price(number: Decimal) -> str:
    """Plain decimal text (never exponent form), as stored and shown."""
    return format(number, "f")


def per_million(value: object) -> Decimal | None:
    """A per-token price (float or text) as USD per 1M tokens."""
    return to_decimal(value, MILLION)
