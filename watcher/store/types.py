"""Column types shared by the tables."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from watcher.store import times


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend, stored as
    `watcher.store.times` says: `timestamptz` on PostgreSQL, fixed-width UTC text on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        utc = times.utc(value)
        # SQLAlchemy's SQLite DATETIME writes the naive time as `times.TEXT_FORMAT`.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        # Raw SQLite text (e.g. from a view) or the driver's datetime.
        return None if value is None else times.read(value)


class JSONText(TypeDecorator[str]):
    """Text holding JSON (`prices`): stored as text on both backends, read as the
    value it encodes by the listings (see `watcher.store.values`)."""

    impl = String
    cache_ok = True
