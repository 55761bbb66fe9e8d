"""The reads behind the daemon's snapshot (`watcher.daemon.snapshot`): per source
its newest runs and its current run of failures, the outbox's state, and the
current rows stating a shutdown date. Called inside one read transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from watcher.store import derived
from watcher.store.outcomes import FAILURE_OUTCOMES, SUCCESS_OUTCOMES
from watcher.store.tables import Delivery, ObservationVersion, Run


def latest_run_times(session: Session, *, successful: bool) -> list[tuple[str, Any]]:
    """(source, start of its newest run) — successful runs only with `successful`; backfills excluded."""
    query = select(Run.source, func.max(Run.started_at)).where(Run.trigger != "ingest")
    if successful:
        query = query.where(col(Run.outcome).in_(SUCCESS_OUTCOMES))
    return list(session.exec(query.group_by(Run.source)).all())


def newest_runs(session: Session) -> list[tuple[str, str, Any, str | None]]:
    """(source, outcome, started at, error) of each source's newest run, backfills excluded."""
    newest = (select(Run.source, func.max(Run.id).label("id")).where(Run.trigger != "ingest")
              .group_by(Run.source).subquery())
    return list(session.exec(select(Run.source, Run.outcome, Run.started_at, Run.error)
                             .join(newest, col(Run.id) == newest.c.id)).all())


def failure_streaks(session: Session) -> list[tuple[str, int, Any]]:
    """(source, failed or refused runs since its last successful one, the first of them)."""
    last_ok = (select(Run.source, func.max(Run.id).label("id"))
               .where(Run.trigger != "ingest", col(Run.outcome).in_(SUCCESS_OUTCOMES))
               .group_by(Run.source).subquery())
    return list(session.exec(
        select(Run.source, func.count(), func.min(Run.started_at))
        .outerjoin(last_ok, last_ok.c.source == Run.source)
        .where(Run.trigger != "ingest", col(Run.outcome).in_(FAILURE_OUTCOMES),
               or_(last_ok.c.id.is_(None), col(Run.id) > last_ok.c.id))
        .group_by(Run.source)).all())


def oldest_pending_delivery(session: Session) -> Any:
    """When the oldest pending delivery was queued (None: nothing pending)."""
    return session.exec(select(func.min(Delivery.created_at)).where(Delivery.status == "pending")).one()


def current_shutdown_rows(session: Session) -> list[tuple[Any, ...]]:
    """(source, model, key, source id, aliases, shutdown date) of current model rows stating one."""
    return list(session.exec(
        select(ObservationVersion.source, ObservationVersion.model, ObservationVersion.key,  # type: ignore[call-overload]
               derived.source_id(ObservationVersion.__table__.c),  # type: ignore[attr-defined]
               ObservationVersion.aliases, ObservationVersion.shutdown_on)
        .where(col(ObservationVersion.valid_to).is_(None), col(ObservationVersion.shutdown_on).is_not(None),
               col(ObservationVersion.is_model).is_(True))
    ).all())
