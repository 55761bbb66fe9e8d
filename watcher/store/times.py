"""How a time is stored, stated once for both ways of reading and writing the database.

The code only ever holds aware UTC datetimes; the store refuses a naive one rather
than guess its zone. PostgreSQL stores `timestamptz`. SQLite has no time type and
stores SQLAlchemy's fixed-width UTC text, `2026-03-01 04:35:00.000000`
(`TEXT_FORMAT`, SQLite's DATETIME as SQLAlchemy writes it), which sorts and
compares correctly as text, so analysts can use it directly (docs/analysts.md).

SQLAlchemy's column type (`watcher.store.types.UTCDateTime`) and the query commands'
SQL text on the standard library's sqlite3 (`watcher.store.sql`, `watcher.store.values`)
both convert through this module, which imports no SQLAlchemy: the query commands
start without it (issue 13), and the two paths cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

TEXT_FORMAT: Final = "%Y-%m-%d %H:%M:%S.%f"


def utc(value: dt.datetime) -> dt.datetime:
    """`value` in UTC; a naive time is refused rather than guessed at."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: the store only takes timezone-aware UTC times")
    return value.astimezone(dt.UTC)


def sqlite_text(value: dt.datetime) -> str:
    """The time as SQLite stores it."""
    return utc(value).strftime(TEXT_FORMAT)


def read(value: str | dt.datetime) -> dt.datetime:
    """An aware UTC datetime from SQLite's stored text (a table's or a view's) or the
    driver's datetime (PostgreSQL's, or one SQLAlchemy parsed, naive on SQLite)."""
    at = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
