"""The read side: what the commands and analysts ask. Plain dicts out, ready to render."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from watcher.store.tables import ChangeRecord, ObservationVersion, Run


@dataclasses.dataclass(frozen=True, slots=True)
class ChangeFilter:
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    sources: Sequence[str] = ()
    providers: Sequence[str] = ()
    model: str | None = None  # glob
    kinds: Sequence[str] = ()
    severities: Sequence[str] = ()
    limit: int | None = None


def _glob_to_like(glob: str) -> str:
    escaped = glob.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


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
    }


def changes(session: Session, flt: ChangeFilter) -> Iterator[dict[str, Any]]:
    query = select(ChangeRecord)
    if flt.since is not None:
        query = query.where(col(ChangeRecord.detected_at) >= flt.since)
    if flt.until is not None:
        query = query.where(col(ChangeRecord.detected_at) < flt.until)
    if flt.sources:
        query = query.where(col(ChangeRecord.source).in_(flt.sources))
    if flt.providers:
        query = query.where(col(ChangeRecord.provider).in_(flt.providers))
    if flt.kinds:
        query = query.where(col(ChangeRecord.kind).in_(flt.kinds))
    if flt.severities:
        query = query.where(col(ChangeRecord.severity).in_(flt.severities))
    if flt.model:
        like = _glob_to_like(flt.model)
        query = query.where(or_(col(ChangeRecord.model).like(like, escape="\\"),
                                col(ChangeRecord.key).like(like, escape="\\")))
    query = query.order_by(col(ChangeRecord.detected_at), col(ChangeRecord.id))
    if flt.limit:
        query = query.limit(flt.limit)
    for record in session.exec(query):
        yield change_dict(record)


def version_dict(v: ObservationVersion) -> dict[str, Any]:
    return {
        "source": v.source,
        "key": v.key,
        "provider": v.provider,
        "model": v.model,
        "source_id": v.source_id,
        "distribution": v.distribution,
        "status": v.status,
        "announced_on": v.announced_on.isoformat() if v.announced_on else None,
        "shutdown_on": v.shutdown_on.isoformat() if v.shutdown_on else None,
        "shutdown_qualifier": v.shutdown_qualifier,
        "replacement": v.replacement,
        "aliases": v.aliases,
        "prices": v.prices,
        "availability": v.availability,
        "valid_from": v.valid_from.isoformat().replace("+00:00", "Z"),
        "valid_to": v.valid_to.isoformat().replace("+00:00", "Z") if v.valid_to else None,
        "url": v.url,
    }


def history(session: Session, model: str) -> list[dict[str, Any]]:
    """Every version of every row that is, or names, `model` (glob allowed), across sources."""
    like = _glob_to_like(model)
    alias_like = f"%{like}%" if ("*" in model or "?" in model) else None
    conditions = [col(ObservationVersion.model).like(like, escape="\\"),
                  col(ObservationVersion.source_id).like(like, escape="\\")]
    if alias_like is None:
        # exact alias membership in the ", "-joined list
        conditions += [col(ObservationVersion.aliases) == model,
                       col(ObservationVersion.aliases).like(f"{like}, %", escape="\\"),
                       col(ObservationVersion.aliases).like(f"%, {like}", escape="\\"),
                       col(ObservationVersion.aliases).like(f"%, {like}, %", escape="\\")]
    query = (select(ObservationVersion).where(or_(*conditions))
             .order_by(col(ObservationVersion.source), col(ObservationVersion.key),
                       col(ObservationVersion.valid_from)))
    return [version_dict(v) for v in session.exec(query)]


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
