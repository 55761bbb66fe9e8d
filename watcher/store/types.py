"""Column types shared by the tables."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from watcher.store import times


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend, stored as
    `watcher.store.times` says: `timestamptz` on PostgreSQL, fixed-width UTC text on
    SQLite, or there integer microseconds where `compact` (the history's own tables)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def __init__(self, compact: bool = False) -> None:
        super().__init__()
        self.compact = compact

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if self.compact and dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | int | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if dialect.name != "sqlite":
            return times.utc(value)
        if self.compact:
            return times.micros(value)
        # SQLAlchemy's SQLite DATETIME writes the naive time as `times.TEXT_FORMAT`.
        return times.utc(value).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        # Raw SQLite text (e.g. from a view) or the driver's datetime.
        return None if value is None else times.read(value)


class JSONText(TypeDecorator[str]):
    """Text holding JSON (`prices`): stored as text on both backends, read as the
    value it encodes by the listings (see `watcher.store.values`)."""

    impl = String
    cache_ok = True
