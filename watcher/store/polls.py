"""The write side of a poll: what the pipeline reads before diffing, and the commit."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import and_, func, insert, or_, text, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from watcher.model import Change, Observation
from watcher.store import source_state as source_states
from watcher.store.codec import from_row, price_digest, prices_to_text, row_values
from watcher.store.derived import resolved
from watcher.store.outcomes import FAILURE_OUTCOMES, SUCCESS_OUTCOMES
from watcher.store.source_state import SourceState
from watcher.store.tables import (
    Absence,
    ChangeRecord,
    DocumentBlob,
    ObservationVersion,
    PriceSet,
    Run,
)

_T = TypeVar("_T")

__all__ = ["FAILURE_OUTCOMES", "SUCCESS_OUTCOMES"]  # re-exported: callers know them as polls.*


def lock_source(session: Session, source: str) -> None:
    """Serialise writers of one source for the rest of this transaction.

    Two pollers of the same source (a manual `watcher poll` beside the daemon, a
    reparse) must not both diff against the same current versions: the second
    waits here, then sees the first's result. SQLite needs nothing: its writers
    already hold the database lock from BEGIN IMMEDIATE.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:source))"), {"source": f"watcher:{source}"})


def content_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def last_run(session: Session, source: str, *, successful: bool = False) -> Run | None:
    query = select(Run).where(Run.source == source)
    if successful:
        query = query.where(col(Run.outcome).in_(SUCCESS_OUTCOMES))
    return session.exec(query.order_by(col(Run.started_at).desc(), col(Run.id).desc()).limit(1)).first()


def last_runs_with_body(session: Session, source: str, limit: int = 200) -> list[tuple[Run, str | None]]:
    """The source's latest successful runs that kept a body, newest first, with the body's media type."""
    query = (select(Run, DocumentBlob.content_type)
             .join(DocumentBlob, col(DocumentBlob.sha256) == col(Run.content_hash))
             .where(Run.source == source, col(Run.outcome).in_(SUCCESS_OUTCOMES))
             .order_by(col(Run.started_at).desc(), col(Run.id).desc()).limit(limit))
    return [(run, content_type) for run, content_type in session.exec(query)]


def latest_observed_at(session: Session, source: str) -> dt.datetime | None:
    return session.exec(select(func.max(Run.observed_at)).where(Run.source == source)).one()


def consecutive_failures(session: Session, source: str) -> int:
    """Failed or refused runs since the source's last successful one."""
    last_ok = last_run(session, source, successful=True)
    query = select(func.count()).select_from(Run).where(
        Run.source == source, col(Run.outcome).in_(FAILURE_OUTCOMES)
    )
    if last_ok is not None:
        query = query.where(col(Run.id) > last_ok.id)
    return int(session.exec(query).one())


def current_versions(session: Session, source: str) -> dict[str, Observation]:
    # Plain rows, not ORM objects: hydrating 3,000 SQLModel instances per poll
    # cost more than the parse itself.
    table = ObservationVersion.__table__  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    rows = session.connection().execute(
        core_select(*resolved(table.c)).where(table.c.source == source, table.c.valid_to.is_(None))
    )
    return {row.key: from_row(row) for row in rows}


def absences(session: Session, source: str) -> dict[str, int]:
    rows = session.exec(select(Absence).where(Absence.source == source))
    return {row.key: row.misses for row in rows}


def add_run(session: Session, run: Run) -> Run:
    session.add(run)
    session.flush()
    return run


