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

from sqlalchemy import Engine
from sqlmodel import Session

from watcher.alerts.channels import Bodies
from watcher.model import Severity
from watcher.store import outbox as rows
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
    """Add `delivery` unless its dedupe key is already queued (by anyone, in any
    transaction); True when added. A race undoes only this row, not the poll around it."""
    return rows.add_unless_queued(session, delivery)


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
    row = rows.claim(engine, delivery_id, now, ttl)
    if row is None:
        return None
    return Claimed(id=row.id, channel=row.channel, kind=row.kind, severity=Severity(row.severity),
                   bodies=Bodies(row.title, row.body_text, row.body_markdown, row.body_html),
                   attempts=row.attempts, created_at=row.created_at)


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
    if not rows.record_outcome(engine, claimed.id, claimed.attempts, values):
        # Our claim expired mid-send and another dispatcher took the row: it
        # will send again (the at-least-once case); its outcome is the one kept.
        log.warning("delivery %s: claim lost while sending; outcome %s not recorded", claimed.id,
                    values["status"])
    return str(values["status"])


def release(engine: Engine, channel: str, now: dt.datetime) -> int:
    """The channel answered: its deliveries backing off are due now (for every dispatcher)."""
    return rows.release_channel(engine, channel, now)


@dataclasses.dataclass(frozen=True, slots=True)
class Candidate:
    id: int
    channel: str
    due: bool


def candidates(session: Session, now: dt.datetime, *, early: bool, limit: int) -> list[Candidate]:
    """Rows a dispatcher may try, oldest first: due ones (their time has come, a
    claim expired, or `early`) and the ones still backing off (`due` False: tried
    only once their channel has answered in the same pass)."""
    out: list[Candidate] = []
    for row_id, channel, status, next_at in rows.live_rows(session, limit):
        in_flight = status == SENDING and next_at > now
        if in_flight:
            continue
        due = next_at <= now or (early and status == PENDING)
        out.append(Candidate(id=row_id, channel=channel, due=due))
    return out


def retry_dead(session: Session, ids: Sequence[int] = ()) -> int:
    """Give dead rows (all, or `ids`) a fresh set of attempts."""
    # Queued again: `give_up_after` counts from now.
    return rows.requeue_dead(session, ids, dt.datetime.now(dt.UTC))


# --- listing ------------------------------------------------------------------------------


def dead_by_channel(session: Session) -> dict[str, int]:
    return rows.dead_by_channel(session)


def counts(session: Session) -> dict[str, int]:
    return rows.counts(session)


def revive_dead(engine: Engine) -> int:
    """`watcher deliver --retry-dead`: every dead delivery pending again, in one transaction."""
    with write_session(engine) as session:
        return retry_dead(session)
