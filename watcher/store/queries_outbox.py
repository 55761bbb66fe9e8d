"""`watcher outbox`: deliveries in listing states, read as SQL text (`watcher.store.sql`:
no ORM, no SQLAlchemy on SQLite), so the command starts like the other queries. The states and how a row shows are
stated here once; `watcher.alerts.outbox` moves rows between them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, Final, Protocol

from watcher.store.layout import TABLES
from watcher.store.sql import Params, Readable, rows
from watcher.store.values import iso_time, typed_rows_of

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


_COLUMNS: Final = TABLES["delivery"]
_SELECT: Final = f"SELECT {', '.join(name for name, _ in _COLUMNS)} FROM delivery"


def listing(connection: Readable, states: Sequence[str], limit: int | None = None) -> list[dict[str, Any]]:
    """Outbox rows in the given listing states (pending, failed, sending, dead, sent), oldest first
    (through a connection, or a session inside a transaction)."""
    p = Params()
    statuses = sorted({PENDING if s == FAILED else s for s in states})
    found = typed_rows_of(rows(connection, f"{_SELECT} WHERE status IN {p.among(statuses)} ORDER BY id", p), _COLUMNS)
    listed = [delivery_dict(SimpleNamespace(**row)) for row in found]
    listed = [row for row in listed if row["state"] in states]
    return listed[:limit] if limit else listed
