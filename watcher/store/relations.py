"""The tables and analyst views as light SQLAlchemy Core relations, for the read side.

Query commands must answer in well under half a second, and importing SQLModel
(with pydantic) costs about a tenth of that on its own; reading through these
`table()` clauses needs only SQLAlchemy Core. They carry the column types that
matter when reading (UTC datetimes, dates, booleans), so SQLite's text comes
back as the same Python values PostgreSQL gives. The columns and their kinds are
`watcher.store.layout`'s. `tests/test_analyst_views.py` checks them against the
SQLModel tables and the views the migrations create. The history's two tables are the tables their rows
are stored in (`layout.STORED_AS`), under the names analysts know them by.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Boolean, Date, Integer, LargeBinary, Numeric, String
from sqlalchemy.sql.expression import TableClause, column, table

from watcher.store import layout
from watcher.store.types import JSONText, UTCDateTime

_TYPES: Final[dict[layout.Kind, Any]] = {
    "text": String, "int": Integer, "time": UTCDateTime, "date": Date, "bool": Boolean, "json": JSONText,
    "number": Numeric, "bytes": LargeBinary,
}


def _t(name: str, columns: tuple[tuple[str, layout.Kind], ...]) -> TableClause:
    """The relation analysts call `name`; for the history's tables, the table it is stored in."""
    stored = layout.STORED_AS.get(name)
    return table(stored or name, *(column(each, UTCDateTime(compact=True) if stored and kind == "time"
                                          else _TYPES[kind]) for each, kind in columns))


TABLES: Final[dict[str, TableClause]] = {name: _t(name, columns) for name, columns in layout.TABLES.items()}
VIEWS: Final[dict[str, TableClause]] = {name: _t(name, columns) for name, columns in layout.VIEWS.items()}
RELATIONS: Final[dict[str, TableClause]] = {**TABLES, **VIEWS}

RUN: Final = TABLES["run"]
DOCUMENT: Final = TABLES["document"]
OBSERVATION_VERSION: Final = TABLES["observation_version"]
PRICE_SET: Final = TABLES["price_set"]
CHANGE: Final = TABLES["change"]
ABSENCE: Final = TABLES["absence"]
DELIVERY: Final = TABLES["delivery"]
SILENCE: Final = TABLES["silence"]
REMINDER_SENT: Final = TABLES["reminder_sent"]
LEASE: Final = TABLES["lease"]
CURRENT_MODELS: Final = VIEWS["current_models"]
PRICE_HISTORY: Final = VIEWS["price_history"]
LIFECYCLE_HISTORY: Final = VIEWS["lifecycle_history"]
UPCOMING_SHUTDOWNS: Final = VIEWS["upcoming_shutdowns"]
SOURCE_HEALTH: Final = VIEWS["source_health"]
