"""Where a source stands: ok, refused, failing or new, and since when.

One definition, read through Core (a `Connection`) so that query commands, the
daemon's readiness and metrics can all ask it without the ORM; `polls.source_state`
is the same answer inside a poll's session.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import Connection, Row, and_, or_, select

from watcher.store.outcomes import SUCCESS_OUTCOMES
from watcher.store.relations import RUN


@dataclasses.dataclass(frozen=True, slots=True)
class SourceState:
    """`state`: `ok` (its latest run with a body was believed), `refused` (the guard or
    the parser refuses what it serves since its last success: history is frozen until
    the upstream recovers, the parser is fixed, or a person runs `watcher accept`),
    `failing` (fetches fail since its last success), `new` (never polled successfully).
    `since`: when that began: the first refused (or failed) run after the last success;
    the last success for `ok`. `reason`: the latest refusal's or failure's error."""

    state: str
    since: dt.datetime | None
    reason: str | None = None


def source_state(connection: Connection, source: str) -> SourceState:
    last_ok = _run(connection, source, RUN.c.outcome.in_(SUCCESS_OUTCOMES), newest=True)
    after = _after(last_ok)
    refused = _run(connection, source, and_(RUN.c.outcome == "refused", after), newest=True)
    if refused is not None:
        first = _run(connection, source, and_(RUN.c.outcome == "refused", after), newest=False)
        return SourceState("refused", _aware(first.observed_at) if first else None, refused.error)
    failed = _run(connection, source, and_(RUN.c.outcome == "failed", after), newest=False)
    if failed is not None:
        latest = _run(connection, source, and_(RUN.c.outcome == "failed", after), newest=True)
        return SourceState("failing", _aware(failed.observed_at), latest.error if latest else None)
    if last_ok is None:
        return SourceState("new", None)
    return SourceState("ok", _aware(last_ok.observed_at))


def _run(connection: Connection, source: str, condition: Any, *, newest: bool) -> Row[Any, Any, Any, Any] | None:
    order = (RUN.c.started_at.desc(), RUN.c.id.desc()) if newest else (RUN.c.started_at, RUN.c.id)
    query = select(RUN.c.id, RUN.c.started_at, RUN.c.observed_at, RUN.c.error).where(
        RUN.c.source == source, condition)
    return connection.execute(query.order_by(*order).limit(1)).first()


def _after(run: Row[Any, Any, Any, Any] | None) -> Any:
    """Runs after `run`, in the order runs are read everywhere (start time, then id)."""
    if run is None:
        return RUN.c.id.is_not(None)
    # The plain `started_at >=` bound is what lets the planner seek the (source, started_at)
    # index instead of walking every run of the source (3 ms -> 0.01 ms on a year of runs).
    return and_(RUN.c.started_at >= run.started_at,
                or_(RUN.c.started_at > run.started_at, RUN.c.id > run.id))


def _aware(value: dt.datetime | str) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
