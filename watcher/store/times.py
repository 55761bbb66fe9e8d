"""How a time is stored, stated once for both ways of reading and writing the database.

The code only ever holds aware UTC datetimes; the store refuses a naive one rather
than guess its zone. PostgreSQL stores `timestamptz`. SQLite has no time type and
stores SQLAlchemy's fixed-width UTC text, `2026-03-01 04:35:00.000000`
(`TEXT_FORMAT`, SQLite's DATETIME as SQLAlchemy writes it), which sorts and
compares correctly as text, so analysts can use it directly (docs/analysts.md).

The two tables that hold the history itself, `version_record` and `change_record`
(one row per version, one per change: most of the file), store their times on SQLite
as integer microseconds since the epoch instead (`micros`, 8 bytes in place of 26, in
the row and in every index on them; migration 0013). Analysts never see those
integers: the views `observation_version` and `change` show the same columns as text
in `TEXT_FORMAT` (`TEXT_OF_MICROS`), so documented SQL compares them with text as
before. SQL of our own that compares such a column with a time binds it as
`Compact`, which becomes the integer on SQLite and the time itself on PostgreSQL.

SQLAlchemy's column type (`watcher.store.types.UTCDateTime`) and the query commands'
SQL text on the standard library's sqlite3 (`watcher.store.sql`, `watcher.store.values`)
both convert through this module, which imports no SQLAlchemy: the query commands
start without it (issue 13), and the two paths cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

TEXT_FORMAT: Final = "%Y-%m-%d %H:%M:%S.%f"
EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND: Final = dt.timedelta(microseconds=1)
# SQLite: `{micros}`, a compact column, as `TEXT_FORMAT` text (NULL stays NULL); what the
# views `observation_version` and `change` show, so it must agree with `sqlite_text`.
# SQLite's / and % truncate toward zero: the fraction is taken modulo a second first,
# so that a time before 1970 reads as the whole second before it plus a fraction.
_FRACTION: Final = "((({micros}) % 1000000 + 1000000) % 1000000)"
TEXT_OF_MICROS: Final = (f"strftime('%Y-%m-%d %H:%M:%S', (({{micros}}) - {_FRACTION}) / 1000000, 'unixepoch')"
                         f" || printf('.%06d', {_FRACTION})")


def utc(value: dt.datetime) -> dt.datetime:
    """`value` in UTC; a naive time is refused rather than guessed at."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: the store only takes timezone-aware UTC times")
    return value.astimezone(dt.UTC)


def sqlite_text(value: dt.datetime) -> str:
    """The time as SQLite stores it."""
    return utc(value).strftime(TEXT_FORMAT)


def micros(value: dt.datetime) -> int:
    """The time as SQLite stores it in a compact column: microseconds since the epoch."""
    return (utc(value) - EPOCH) // _MICROSECOND


@dataclass(frozen=True)
class Compact:
    """A time bound in SQL text against a compact column (see the module's docstring)."""

    at: dt.datetime


def read(value: str | int | dt.datetime) -> dt.datetime:
    """An aware UTC datetime from SQLite's stored text (a table's or a view's), a compact
    column's microseconds, or the driver's datetime (PostgreSQL's, or one SQLAlchemy
    parsed, naive on SQLite)."""
    if isinstance(value, int):
        return EPOCH + dt.timedelta(microseconds=value)
    at = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
