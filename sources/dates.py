"""Dates as lifecycle pages write them, with their precision kept.

`2026-07-23`, `2026‑03‑26` (U+2011), `2025/06/16`, `Aug 10, 2026`, `July 23, 2026`, `23 July
2026`, `June 2026`; and the hedges around them, kept as the date's qualifier
(`Observation.shutdown_qualifier`):

- "earliest": `at earliest 2024-06-13`, `Earliest June 15, 2026`, `May 7, 2027 or
  later`, `No sooner than May 20, 2028`, `No earlier than 2027-04-01` (the date is
  the first day it may happen; a catalog saying later agrees);
- "month": `June 2026`; "earliest-month": `Earliest June 2026`;
- "tentative": `2026-10-14 (tentative)`, or any date in a column its page calls
  tentative (`tentative=True`).

`No shutdown date announced`, `No retirement date announced`, `—`, `N/A` and an
empty cell say there is no date: `is_no_date` tells them from unreadable text.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from sources.blocks import plain

_MONTHS: Final = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                  "october", "november", "december")
_EARLIEST: Final = re.compile(
    r"^(?:at\s+(?:the\s+)?)?earliest\s*:?\s*|^no\s+(?:sooner|earlier)\s+than\s+|^not\s+(?:before|sooner\s+than)\s+"
    r"|\s*\(?at\s+the\s+earliest\)?$|\s*,?\s*or\s+later$"
)
_TENTATIVE: Final = re.compile(r"\s*\(?\btentative(?:ly)?\b\)?:?\s*")
_ISO: Final = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")  # 2026-07-23, Mistral's 2025/06/16
_MONTH_DAY_YEAR: Final = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_DAY_MONTH_YEAR: Final = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})")
_MONTH_YEAR: Final = re.compile(r"([a-z]+)\.?,?\s+(\d{4})")
_NO_DATE: Final = re.compile(
    r"(?:no\s+(?:\w+\s+)?date(?:\s+\w+)?(?:\s+announced|\s+yet)?|not\s+(?:yet\s+)?(?:announced|scheduled|set)|"
    r"tbd|tba|n/?a|none|-+|\u2014|\u2013)?\.?"
)


def _month(word: str) -> int | None:
    if len(word) < 3:
        return None
    for number, name in enumerate(_MONTHS, start=1):
        if name.startswith(word) or (word == "sept" and number == 9):
            return number
    return None


def _date(year: str, month: int | None, day: str) -> dt.date | None:
    if month is None:
        return None
    try:
        return dt.date(int(year), month, int(day))
    except ValueError:
        return None


def _normal(text: str) -> str:
    return plain(text).translate({0x2013: "-"}).lower().rstrip("*").strip()


def is_no_date(text: str) -> bool:
    """Does the cell say there is no date (rather than a date we cannot read)?"""
    return _NO_DATE.fullmatch(_normal(text).replace("\u2014", "-")) is not None


def parse_date(text: str, *, tentative: bool = False) -> tuple[dt.date | None, str | None]:
    """(date, qualifier) of a date cell; (None, None) when it states no readable date.

    The qualifier is None, "earliest", "month", "earliest-month" or "tentative";
    `tentative` marks an exact date from a column the page calls tentative.
    """
    text = _normal(text)
    earliest = bool(_EARLIEST.search(text))
    text = _EARLIEST.sub("", text).strip()
    if _TENTATIVE.search(text):
        tentative = True
        text = _TENTATIVE.sub(" ", text).strip()
    found: dt.date | None = None
    month_only = False
    if m := _ISO.fullmatch(text):
        found = _date(m[1], int(m[2]), m[3])
    elif m := _MONTH_DAY_YEAR.fullmatch(text):
        found = _date(m[3], _month(m[1]), m[2])
    elif m := _DAY_MONTH_YEAR.fullmatch(text):
        found = _date(m[3], _month(m[2]), m[1])
    elif m := _MONTH_YEAR.fullmatch(text):
        found, month_only = _date(m[2], _month(m[1]), "1"), True
    if found is None:
        return None, None
    if earliest:
        return found, "earliest-month" if month_only else "earliest"
    if month_only:
        return found, "month"
    return found, "tentative" if tentative else None


_HEADING_DATE: Final = re.compile(
    r"(?P<date>[^:]{6,30}?)\s*:\s*(?P<title>.+)"  # 2026-06-11: title, July 23, 2026: title
    r"|(?P<iso>\d{4}-\d{2}-\d{2})\s*[-\u2013\u2014]?\s*(?P<rest>.+)"  # 2026-06-11 - title
)


def split_heading(text: str) -> tuple[dt.date | None, str]:
    """(announcement date, title without the date) for `2026-06-11: GPT-5 and o3 …`."""
    text = plain(text)
    m = _HEADING_DATE.fullmatch(text)
    if m:
        date_text, title = (m["date"], m["title"]) if m["date"] else (m["iso"], m["rest"])
        found, qualifier = parse_date(date_text)
        if found is not None and qualifier is None:
            return found, title.strip()
    return None, text
