"""Durations and times as operators write them: `90s`, `30m`, `1h`, `7d`, `1d12h`, ISO times."""

from __future__ import annotations

import datetime as dt
import re

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)")
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def format_duration(delta: dt.timedelta) -> str:
    """The inverse of `parse_duration`, in the largest exact unit: `1h`, `90s`, `7d`, `1.5s`."""
    seconds = delta.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def parse_duration(text: str) -> dt.timedelta:
    """`1h`, `30m`, `1d12h`, `90` (seconds); raises ValueError with the text."""
    cleaned = text.strip().lower().replace(" ", "")
    if cleaned.isdigit():
        return dt.timedelta(seconds=int(cleaned))
    pos, seconds = 0, 0.0
    for match in _PART.finditer(cleaned):
        if match.start() != pos:
            break
        seconds += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(cleaned) or not cleaned:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 30m, 1h, 7d)")
    return dt.timedelta(seconds=seconds)


def parse_time(text: str, *, now: dt.datetime | None = None) -> dt.datetime:
    """An ISO date or time (UTC unless it says otherwise), or a duration ago (`7d`)."""
    cleaned = text.strip()
    try:
        parsed = dt.datetime.fromisoformat(cleaned.replace("Z", "+00:00"))
    except ValueError:
        try:
            ago = parse_duration(cleaned)
        except ValueError:
            raise ValueError(
                f"not a time: {text!r} (use 2026-03-24, 2026-03-24T10:00:00Z or 7d for 7 days ago)"
            ) from None
        return (now or dt.datetime.now(dt.UTC)) - ago
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)
