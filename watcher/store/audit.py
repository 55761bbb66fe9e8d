"""What `watcher audit` reads: every source's current rows, and how fresh they are.

Read through Core on the read-only path (`reading_engine`), like the other
query commands: an audit never writes, and runs the same against the local
SQLite file or a team's shared PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, func, select

from watcher.model import SourceRow as Row
from watcher.store.codec import from_row
from watcher.store.derived import resolved
from watcher.store.outcomes import SUCCESS_OUTCOMES
from watcher.store.relations import OBSERVATION_VERSION, RUN

_V = OBSERVATION_VERSION.c

__all__ = ["SUCCESS_OUTCOMES", "current_rows", "data_as_of"]


def current_rows(connection: Connection) -> list[Row]:
    """Every source's current statement about every row (models and products alike)."""
    query = select(*resolved(_V)).where(_V.valid_to.is_(None)).order_by(_V.source, _V.key)
    return [Row(row.source, from_row(row)) for row in connection.execute(query)]


def data_as_of(connection: Connection) -> dt.datetime | None:
    """The newest time any source was read successfully: what the audit's facts are as of."""
    query = select(func.max(RUN.c.observed_at)).where(RUN.c.outcome.in_(SUCCESS_OUTCOMES))
    value: dt.datetime | None = connection.execute(query).scalar()
    return value
