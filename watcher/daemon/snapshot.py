"""What the daemon reads back from the database: for scheduling, /healthz and metrics.

One read transaction gathers it all, in a worker thread, every few seconds;
scrapes and health checks then answer from memory and never wait on the
database. Replicas that do not lead learn the leader's progress this way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Engine
from sqlmodel import Session

from watcher.alerts.outbox import counts, dead_by_channel
from watcher.matching import watched
from watcher.store import daemon_reads, times
from watcher.store.engine import read_session


@dataclasses.dataclass(frozen=True, slots=True)
class Shutdown:
    model: str
    source: str
    on: dt.date


@dataclasses.dataclass(frozen=True, slots=True)
class Latest:
    """A source's newest run (any replica) and its current run of failures."""

    outcome: str
    at: dt.datetime
    error: str | None
    failures: int = 0  # failed or refused runs since the last successful one
    failing_since: dt.datetime | None = None  # the first of those


@dataclasses.dataclass(frozen=True, slots=True)
class Snapshot:
    taken_at: dt.datetime
    last_run: dict[str, dt.datetime]  # any outcome; backfills (ingest) excluded
    last_success: dict[str, dt.datetime]
    deliveries: dict[str, int]  # outbox rows by status
    oldest_pending: dt.datetime | None
    shutdowns: tuple[Shutdown, ...]  # watched models with a shutdown date, earliest per (model, source)
    dead_by_channel: dict[str, int] = dataclasses.field(default_factory=dict)  # dead deliveries per channel
    latest: dict[str, Latest] = dataclasses.field(default_factory=dict)


def take(engine: Engine, watchlist: Sequence[str], now: dt.datetime) -> Snapshot:
    with read_session(engine) as session:
        return Snapshot(
            taken_at=now,
            last_run=_latest_runs(session, successful=False),
            last_success=_latest_runs(session, successful=True),
            deliveries=counts(session),
            oldest_pending=_aware(daemon_reads.oldest_pending_delivery(session)),
            shutdowns=_watched_shutdowns(session, watchlist),
            dead_by_channel=dead_by_channel(session),
            latest=_latest(session),
        )


def last_runs(engine: Engine) -> dict[str, dt.datetime]:
    with read_session(engine) as session:
        return _latest_runs(session, successful=False)


def _latest_runs(session: Session, *, successful: bool) -> dict[str, dt.datetime]:
    rows = daemon_reads.latest_run_times(session, successful=successful)
    return {source: when for source, at in rows if (when := _aware(at)) is not None}


def _latest(session: Session) -> dict[str, Latest]:
    rows = daemon_reads.newest_runs(session)
    streaks = daemon_reads.failure_streaks(session)
    streak = {source: (int(n), _aware(first)) for source, n, first in streaks}
    found: dict[str, Latest] = {}
    for source, outcome, at, error in rows:
        when = _aware(at)
        assert when is not None
        failures, since = streak.get(source, (0, None))
        found[source] = Latest(outcome, when, error, failures, since)
    return found


def _watched_shutdowns(session: Session, watchlist: Sequence[str]) -> tuple[Shutdown, ...]:
    if not watchlist:
        return ()
    rows = daemon_reads.current_shutdown_rows(session)
    earliest: dict[tuple[str, str], dt.date] = {}
    for source, model, key, source_id, aliases, on in rows:
        names = [model, key, source_id, *((aliases or "").split(", "))]
        if on is None or not watched(names, watchlist):
            continue
        slot = (model, source)
        earliest[slot] = min(on, earliest.get(slot, on))
    return tuple(Shutdown(model, source, on) for (model, source), on in sorted(earliest.items()))


def _aware(value: dt.datetime | str | None) -> dt.datetime | None:
    return None if value is None else times.read(value)
