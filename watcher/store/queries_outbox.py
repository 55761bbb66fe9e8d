"""`watcher outbox`: deliveries in listing states, read through Core (no ORM), so
the command starts like the other queries. The states and how a row shows are
stated here once; `watcher.alerts.outbox` moves rows between them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol

from sqlalchemy import Connection, select

from watcher.store.relations import DELIVERY
from watcher.store.values import iso_time

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

PENDING: Final = "pending"
SENDING: Final = "sending"
SENT: Final = "sent"
DEAD: Final = "dead"
FAILED: Final = "failed"  # a listing word: pending after at least one failed attempt


class DeliveryRow(Protocol):
    """A `Delivery`, or a plain result row of its table's columns."""

    id: int | None
    status: str
    attempts: int
    channel: str
    route: str | None
    kind: str
    severity: str
    title: str
    last_error: str | None
    change_ids: str | None
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    sent_at: dt.datetime | None


def state(row: DeliveryRow) -> str:
    if row.status == PENDING and row.attempts > 0:
        return FAILED
    return row.status


def delivery_dict(row: DeliveryRow) -> dict[str, Any]:
    def stamp(t: dt.datetime | None) -> str | None:
        return iso_time(t) if t else None

    return {
        "id": row.id,
        "state": state(row),
        "channel": row.channel,
        "route": row.route,
        "kind": row.kind,
        "severity": row.severity,
        "attempts": row.attempts,
        "created_at": stamp(row.created_at),
        "next_attempt_at": stamp(row.next_attempt_at) if row.status in (PENDING, SENDING) else None,
        "sent_at": stamp(row.sent_at),
        "title": row.title,
        "last_error": row.last_error,
        "change_ids": json.loads(row.change_ids) if row.change_ids else [],
    }


def listing(connection: Connection | Session, states: Sequence[str], limit: int | None = None) -> list[dict[str, Any]]:
    """Outbox rows in the given listing states (pending, failed, sending, dead, sent), oldest first
    (through a connection, or a session inside a transaction)."""
    statuses = {PENDING if s == FAILED else s for s in states}
    query = select(DELIVERY).where(DELIVERY.c.status.in_(statuses)).order_by(DELIVERY.c.id)
    rows = [delivery_dict(row) for row in connection.execute(query)]
    rows = [row for row in rows if row["state"] in states]
    return rows[:limit] if limit else rows
