"""The read side: what the commands and analysts ask. Plain dicts out, ready to render.

Changes and versions are read through Core in `queries_changes` and
`queries_versions` (fast to import and to run); they are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from watcher.store import polls
from watcher.store.queries_changes import CHANGE_FIELDS, ChangeFilter, changes
from watcher.store.queries_versions import asof, history, upcoming
from watcher.store.tables import ChangeRecord, ObservationVersion
from watcher.store.values import iso_time

__all__ = ["ChangeFilter", "asof", "change_dict", "changes", "history", "source_summaries", "upcoming"]


def change_dict(c: ChangeRecord) -> dict[str, Any]:
    """A change record as `watcher changes` prints it (the same fields, in the same order).
    `silence_id` set means recorded, but held back by that silence."""
    row = {name: getattr(c, name) for name in CHANGE_FIELDS}
    row["detected_at"] = iso_time(c.detected_at)
    return row


def source_summaries(session: Session, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per source: last run, last success, consecutive failures, current rows."""
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        last = polls.last_run(session, name)
        last_ok = polls.last_run(session, name, successful=True)
        rows = session.exec(select(func.count()).select_from(ObservationVersion).where(
            ObservationVersion.source == name, col(ObservationVersion.valid_to).is_(None))).one()
        out[name] = {
            "last_run": iso_time(last.started_at) if last else None,
            "last_outcome": last.outcome if last else None,
            "last_success": iso_time(last_ok.observed_at) if last_ok else None,
            "failures": polls.consecutive_failures(session, name),
            "rows": int(rows),
            "last_error": last.error if last and last.outcome in polls.FAILURE_OUTCOMES else None,
        }
    return out
