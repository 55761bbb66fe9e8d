"""`watcher silence list`: silences with how many changes each held back, read through
Core (no ORM), so the listing starts like the other queries. `watcher.alerts.silences`
adds and expires them, and shows the row it added in this same shape."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from watcher.store.relations import CHANGE, SILENCE
from watcher.store.values import iso_time

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def silence_rows(connection: Connection | Session, now: dt.datetime, *,
                 everything: bool = False) -> list[dict[str, Any]]:
    """Active silences (every one with `everything`), oldest first (through a connection,
    or a session inside a transaction)."""
    held_query = (select(CHANGE.c.silence_id, func.count()).where(CHANGE.c.silence_id.is_not(None))
                  .group_by(CHANGE.c.silence_id))
    held = {silence_id: int(count) for silence_id, count in connection.execute(held_query)}
    out: list[dict[str, Any]] = []
    for s in connection.execute(select(SILENCE).order_by(SILENCE.c.id)):
        state = "expired" if s.expired_at is not None or s.until <= now else "active"
        if state != "active" and not everything:
            continue
        out.append({
            "id": s.id, "state": state, "model": s.model, "source": s.source, "reason": s.reason,
            "created_at": _stamp(s.created_at), "until": _stamp(s.until),
            "expired_at": _stamp(s.expired_at), "held_changes": held.get(s.id, 0),
        })
    return out


def _stamp(t: dt.datetime | None) -> str | None:
    return iso_time(t) if t else None
