"""Where a source stands: ok, refused, failing or new, and since when.

One definition, read as SQL text (`watcher.store.sql`) so that query commands, the
daemon's readiness and metrics can all ask it without the ORM; `polls.source_state`
is the same answer inside a poll's session.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

from watcher.store.outcomes import SUCCESS_OUTCOMES
from watcher.store.sql import Readable, listed, rows
from watcher.store.values import aware_time


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


def source_state(connection: Readable, source: str) -> SourceState:
    last_ok = _run(connection, source, "ok", newest=True)
    refused = _run(connection, source, "refused", newest=True, after=last_ok)
    if refused is not None:
        first = _run(connection, source, "refused", newest=False, after=last_ok)
        return SourceState("refused", _aware(first[2]) if first else None, refused[3])
    failed = _run(connection, source, "failed", newest=False, after=last_ok)
    if failed is not None:
        latest = _run(connection, source, "failed", newest=True, after=last_ok)
        return SourceState("failing", _aware(failed[2]), latest[3] if latest else None)
    if last_ok is None:
        return SourceState("new", None)
    return SourceState("ok", _aware(last_ok[2]))


def _run(connection: Readable, source: str, outcome: str, *, newest: bool,
         after: Sequence[Any] | None = None) -> Sequence[Any] | None:
    """The source's newest (or oldest) run with this outcome (`ok`: any success), after
    the run `after` when given: (id, started_at, observed_at, error)."""
    values = {"source": source, "outcome": outcome,
              **({"after_started": after[1], "after_id": after[0]} if after else {})}
    return next(rows(connection, _statement(outcome == "ok", newest, after is not None), values), None)


@functools.cache
def _statement(ok: bool, newest: bool, bounded: bool) -> str:
    """Built once, bound per call: the readiness probe, the metrics and the sources page ask
    this for every source."""
    condition = f"outcome IN {listed(SUCCESS_OUTCOMES)}" if ok else "outcome = :outcome"
    sql = f"SELECT id, started_at, observed_at, error FROM run WHERE source = :source AND {condition}"
    if bounded:
        # Runs after a run, in the order runs are read everywhere (start time, then id).
        # The plain `started_at >=` bound is what lets the planner seek the (source,
        # started_at) index instead of walking every run of the source (3 ms -> 0.01 ms
        # on a year of runs). `after_started` is bound as read, so it compares alike.
        sql += " AND started_at >= :after_started AND (started_at > :after_started OR id > :after_id)"
    order = "started_at DESC, id DESC" if newest else "started_at, id"
    return f"{sql} ORDER BY {order} LIMIT 1"


def _aware(value: dt.datetime | str) -> dt.datetime:
    at = aware_time(value)
    assert at is not None
    return at
