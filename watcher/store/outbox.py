"""The outbox table's rows moved through their life cycle: the SQL of
`watcher.alerts.outbox`, which holds the rules (backoff, giving up, which rows a
dispatcher tries) and calls these with plain values.

A claim and an outcome are conditional UPDATEs (status and attempts as seen), so
two dispatchers never send the same row at once, and an outcome recorded after
the claim was lost changes nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from watcher.store.engine import write_session
from watcher.store.queries_outbox import DEAD, PENDING, SENDING
from watcher.store.tables import Delivery

log = logging.getLogger(__name__)


def add_unless_queued(session: Session, delivery: Delivery) -> bool:
    """Add `delivery` unless its dedupe key is already queued; True when added.

    The SELECT makes the usual case cheap; the savepoint makes the race safe: a
    concurrent transaction that queued the same key first turns our INSERT into
    an IntegrityError, which undoes only this row, not the poll around it.
    """
    exists = session.exec(select(Delivery.id).where(Delivery.dedupe_key == delivery.dedupe_key)).first()
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(delivery)
    except IntegrityError:
        log.info("delivery %s already queued by another process", delivery.dedupe_key)
        return False
    return True


@dataclasses.dataclass(frozen=True, slots=True)
class ClaimedRow:
    """A row as it was when claimed (attempts counting this one): no session needed."""

    id: int
    channel: str
    kind: str
    severity: str
    title: str
    body_text: str
    body_markdown: str
    body_html: str
    attempts: int
    created_at: dt.datetime


def claim(engine: Engine, delivery_id: int, now: dt.datetime, ttl: dt.timedelta) -> ClaimedRow | None:
    """Take one row for sending until `now + ttl`, or None when it is not ours to send:
    sent, dead, or in flight elsewhere."""
    with write_session(engine) as session:
        row = session.get(Delivery, delivery_id)
        if row is None or row.status not in (PENDING, SENDING):
            return None
        if row.status == SENDING and row.next_attempt_at > now:
            return None
        # Copied before the UPDATE, which also refreshes `row` in the session.
        claimed = ClaimedRow(id=delivery_id, channel=row.channel, kind=row.kind, severity=row.severity,
                             title=row.title, body_text=row.body_text, body_markdown=row.body_markdown,
                             body_html=row.body_html, attempts=row.attempts + 1, created_at=row.created_at)
        taken = session.exec(
            update(Delivery)
            .where(col(Delivery.id) == delivery_id, col(Delivery.status) == row.status,
                   col(Delivery.attempts) == row.attempts)
            .values(status=SENDING, attempts=claimed.attempts, next_attempt_at=now + ttl)
        )
        return claimed if taken.rowcount == 1 else None


def record_outcome(engine: Engine, delivery_id: int, attempts: int, values: dict[str, Any]) -> bool:
    """Set `values` on a row still claimed with `attempts`; False when the claim was lost."""
    with write_session(engine) as session:
        done = session.exec(
            update(Delivery)
            .where(col(Delivery.id) == delivery_id, col(Delivery.status) == SENDING,
                   col(Delivery.attempts) == attempts)
            .values(**values)
        )
    return bool(done.rowcount == 1)


def release_channel(engine: Engine, channel: str, now: dt.datetime) -> int:
    """The channel's deliveries backing off are due at `now`; how many."""
    with write_session(engine) as session:
        done = session.exec(
            update(Delivery)
            .where(col(Delivery.channel) == channel, col(Delivery.status) == PENDING,
                   col(Delivery.next_attempt_at) > now)
            .values(next_attempt_at=now)
        )
    return int(done.rowcount)


def live_rows(session: Session, limit: int) -> list[tuple[int, str, str, dt.datetime]]:
    """(id, channel, status, next attempt) of the pending and sending rows, oldest first."""
    live = select(Delivery.id, Delivery.channel, Delivery.status, Delivery.next_attempt_at).where(
        col(Delivery.status).in_((PENDING, SENDING))).order_by(col(Delivery.id)).limit(limit)
    out: list[tuple[int, str, str, dt.datetime]] = []
    for row_id, channel, status, next_at in session.exec(live):
        assert row_id is not None  # a stored row always has its id
        out.append((row_id, channel, status, next_at))
    return out


def requeue_dead(session: Session, ids: Sequence[int], now: dt.datetime) -> int:
    """Dead rows (all, or `ids`) pending again with a fresh set of attempts, queued at `now`."""
    query = update(Delivery).where(col(Delivery.status) == DEAD)
    if ids:
        query = query.where(col(Delivery.id).in_(ids))
    result = session.exec(query.values(status=PENDING, attempts=0, next_attempt_at=now, created_at=now))
    return int(result.rowcount)


def dead_by_channel(session: Session) -> dict[str, int]:
    query = select(Delivery.channel, func.count()).where(Delivery.status == DEAD).group_by(Delivery.channel)
    return {channel: int(n) for channel, n in session.exec(query)}


def counts(session: Session) -> dict[str, int]:
    query = select(Delivery.status, func.count()).group_by(Delivery.status)
    return {status: int(n) for status, n in session.exec(query)}
