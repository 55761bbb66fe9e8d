"""What the alerts read of the recorded history, inside the transaction that records
a poll, to decide what is news: the run before (a re-read of the same body?), what
a change supersedes (its dedupe anchor), a row's recent changes (flapping), and
whether the first round of polls is complete (the hello). `watcher.alerts` holds
the rules; these are their queries, called with plain values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, func, select

from watcher.store import derived
from watcher.store.outcomes import SUCCESS_OUTCOMES
from watcher.store.tables import ChangeRecord, ObservationVersion, Run

CHUNK = 500  # keys per IN (…): well under every database's bound-parameter limit


def previous_successful_run(session: Session, source: str, before_run: int) -> Run | None:
    """The source's newest successful run older than run `before_run`."""
    return session.exec(select(Run).where(
        Run.source == source, col(Run.outcome).in_(SUCCESS_OUTCOMES), col(Run.id) < before_run)
        .order_by(col(Run.id).desc()).limit(1)).first()


def last_successful_run_id(session: Session, source: str, before_run: int) -> int | None:
    return session.exec(select(func.max(Run.id)).where(
        Run.source == source, col(Run.outcome).in_(SUCCESS_OUTCOMES), col(Run.id) < before_run)).one()


def last_change_id(session: Session, source: str, kind: str, before_run: int) -> int | None:
    """The newest change of `kind` of the source recorded by a run older than `before_run`."""
    return session.exec(select(func.max(ChangeRecord.id)).where(
        ChangeRecord.source == source, ChangeRecord.kind == kind,
        col(ChangeRecord.run_id) < before_run)).one()


def newest_versions_before(session: Session, source: str, keys: Sequence[str], before_run: int) -> dict[str, int]:
    """Per key of `source`: the id of the newest version written by a run older than `before_run`."""
    found: dict[str, int] = {}
    for start in range(0, len(keys), CHUNK):
        rows = session.exec(select(ObservationVersion.key, func.max(ObservationVersion.id)).where(
            ObservationVersion.source == source, col(ObservationVersion.key).in_(keys[start:start + CHUNK]),
            col(ObservationVersion.run_id) < before_run).group_by(ObservationVersion.key))
        found.update({key: version for key, version in rows if version is not None})
    return found


def changes_of_keys(session: Session, source: str, keys: Sequence[str], after: dt.datetime,
                    before: dt.datetime) -> list[ChangeRecord]:
    """The source's changes to these keys detected strictly between `after` and `before`."""
    ordered = sorted(keys)
    out: list[ChangeRecord] = []
    for start in range(0, len(ordered), CHUNK):
        out += session.exec(select(ChangeRecord).where(
            ChangeRecord.source == source, col(ChangeRecord.key).in_(ordered[start:start + CHUNK]),
            col(ChangeRecord.detected_at) > after, col(ChangeRecord.detected_at) < before))
    return out


def has_earlier_polled_run(session: Session, source: str, before_run: int) -> bool:
    """Did the source run (not an ingest) before run `before_run`?"""
    return session.exec(select(Run.id).where(Run.source == source, col(Run.id) < before_run,
                                             Run.trigger != "ingest").limit(1)).first() is not None


def sources_that_ran(session: Session, names: Sequence[str]) -> set[str]:
    """Which of these sources have at least one run."""
    return set(session.exec(select(Run.source).where(col(Run.source).in_(names)).distinct()))


def rows_of_last_success(session: Session, names: Sequence[str]) -> dict[str, int | None]:
    """Per source of `names` that has succeeded: how many rows its last successful run read."""
    last = select(Run.source, func.max(Run.id)).where(col(Run.source).in_(names),
                                                     col(Run.outcome).in_(SUCCESS_OUTCOMES)).group_by(Run.source)
    out: dict[str, int | None] = {}
    for name, run_id in session.exec(last).all():
        found = session.get(Run, run_id)
        out[name] = found.rows if found is not None else None
    return out


def current_model_names(session: Session) -> list[tuple[Any, ...]]:
    """(model, key, source id, aliases, shutdown date) of every current version of a model."""
    return list(session.exec(select(  # type: ignore[call-overload]  # sqlmodel types up to 4 columns
                                    ObservationVersion.model, ObservationVersion.key,
                                    derived.source_id(ObservationVersion.__table__.c),  # type: ignore[attr-defined]
                                    ObservationVersion.aliases,
                                    ObservationVersion.shutdown_on)
                             .where(col(ObservationVersion.valid_to).is_(None),
                                    col(ObservationVersion.is_model).is_(True))).all())
