"""The read side: what the commands and analysts ask. Plain dicts out, ready to render.

Changes and versions are read through Core in `queries_changes` and
`queries_versions` (fast to import and to run); they are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from watcher.store.queries_changes import ChangeFilter, changes
from watcher.store.queries_versions import asof, history, upcoming
from watcher.store.tables import ChangeRecord, ObservationVersion, Run

__all__ = ["ChangeFilter", "asof", "change_dict", "changes", "history", "source_summaries", "upcoming"]


def change_dict(c: ChangeRecord) -> dict[str, Any]:
    return {
        "id": c.id,
        "detected_at": c.detected_at.isoformat().replace("+00:00", "Z"),
        "source": c.source,
        "provider": c.provider,
        "model": c.model,
        "key": c.key,
        "kind": c.kind,
        "field": c.field,
        "old": c.old,
        "new": c.new,
        "severity": c.severity,
        "note": c.note,
        "run_id": c.run_id,
        "silence_id": c.silence_id,  # set: recorded, but held back by that silence
    }


def source_summaries(session: Session, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per source: last run, last success, consecutive failures, current rows."""
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        last = session.exec(select(Run).where(Run.source == name)
                            .order_by(col(Run.started_at).desc(), col(Run.id).desc()).limit(1)).first()
        last_ok = session.exec(select(Run).where(Run.source == name,
                                                 col(Run.outcome).in_(("changed", "unchanged", "not_modified", "baseline")))
                               .order_by(col(Run.started_at).desc(), col(Run.id).desc()).limit(1)).first()
        rows = session.exec(select(func.count()).select_from(ObservationVersion).where(
            ObservationVersion.source == name, col(ObservationVersion.valid_to).is_(None))).one()
        failures_q = select(func.count()).select_from(Run).where(
            Run.source == name, col(Run.outcome).in_(("failed", "refused")))
        if last_ok is not None:
            failures_q = failures_q.where(col(Run.id) > last_ok.id)
        out[name] = {
            "last_run": last.started_at.isoformat().replace("+00:00", "Z") if last else None,
            "last_outcome": last.outcome if last else None,
            "last_success": last_ok.observed_at.isoformat().replace("+00:00", "Z") if last_ok else None,
            "failures": int(session.exec(failures_q).one()),
            "rows": int(rows),
            "last_error": last.error if last and last.outcome in ("failed", "refused") else None,
        }
    return out
