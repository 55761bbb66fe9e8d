"""Source-health alerts as recorded: when a source was last said to be failing or
refused, so the pipeline tells a recovery once and repeats a refusal no more often
than configured."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, func, select

from watcher.store.tables import ChangeRecord


def last_unhealthy_at(session: Session, source: str, health_kind: str, *,
                      after_run: int | None) -> dt.datetime | None:
    """When the latest `health_kind` change of `source` saying it is not ok was
    detected (only those recorded by runs after `after_run`, when given)."""
    query = select(func.max(ChangeRecord.detected_at)).where(
        ChangeRecord.source == source, ChangeRecord.kind == health_kind, col(ChangeRecord.new) != "ok",
    )
    if after_run is not None:
        query = query.where(col(ChangeRecord.run_id) > after_run)
    at = session.exec(query).one()
    return at.replace(tzinfo=dt.UTC) if at is not None and at.tzinfo is None else at
