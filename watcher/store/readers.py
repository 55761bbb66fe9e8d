"""The read facade: one function per question the page, the feeds and the JSON API ask.

Each takes an engine (the fast read-only one), opens and closes its own
connection, and returns plain dicts in the shapes `watcher … --format json`
prints, so every surface shows the same facts the same way. Nothing here
writes, and nothing here knows about HTTP or HTML.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, func, select, tuple_

from watcher.store.queries_changes import ChangeFilter, changes
from watcher.store.queries_versions import asof, history
from watcher.store.relations import CHANGE
from watcher.store.values import iso_time


@dataclasses.dataclass(frozen=True, slots=True)
class ChangePage:
    rows: list[dict[str, Any]]
    offset: int
    limit: int
    more: bool  # another page follows


def recent_changes(engine: Engine, flt: ChangeFilter, *, offset: int = 0, limit: int = 50) -> ChangePage:
    """One page of matching changes, newest first."""
    page = dataclasses.replace(flt, newest_first=True, offset=offset, limit=limit + 1)
    with engine.connect() as connection:
        rows = list(changes(connection, page))
    return ChangePage(rows[:limit], offset, limit, len(rows) > limit)


def model_history(engine: Engine, model: str) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return history(connection, model)


def catalog_asof(engine: Engine, at: dt.datetime, *, sources: Sequence[str] = (),
                 model: str | None = None) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return list(asof(connection, at, sources=sources, model=model))


def source_health(engine: Engine, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per source: last run and outcome, last success, consecutive failures, rows, the
    last error or refusal reason."""
    from watcher.store.queries_sources import source_summaries

    with engine.connect() as connection:
        return source_summaries(connection, names)


def shutdown_revisions(engine: Engine, rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], tuple[int, str]]:
    """Per (source, key): how many times its shutdown date changed, and when it last did
    (a calendar's SEQUENCE and LAST-MODIFIED for the event)."""
    pairs = sorted({(row["source"], row["key"]) for row in rows})
    if not pairs:
        return {}
    c = CHANGE.c
    query = (select(c.source, c.key, func.count(), func.max(c.detected_at))
             .where(c.kind == "shutdown_date", tuple_(c.source, c.key).in_(pairs))
             .group_by(c.source, c.key))
    with engine.connect() as connection:
        return {(source, key): (int(count), iso_time(_aware(last)))
                for source, key, count, last in connection.execute(query)}


def _aware(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    when: dt.datetime = value
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
