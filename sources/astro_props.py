"""Decoding the `props` attribute of an Astro `<astro-island>`.

Astro serialises island props as JSON in which every value is a tagged pair
`[type, payload]`: 0 a plain value (objects are recursed into), 1 an array of
tagged values, 2 RegExp, 3 Date, 4 Map, 5 Set, 6 BigInt, 7 URL, 8–10 typed
arrays, 11 ±Infinity. This mirrors the reviver in Astro's client runtime, so what
we read is exactly what the component received. The attribute arrives already
HTML-unescaped from the HTML parser; numbers are kept as `Decimal`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Final


class AstroPropsError(ValueError):
    """The attribute is not Astro-serialised props."""


_ARRAY_TYPES: Final = frozenset({1, 5, 8, 9, 10})
_TEXT_TYPES: Final = frozenset({2, 3, 7})


def decode_props(text: str) -> dict[str, Any]:
    """The props object: `{"tier": [0, "standard"]}` -> `{"tier": "standard"}`."""
    try:
        raw = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise AstroPropsError(f"props are not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise AstroPropsError(f"props are a {type(raw).__name__}, not an object")
    return _object(raw)


def revive(tagged: Any) -> Any:
    """One tagged value `[type, payload]`; `[0]` alone is `undefined` (None here)."""
    if not isinstance(tagged, list) or not 1 <= len(tagged) <= 2 or not isinstance(tagged[0], int):
        raise AstroPropsError(f"not a tagged value: {tagged!r:.60}")
    kind = tagged[0]
    if len(tagged) == 1:
        return None
    payload = tagged[1]
    if kind == 0:
        return _object(payload) if isinstance(payload, dict) else payload
    if kind in _ARRAY_TYPES:
        return _array(payload)
    if kind == 4:
        return dict(tuple(pair) for pair in _array(payload))
    if kind in _TEXT_TYPES:
        return str(payload)
    if kind == 6:
        return int(payload)
    if kind == 11:
        return float("inf") * int(payload)
    raise AstroPropsError(f"unknown Astro prop type {kind}")


def _array(payload: Any) -> list[Any]:
    if not isinstance(payload, list):
        raise AstroPropsError(f"array payload is a {type(payload).__name__}")
    return [revive(item) for item in payload]


def _object(payload: dict[str, Any]) -> dict[str, Any]:
    return {key: revive(value) for key, value in payload.items()}
