"""What the disagreement check reads: the provider's rows, the catalog rows that
name the same models, and the history of disagreement changes (the open ones are
folded from it above the store, in `watcher.disagreements.hook`).

Only models the provider has dated are loaded from the catalogs, so a check
after every poll costs a few indexed lookups, not a scan of every catalog.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from watcher.model import ChangeKind
from watcher.model import SourceRow as Row
from watcher.store.codec import from_row
from watcher.store.derived import resolved
from watcher.store.tables import ChangeRecord, ObservationVersion, Run

_CHUNK = 500


# Plain result rows rather than ORM objects: this runs after every poll.
_VERSIONS = ObservationVersion.__table__  # type: ignore[attr-defined]  # SQLModel does not declare __table__
_CHANGES = ChangeRecord.__table__  # type: ignore[attr-defined]


def official_rows(session: Session, sources: Collection[str]) -> list[Row]:
    query = sa_select(*resolved(_VERSIONS.c)).where(
        _VERSIONS.c.source.in_(list(sources)),
        _VERSIONS.c.valid_to.is_(None),
        _VERSIONS.c.is_model.is_(True),
    )
    return [Row(v.source, from_row(v)) for v in session.connection().execute(query)]


def catalog_rows(session: Session, officials: Iterable[tuple[str, str]], *, exclude: Collection[str]) -> list[Row]:
    """Current maker's-own-API rows (distribution None) of every other source for these (provider, model)s."""
    wanted = set(officials)
    names = sorted({model for _, model in wanted})
    rows: list[Row] = []
    for start in range(0, len(names), _CHUNK):
        query = sa_select(*resolved(_VERSIONS.c)).where(
            _VERSIONS.c.model.in_(names[start : start + _CHUNK]),
            _VERSIONS.c.valid_to.is_(None),
            _VERSIONS.c.distribution.is_(None),
            _VERSIONS.c.source.not_in(list(exclude)),
        )
        rows.extend(Row(v.source, from_row(v)) for v in session.connection().execute(query)
                    if (v.provider, v.model) in wanted)
    return rows


def dated_sources(session: Session, sources: Iterable[str]) -> set[str]:
    """The sources among `sources` whose current rows state a shutdown date anywhere."""
    found: set[str] = set()
    for source in sorted(set(sources)):
        query = select(ObservationVersion.id).where(
            ObservationVersion.source == source,
            col(ObservationVersion.valid_to).is_(None),
            col(ObservationVersion.shutdown_on).is_not(None),
        ).limit(1)
        if session.exec(query).first() is not None:
            found.add(source)
    return found


def latest_observation(session: Session) -> dt.datetime | None:
    """The newest time any source spoke for: the current rows describe the world as of then."""
    return session.exec(select(func.max(Run.observed_at))).one()


def disagreement_history(session: Session) -> list[tuple[Any, ...]]:
    """Every disagreement change, oldest first, as (source, key, provider, model, field,
    new, detected_at): `watcher.disagreements.hook.open_disagreements` folds them."""
    c = _CHANGES.c
    query = sa_select(c.id, c.source, c.key, c.provider, c.model, c.field, c.new, c.detected_at).where(
        c.kind == ChangeKind.DISAGREEMENT.value)
    # Sorted here, not by ORDER BY id: SQLite would walk the whole change table in id
    # order rather than read the partial index of disagreements and sort those few
    # (8 ms per poll and per page on a year of changes, against 0.05 ms).
    rows = sorted(session.connection().execute(query), key=lambda row: int(row[0]))
    return [(s, k, p, m, f or "", n, at) for _, s, k, p, m, f, n, at in rows]

