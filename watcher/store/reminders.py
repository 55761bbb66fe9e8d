"""Deadline reminders' rows: the current rows that state a shutdown date, and the
`reminder_sent` row that makes each reminder go once. `watcher.alerts.reminders`
decides which reminders are due."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from watcher.model import Observation
from watcher.store.codec import from_row
from watcher.store.derived import resolved
from watcher.store.tables import ObservationVersion, ReminderSent


def current_with_shutdown(session: Session) -> list[tuple[str, Observation]]:
    """(source, observation) of every current version that states a shutdown date."""
    v = ObservationVersion.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    query = core_select(*resolved(v)).where(v.valid_to.is_(None), v.shutdown_on.is_not(None))
    return [(row.source, from_row(row)) for row in session.connection().execute(query)]


def claim(session: Session, *, model: str, shutdown_on: dt.date, days: int, now: dt.datetime) -> bool:
    """Insert the reminder_sent row; False when this reminder was already sent (or is
    being sent by a concurrent process, whose INSERT won)."""
    if session.get(ReminderSent, (model, shutdown_on, days)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ReminderSent(model=model, shutdown_on=shutdown_on, days=days, sent_at=now))
    except IntegrityError:
        return False
    return True
