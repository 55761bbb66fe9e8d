"""Database values as plain values for listings: ISO 8601 UTC times, ISO dates, text.

Listings can be tens of thousands of rows (`asof` over a whole catalog, an
export), so the conversion is planned once per query: only the columns that
need it are touched, and SQLite's stored time text ('2026-03-01 04:35:00.000000',
UTC) is reshaped as text instead of parsed into a datetime and printed again.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from watcher.store import times
from watcher.store.layout import Kind

if TYPE_CHECKING:
    # SQLAlchemy only for the Core listings: the query commands' SQL text on SQLite
    # (`watcher.store.sql`) converts by kind and never imports it.
    from sqlalchemy.sql.expression import ColumnClause, ColumnElement

Convert = Callable[[Any], Any]


TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def iso_time(value: dt.datetime) -> str:
    """`2026-03-24T10:00:00Z`: UTC, whole seconds, always this one form.

    Every time the watcher prints or exports has exactly this shape, so that
    pandas, DuckDB and spreadsheets read a column as timestamps, never as a mix
    of `…00Z` and `…00.282042Z` left as text. Sub-second digits of a poll's
    clock say nothing to an analyst; the database keeps them."""
    return value.astimezone(dt.UTC).strftime(TIME_FORMAT)


def _time(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite: `watcher.store.times.TEXT_FORMAT`, already UTC
        return f"{value[:10]}T{value[11:19]}Z"
    if isinstance(value, int):  # SQLite: a compact column's microseconds
        return _iso_second(value // 1_000_000)
    return iso_time(value)


@functools.lru_cache(maxsize=1024)
def _iso_second(seconds: int) -> str:
    """`iso_time` of a second since the epoch. A listing's rows share few times (a poll
    writes all its versions and changes at one), and a year's asof lists 34,000 rows;
    1,024 of them held are under 0.2 MB in a daemon that serves pages for months."""
    return time.strftime(TIME_FORMAT, time.gmtime(seconds))


def _json(value: Any) -> Any:
    """JSON text as the value it encodes (`prices`: an object in every listing)."""
    return json.loads(value) if isinstance(value, str) else value


def _number(value: Any) -> float | None:
    """A numeric column (PostgreSQL: Decimal, SQLite: float) as a JSON number."""
    return None if value is None else float(Decimal(str(value)))


def _date(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(value.isoformat())


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def plain(value: Any) -> Any:
    """One value of any type, for callers outside a planned query."""
    if isinstance(value, dt.datetime):
        return iso_time(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    return value


# How a value of each kind (`watcher.store.layout`) is shown; kinds not named are as read.
CONVERTERS: Final[dict[Kind, Convert]] = {"time": _time, "json": _json, "number": _number, "date": _date,
                                          "bool": _bool}


def raw(column: ColumnClause[Any]) -> ColumnElement[Any]:
    """The column as the driver returns it (no type processing); pair with `converter`."""
    from sqlalchemy import Boolean, Date, String, type_coerce

    from watcher.store.types import JSONText, UTCDateTime

    if isinstance(column.type, (UTCDateTime, Date, Boolean, JSONText)):
        return type_coerce(column, String()).label(column.name)
    return column


def converter(column: ColumnClause[Any]) -> Convert | None:
    from sqlalchemy import Boolean, Date, Numeric

    from watcher.store.types import JSONText, UTCDateTime

    if isinstance(column.type, UTCDateTime):
        return _time
    if isinstance(column.type, JSONText):
        return _json
    if isinstance(column.type, Numeric):
        return _number
    if isinstance(column.type, Date):
        return _date
    if isinstance(column.type, Boolean):
        return _bool
    return None


def plain_rows(rows: Iterable[Sequence[Any]], columns: Sequence[ColumnClause[Any]]) -> Iterator[dict[str, Any]]:
    """Rows selected as `raw(column)` for each of `columns`, as dicts of plain values."""
    steps = [(index, convert) for index, c in enumerate(columns) if (convert := converter(c)) is not None]
    return _plain([c.name for c in columns], steps, rows)


def plain_rows_of(rows: Iterable[Sequence[Any]], columns: Sequence[tuple[str, Kind]]) -> Iterator[dict[str, Any]]:
    """Rows as the driver returns them, one value per (name, kind) of `columns`, as dicts of plain values."""
    steps = [(index, CONVERTERS[kind]) for index, (_, kind) in enumerate(columns) if kind in CONVERTERS]
    return _plain([name for name, _ in columns], steps, rows)


def _plain(names: list[str], steps: list[tuple[int, Convert]],
           rows: Iterable[Sequence[Any]]) -> Iterator[dict[str, Any]]:
    for row in rows:
        values = list(row)
        for index, convert in steps:
            values[index] = convert(values[index])
        yield dict(zip(names, values))


# --- typed: the values the domain reads (`watcher.store.catalog`), as the Core types give them ---


def aware_time(value: Any) -> dt.datetime | None:
    """An aware UTC datetime from SQLite's stored text or the driver's datetime."""
    return None if value is None else times.read(value)


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


TYPED: Final[dict[Kind, Convert]] = {"time": aware_time, "date": _day, "bool": _bool}


def typed_rows_of(rows: Iterable[Sequence[Any]], columns: Sequence[tuple[str, Kind]]) -> Iterator[dict[str, Any]]:
    """Rows as the driver returns them, one value per (name, kind) of `columns`, as dicts of
    the values SQLAlchemy's column types would give: aware datetimes, dates, flags."""
    steps = [(index, TYPED[kind]) for index, (_, kind) in enumerate(columns) if kind in TYPED]
    return _plain([name for name, _ in columns], steps, rows)
