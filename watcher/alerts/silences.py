"""Silences: hold back alerts about some models for a while, keeping the record.

A silenced change is stored like any other, with `change.silence_id` naming the
silence that held it back; it is never queued for delivery.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from watcher.matching import watched
from watcher.store import silences as rows
from watcher.store.engine import write_session
from watcher.store.queries_silences import silence_rows
from watcher.store.tables import Silence


class SilenceError(ValueError):
    pass


def add(session: Session, *, model: str, source: str | None, until: dt.datetime, reason: str,
        now: dt.datetime) -> Silence:
    if until <= now:
        raise SilenceError(f"--until {until.isoformat()} is not in the future")
    if not model.strip():
        raise SilenceError("--model: give a model id or glob, e.g. 'gpt-4o*'")
    if not reason.strip():
        raise SilenceError("--reason: say why, for whoever reads `watcher silence list` next")
    return rows.insert(session, model=model.strip(), source=source, reason=reason.strip(), created_at=now,
                       until=until)


def expire(session: Session, silence_id: int, now: dt.datetime) -> Silence:
    silence = rows.expire(session, silence_id, now)
    if silence is None:
        raise SilenceError(f"no silence with id {silence_id}")
    return silence


def active(session: Session, at: dt.datetime) -> list[Silence]:
    return rows.active(session, at)


def holding(silences: Sequence[Silence], source: str, names: Iterable[str | None]) -> Silence | None:
    """The first silence that covers a change of `source` about a row with these names."""
    named = [n for n in names if n]
    for silence in silences:
        if silence.source is not None and silence.source != source:
            continue
        if watched(named, [silence.model]):
            return silence
    return None


def listing(session: Session, now: dt.datetime, *, everything: bool = False) -> list[dict[str, Any]]:
    """Silences as `watcher silence list` shows them (the read facade's shape), in this session."""
    return silence_rows(session, now, everything=everything)


# The commands' entries: one transaction each, so the CLI never holds a session.

def add_silence(engine: Engine, *, model: str, source: str | None, until: dt.datetime, reason: str,
                now: dt.datetime) -> dict[str, Any]:
    """Add a silence and return its `listing` row."""
    with write_session(engine) as session:
        created = add(session, model=model, source=source, until=until, reason=reason, now=now)
        return next(r for r in listing(session, now) if r["id"] == created.id)


def expire_silence(engine: Engine, silence_id: int, now: dt.datetime) -> None:
    with write_session(engine) as session:
        expire(session, silence_id, now)
