"""What the JSON catalog parsers (OpenRouter, LiteLLM, models.dev) share.

Loading refuses what is not a catalog (an HTML error page served with 200, a
truncated body) with a `ParseError`, so the guard sees a failure instead of a
catalog that suddenly lists nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from watcher.model import Document, ParseError

# Far-future placeholders ("2098-12-31") mean "no date", not a shutdown.
NO_DATE_FROM_YEAR = 2090


def load_json(doc: Document) -> Any:
    """The decoded JSON body; ParseError for an empty, HTML or malformed body."""
    head = doc.body[:512].lstrip().lower()
    if not head:
        raise ParseError("empty body")
    if head.startswith((b"<", b"\xef\xbb\xbf<")) or "html" in doc.content_type.lower():
        raise ParseError(f"HTML where a JSON catalog was expected ({doc.content_type or 'no content type'})")
    try:
        return json.loads(doc.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"not JSON: {exc}") from None


def expect_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParseError(f"{what}: expected an object, got {type(value).__name__}")
    return value


def iso_date(value: Any) -> dt.date | None:
    """`YYYY-MM-DD` (or an ISO timestamp) as a date; None for absent, unreadable or placeholder dates."""
    if not isinstance(value, str):
        return None
    try:
        day = dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None
    return None if day.year >= NO_DATE_FROM_YEAR else day


def context_band(tokens: Any) -> str | None:
    """A context-length threshold as a price variant: 200000 → `>200k`."""
    if isinstance(tokens, bool) or not isinstance(tokens, (int, float, str)):
        return None
    try:
        number = int(float(tokens))
    except ValueError:
        return None
    if number <= 0:
        return None
    return f">{number // 1000}k" if number % 1000 == 0 else f">{number}"
