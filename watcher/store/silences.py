"""Silence rows written and read inside a transaction: the SQL of
`watcher.alerts.silences`, which checks what is asked and decides what a silence
covers. (`queries_silences` lists them for `watcher silence list`.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session, col, select

from watcher.store.tables import ChangeRecord, Silence


def insert(session: Session, *, model: str, source: str | None, reason: str, created_at: dt.datetime,
           until: dt.datetime) -> Silence:
    """A new silence, flushed so that it has its id."""
    silence = Silence(model=model, source=source, reason=reason, created_at=created_at, until=until)
    session.add(silence)
    session.flush()
    return silence


def expire(session: Session, silence_id: int, now: dt.datetime) -> Silence | None:
    """End the silence at `now` if it still holds; None when there is no such silence."""
    silence = session.get(Silence, silence_id)
    if silence is None:
        return None
    if silence.expired_at is None and silence.until > now:
        silence.expired_at = now
        session.add(silence)
    return silence


def active(session: Session, at: dt.datetime) -> list[Silence]:
    """The silences holding at `at`, oldest first."""
    query = select(Silence).where(col(Silence.expired_at).is_(None), col(Silence.until) > at,
                                  col(Silence.created_at) <= at).order_by(col(Silence.id))
    return list(session.exec(query))


def record_held(session: Session, records: Sequence[ChangeRecord]) -> None:
    """Store the `silence_id` set on these records (flushed with the rest of the transaction so far)."""
    for record in records:
        session.add(record)
    session.flush()
