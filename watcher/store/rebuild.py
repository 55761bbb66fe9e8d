"""The SQL of a re-parse (`watcher.poll.replay`): a source's runs in order, which
documents are still kept, undoing what runs derived, and the measures a report
compares before and after. The replay decides what the runs mean; the change
kinds it derives are passed in."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from watcher.store.tables import Absence, ChangeRecord, DocumentBlob, ObservationVersion, Run

CHUNK = 500  # hashes per IN (…): well under every database's bound-parameter limit


def lock_versions(session: Session) -> None:
    """Keep polls from writing versions while they are rebuilt (SQLite: BEGIN IMMEDIATE did it)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql("LOCK TABLE version_record IN SHARE ROW EXCLUSIVE MODE")


def runs_in_order(session: Session, source: str) -> list[Run]:
    """Every run of `source`, oldest observation first."""
    return list(session.exec(select(Run).where(Run.source == source)
                             .order_by(col(Run.observed_at), col(Run.id))))


def runs_by_id(session: Session, ids: Collection[int]) -> dict[int | None, Run]:
    return {run.id: run for run in session.exec(select(Run).where(col(Run.id).in_(list(ids))))}


def observation_times(session: Session, source: str) -> set[dt.datetime]:
    """When each recorded run of `source` observed it."""
    return set(session.exec(select(Run.observed_at).where(Run.source == source)))


def kept_documents(session: Session, hashes: Collection[str]) -> set[str]:
    """Which of these document hashes still have their body stored."""
    kept: set[str] = set()
    listed = sorted(hashes)
    for offset in range(0, len(listed), CHUNK):
        chunk = listed[offset : offset + CHUNK]
        kept.update(session.exec(select(DocumentBlob.sha256).where(col(DocumentBlob.sha256).in_(chunk))))
    return kept


def kept_change_counts(session: Session, source: str, derived_kinds: Sequence[str]) -> dict[int | None, int]:
    """Per run of `source`: how many of its changes are not of `derived_kinds` (kept as recorded)."""
    kept = session.exec(select(ChangeRecord.run_id, func.count()).where(
        ChangeRecord.source == source, col(ChangeRecord.kind).not_in(derived_kinds))
        .group_by(col(ChangeRecord.run_id)))
    return {run_id: int(n) for run_id, n in kept}


def reset_derived(session: Session, source: str, since: dt.datetime, derived_kinds: Sequence[str]) -> None:
    """Undo what runs from `since` on derived: their versions, changes of `derived_kinds` and absences."""
    v = ObservationVersion
    session.exec(delete(v).where(col(v.source) == source, col(v.valid_from) >= since))
    session.exec(update(v).where(col(v.source) == source, col(v.valid_to) >= since).values(valid_to=None))
    session.exec(delete(ChangeRecord).where(
        col(ChangeRecord.source) == source, col(ChangeRecord.detected_at) >= since,
        col(ChangeRecord.kind).in_(derived_kinds)))
    session.exec(delete(Absence).where(col(Absence.source) == source))
    session.flush()


def stage_run(session: Session, run: Run) -> None:
    """Keep the replayed run's new fields (written at the next flush)."""
    session.add(run)


def flush(session: Session) -> None:
    session.flush()


def version_tuples(session: Session, source: str) -> Counter[tuple[Any, ...]]:
    """Every version of `source` as a tuple of its stored fields, counted."""
    v = ObservationVersion
    fields = [v.key, v.provider, v.model, v.source_id, v.distribution, v.is_model, v.status, v.announced_on,
              v.shutdown_on, v.shutdown_qualifier, v.replacement, v.aliases, v.price_set, v.availability,
              v.milestones, v.valid_from, v.valid_to]
    return Counter(tuple(row) for row in session.exec(select(*fields).where(v.source == source)))  # type: ignore[arg-type, type-var]


def change_tuples(session: Session, source: str, kinds: Sequence[str]) -> Counter[tuple[Any, ...]]:
    """Every change of `source` of these kinds as (key, kind, field, old, new, detected at), counted."""
    c = ChangeRecord
    return Counter(tuple(row) for row in session.exec(
        select(c.key, c.kind, c.field, c.old, c.new, c.detected_at)  # type: ignore[call-overload]
        .where(c.source == source, col(c.kind).in_(kinds))))


def current_row_count(session: Session, source: str) -> int:
    return int(session.exec(select(func.count()).select_from(ObservationVersion).where(
        ObservationVersion.source == source, col(ObservationVersion.valid_to).is_(None))).one())