def apply_versions(
    session: Session,
    *,
    source: str,
    run_id: int,
    at: dt.datetime,
    upserts: Sequence[Observation],
    delisted: Iterable[str],
    absences_now: Mapping[str, int],
) -> None:
    """Close replaced or delisted versions, open new ones, and record absences."""
    closing = [obs.key for obs in upserts] + list(delisted)
    for chunk in chunks(closing, 500):
        session.exec(
            update(ObservationVersion)
            .where(
                col(ObservationVersion.source) == source,
                col(ObservationVersion.key).in_(chunk),
                col(ObservationVersion.valid_to).is_(None),
            )
            .values(valid_to=at)
        )
    if upserts:
        run = session.get(Run, run_id)
        run_url = run.url if run is not None else None
        prices = [prices_to_text(obs.prices) for obs in upserts]
        sets = store_price_sets(session, [text for text in prices if text is not None])
        # A Core executemany: building ORM objects for a catalog's worth of new
        # versions was the slowest step of a baseline poll.
        session.connection().execute(
            ObservationVersion.__table__.insert(),  # type: ignore[attr-defined]  # SQLModel does not declare __table__
            [row_values(obs, source=source, valid_from=at, run_id=run_id, run_url=run_url,
                        price_set=None if text is None else sets[text])
             for obs, text in zip(upserts, prices, strict=True)],
        )

    existing = {row.key: row for row in session.exec(select(Absence).where(Absence.source == source))}
    for key, row in existing.items():
        if key in absences_now:
            row.misses = absences_now[key]  # first_missed_at keeps the first miss
        else:
            session.delete(row)
    session.add_all(
        Absence(source=source, key=key, misses=misses, first_missed_at=at)
        for key, misses in absences_now.items()
        if key not in existing
    )
    session.flush()


def store_price_sets(session: Session, texts: Iterable[str]) -> dict[str, int]:
    """The id of each price set (prices text), storing those not stored yet in one bulk
    INSERT … RETURNING. Two sources' polls storing the same new set at once store it
    twice, which readers cannot tell: a version reads the text its id names."""
    table = PriceSet.__table__  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    connection = session.connection()
    digests = {text: price_digest(text) for text in texts}
    ids: dict[str, int] = {}
    for chunk in chunks(sorted(set(digests.values())), 500):
        for set_id, stored in connection.execute(
                core_select(table.c.id, table.c.prices).where(table.c.digest.in_(chunk)).order_by(table.c.id)):
            if stored in digests:
                ids.setdefault(stored, set_id)
    new = [{"digest": digest, "prices": stated} for stated, digest in digests.items() if stated not in ids]
    if new:
        statement = insert(table).returning(table.c.id, table.c.prices, sort_by_parameter_order=True)
        ids.update((stated, set_id) for set_id, stated in connection.execute(statement, new))
    return ids


def add_changes(session: Session, changes: Sequence[Change], *, run_id: int | None,
                at: dt.datetime) -> list[ChangeRecord]:
    """Write `changes` as one bulk INSERT … RETURNING (in order): constructing and
    flushing an ORM object per change took half of a 1,700-change poll. The records
    returned are in the session, so hooks may still mark them (a silence)."""
    if not changes:
        return []
    rows = [
        dict(run_id=run_id, source=c.source, key=c.key, provider=c.provider, model=c.model, kind=c.kind.value,
             field=c.field, old=c.old, new=c.new, severity=c.severity.value, note=c.note, detected_at=at)
        for c in changes
    ]
    statement = insert(ChangeRecord).returning(ChangeRecord, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def chunks(items: Sequence[_T], size: int) -> Iterable[Sequence[_T]]:
    """`items` in slices of at most `size`: bound parameters per statement stay few."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def source_state(session: Session, source: str) -> SourceState:
    """Where the source stands (see `watcher.store.source_state`), inside this session."""
    return source_states.source_state(session.connection(), source)


def refused_run(session: Session, source: str) -> Run | None:
    """The latest refused run since the source's last successful one (None: not refused)."""
    last_ok = last_run(session, source, successful=True)
    query = select(Run).where(Run.source == source, Run.outcome == "refused")
    if last_ok is not None:
        query = query.where(_after(last_ok))
    return session.exec(query.order_by(col(Run.started_at).desc(), col(Run.id).desc()).limit(1)).first()


def refused_since(session: Session, source: str) -> dt.datetime | None:
    """When the source's current refusal streak began (None: not refused)."""
    state = source_state(session, source)
    return state.since if state.state == "refused" else None


def _after(run: Run) -> Any:
    """Runs after `run` in the order `last_run` uses."""
    return or_(col(Run.started_at) > run.started_at, and_(col(Run.started_at) == run.started_at,
                                                          col(Run.id) > run.id))
