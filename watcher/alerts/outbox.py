"""The outbox table's life cycle: queue once, claim, record the channel's answer.

    pending ──claim──► sending ──ok──► sent
       ▲                  │
       └──failed (backoff)┤
                          └──failed, attempts used up──► dead   (kept, listed)

A claim is a conditional UPDATE (status and attempts as seen), so two
dispatchers never send the same row at once; it expires after `claim_ttl`, so
a dispatcher killed mid-send costs at most one duplicate of the message it
had in flight, and nothing is lost.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from watcher.alerts.channels import Bodies
from watcher.model import Severity
from watcher.store.engine import write_session
from watcher.store.queries_outbox import (
    DEAD,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    delivery_dict,
    listing,
    state,
)
from watcher.store.tables import Delivery

log = logging.getLogger(__name__)

__all__ = ["DEAD", "FAILED", "PENDING", "SENDING", "SENT", "delivery_dict", "listing", "state"]


def backoff(attempts: int, first: dt.timedelta, cap: dt.timedelta) -> dt.timedelta:
    """Wait before the next attempt after `attempts` tries: first, 2×first, 4×first, … ≤ cap."""
    return min(first * int(2 ** max(attempts - 1, 0)), cap)


def queue(session: Session, delivery: Delivery) -> bool:
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
class Claimed:
    """A row taken for one send: everything needed without a database session."""

    id: int
    channel: str
    kind: str
    severity: Severity
    bodies: Bodies
    attempts: int  # including this one
    created_at: dt.datetime


def claim(engine: Engine, delivery_id: int, now: dt.datetime, ttl: dt.timedelta) -> Claimed | None:
    """Take one row for sending, or None when it is not ours to send: sent, dead,
    or in flight elsewhere. (Whether a backing-off row may go now is the caller's call.)"""
    with write_session(engine) as session:
        row = session.get(Delivery, delivery_id)
        if row is None or row.status not in (PENDING, SENDING):
            return None
        if row.status == SENDING and row.next_attempt_at > now:
            return None
        # Copied before the UPDATE, which also refreshes `row` in the session.
        claimed = Claimed(id=delivery_id, channel=row.channel, kind=row.kind, severity=Severity(row.severity),
                          bodies=Bodies(row.title, row.body_text, row.body_markdown, row.body_html),
                          attempts=row.attempts + 1, created_at=row.created_at)
        taken = session.exec(
            update(Delivery)
            .where(col(Delivery.id) == delivery_id, col(Delivery.status) == row.status,
                   col(Delivery.attempts) == row.attempts)
            .values(status=SENDING, attempts=claimed.attempts, next_attempt_at=now + ttl)
        )
        return claimed if taken.rowcount == 1 else None


def gives_up(claimed: Claimed, now: dt.datetime, *, max_attempts: int | None, give_up_after: dt.timedelta) -> bool:
    """A failed send is the last one when the delivery has been failing for
    `give_up_after` since it was queued (or used `max_attempts`, when set)."""
    if max_attempts is not None and claimed.attempts >= max_attempts:
        return True
    return now - claimed.created_at >= give_up_after


def finish(engine: Engine, claimed: Claimed, *, ok: bool, error: str | None, now: dt.datetime,
           max_attempts: int | None, give_up_after: dt.timedelta, retry_after: dt.timedelta,
           retry_max: dt.timedelta) -> str:
    """Record the outcome of a claimed send; returns the row's new status."""
    if ok:
        values: dict[str, Any] = {"status": SENT, "sent_at": now, "last_error": None}
    elif gives_up(claimed, now, max_attempts=max_attempts, give_up_after=give_up_after):
        values = {"status": DEAD, "last_error": error}
    else:
        values = {"status": PENDING, "last_error": error,
                  "next_attempt_at": now + backoff(claimed.attempts, retry_after, retry_max)}
    with write_session(engine) as session:
        done = session.exec(
            update(Delivery)
            .where(col(Delivery.id) == claimed.id, col(Delivery.status) == SENDING,
                   col(Delivery.attempts) == claimed.attempts)
            .values(**values)
        )
    if done.rowcount != 1:
        # Our claim expired mid-send and another dispatcher took the row: it
        # will send again (the at-least-once case); its outcome is the one kept.
        log.warning("delivery %s: claim lost while sending; outcome %s not recorded", claimed.id,
                    values["status"])
    return str(values["status"])


def release(engine: Engine, channel: str, now: dt.datetime) -> int:
    """The channel answered: its deliveries backing off are due now (for every dispatcher)."""
    with write_session(engine) as session:
        done = session.exec(
            update(Delivery)
            .where(col(Delivery.channel) == channel, col(Delivery.status) == PENDING,
                   col(Delivery.next_attempt_at) > now)
            .values(next_attempt_at=now)
        )
    return int(done.rowcount)


@dataclasses.dataclass(frozen=True, slots=True)
class Candidate:
    id: int
    channel: str
    due: bool


def candidates(session: Session, now: dt.datetime, *, early: bool, limit: int) -> list[Candidate]:
    """Rows a dispatcher may try, oldest first: due ones (their time has come, a
    claim expired, or `early`) and the ones still backing off (`due` False: tried
    only once their channel has answered in the same pass)."""
    live = select(Delivery.id, Delivery.channel, Delivery.status, Delivery.next_attempt_at).where(
        col(Delivery.status).in_((PENDING, SENDING))).order_by(col(Delivery.id)).limit(limit)
    out: list[Candidate] = []
    for row_id, channel, status, next_at in session.exec(live):
        in_flight = status == SENDING and next_at > now
        if in_flight:
            continue
        due = next_at <= now or (early and status == PENDING)
        assert row_id is not None  # a stored row always has its id
        out.append(Candidate(id=row_id, channel=channel, due=due))
    return out


def retry_dead(session: Session, ids: Sequence[int] = ()) -> int:
    """Give dead rows (all, or `ids`) a fresh set of attempts."""
    query = update(Delivery).where(col(Delivery.status) == DEAD)
    if ids:
        query = query.where(col(Delivery.id).in_(ids))
    now = dt.datetime.now(dt.UTC)
    # Queued again: `give_up_after` counts from now.
    result = session.exec(query.values(status=PENDING, attempts=0, next_attempt_at=now, created_at=now))
    return int(result.rowcount)


# --- listing ------------------------------------------------------------------------------


def dead_by_channel(session: Session) -> dict[str, int]:
    query = select(Delivery.channel, func.count()).where(Delivery.status == DEAD).group_by(Delivery.channel)
    return {channel: int(n) for channel, n in session.exec(query)}


def counts(session: Session) -> dict[str, int]:
    query = select(Delivery.status, func.count()).group_by(Delivery.status)
    return {status: int(n) for status, n in session.exec(query)}


def revive_dead(engine: Engine) -> int:
    """`watcher deliver --retry-dead`: every dead delivery pending again, in one transaction."""
    with write_session(engine) as session:
        return retry_dead(session)
