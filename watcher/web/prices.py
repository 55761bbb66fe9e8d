"""Prices in the units people read: "$2.50 / 1M input tokens", "$0.10 / second of video at 720p".

The store keeps a price under its key (`component/unit/tier[/variant]`) as an
exact decimal string; this turns one into a sentence fragment. Keys this module
does not recognise (a unit a catalog invented) still read sensibly: the unit's
own name is shown rather than dropping the price.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Final

_UNIT_TEXT: Final = {
    "per_1m_tokens": "1M {component} tokens",
    "per_second": "second of {component}",
    "per_image": "{component} image",
    "per_request": "request",
}


def dollars(value: str) -> str:
    """`0.1` -> `$0.10`, `2.5` -> `$2.50`, `0.0000125` -> `$0.0000125`: cents always shown,
    and never a digit of the stated price lost."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError):
        return value
    text = format(amount.normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"${whole}.{fraction.ljust(2, '0')}"


def human_price(key: str, value: str) -> str:
    parts = key.split("/", 3)
    if len(parts) < 3:
        return f"{dollars(value)} ({key})"
    component, unit, tier = (part.replace("_", " ") for part in parts[:3])
    variant = parts[3] if len(parts) == 4 else ""
    template = _UNIT_TEXT.get(parts[1])
    per = template.format(component=component) if template else f"{unit.removeprefix('per ')} ({component})"
    text = f"{dollars(value)} / {per}"
    if variant:
        text += f" at {variant}"
    if tier != "standard":
        text += f", {tier}"
    return text
