"""What the daemon reads back from the database: for scheduling, /healthz and metrics.

One read transaction gathers it all, in a worker thread, every few seconds;
scrapes and health checks then answer from memory and never wait on the
database. Replicas that do not lead learn the leader's progress this way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from watcher.alerts.outbox import dead_by_channel
from watcher.matching import watched
from watcher.store.engine import read_session
from watcher.store.polls import SUCCESS_OUTCOMES
from watcher.store.tables import Delivery, ObservationVersion, Run


@dataclasses.dataclass(frozen=True, slots=True)
class Shutdown:
    model: str
    source: str
    on: dt.date


@dataclasses.dataclass(frozen=True, slots=True)
class Snapshot:
    taken_at: dt.datetime
    last_run: dict[str, dt.datetime]  # any outcome; backfills (ingest) excluded
    last_success: dict[str, dt.datetime]
    deliveries: dict[str, int]  # outbox rows by status
    oldest_pending: dt.datetime | None
    shutdowns: tuple[Shutdown, ...]  # watched models with a shutdown date, earliest per (model, source)
    dead_by_channel: dict[str, int] = dataclasses.field(default_factory=dict)  # dead deliveries per channel


def take(engine: Engine, watchlist: Sequence[str], now: dt.datetime) -> Snapshot:
    with read_session(engine) as session:
        return Snapshot(
            taken_at=now,
            last_run=_latest_runs(session, successful=False),
            last_success=_latest_runs(session, successful=True),
            deliveries=_deliveries(session),
            oldest_pending=_aware(session.exec(
                select(func.min(Delivery.created_at)).where(Delivery.status == "pending")).one()),
            shutdowns=_watched_shutdowns(session, watchlist),
            dead_by_channel=dead_by_channel(session),
        )


def last_runs(engine: Engine) -> dict[str, dt.datetime]:
    with read_session(engine) as session:
        return _latest_runs(session, successful=False)


def _latest_runs(session: Session, *, successful: bool) -> dict[str, dt.datetime]:
    query = select(Run.source, func.max(Run.started_at)).where(Run.trigger != "ingest")
    if successful:
        query = query.where(col(Run.outcome).in_(SUCCESS_OUTCOMES))
    rows = session.exec(query.group_by(Run.source)).all()
    return {source: when for source, at in rows if (when := _aware(at)) is not None}


def _deliveries(session: Session) -> dict[str, int]:
    rows = session.exec(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
    return {status: int(n) for status, n in rows}


def _watched_shutdowns(session: Session, watchlist: Sequence[str]) -> tuple[Shutdown, ...]:
    if not watchlist:
        return ()
    rows = session.exec(
        select(ObservationVersion.source, ObservationVersion.model, ObservationVersion.key,  # type: ignore[call-overload]
               ObservationVersion.source_id, ObservationVersion.aliases, ObservationVersion.shutdown_on)
        .where(col(ObservationVersion.valid_to).is_(None), col(ObservationVersion.shutdown_on).is_not(None),
               col(ObservationVersion.is_model).is_(True))
    ).all()
    earliest: dict[tuple[str, str], dt.date] = {}
    for source, model, key, source_id, aliases, on in rows:
        names = [model, key, source_id, *((aliases or "").split(", "))]
        if on is None or not watched(names, watchlist):
            continue
        slot = (model, source)
        earliest[slot] = min(on, earliest.get(slot, on))
    return tuple(Shutdown(model, source, on) for (model, source), on in sorted(earliest.items()))


def _aware(value: dt.datetime | str | None) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
