"""What `watcher show MODEL` reads: current rows by name, alias or glob, when each
source last answered, and one model's disagreement history. Read through Core
relations, so `watcher show` starts without the ORM. The view itself (whose
shutdown counts, what is still open) is assembled above the store, in `watcher.show`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select

from watcher.model import ChangeKind, Observation
from watcher.store.codec import from_row
from watcher.store.derived import resolved
from watcher.store.globs import is_glob
from watcher.store.outcomes import SUCCESS_OUTCOMES
from watcher.store.queries_versions import alias_condition, model_filter, own_id_fits
from watcher.store.relations import CHANGE, OBSERVATION_VERSION, RUN


@dataclasses.dataclass(frozen=True, slots=True)
class Found:
    source: str
    obs: Observation
    since: dt.datetime  # valid_from of the current version


_V = OBSERVATION_VERSION.c


def _current() -> Any:
    return select(*resolved(_V)).where(_V.valid_to.is_(None))


def _found(row: Row[Any]) -> Found:
    return Found(row.source, from_row(row), row.valid_from)


def current_named(connection: Connection, query: str, model: str) -> list[Found]:
    """Current rows whose model is `query` or its resolved `model`, whose source id is
    `query`, or that name `model` among their aliases."""
    models = sorted({model, query})
    alias_of = alias_condition(model, connection.dialect.name, _V)
    # Three lookups, each on its own index, instead of one OR that scans every version.
    rows: dict[tuple[str, str], Row[Any]] = {}
    for condition in (_V.model.in_(models), own_id_fits(lambda own: own == query, _V), alias_of):
        for row in connection.execute(_current().where(condition)):
            rows.setdefault((row.source, row.key), row)
    return [_found(row) for _, row in sorted(rows.items())]


def current_matching(connection: Connection, glob: str) -> list[Found]:
    """Current rows whose model fits the glob."""
    rows = connection.execute(_current().where(model_filter(glob, connection.dialect.name, _V)))
    return [_found(row) for row in rows]


def last_seen(connection: Connection, sources: Collection[str]) -> dict[str, dt.datetime]:
    """Per source, its newest successful run's observation time."""
    found: dict[str, dt.datetime] = {}
    # One seek of the (source, observed_at) index per source, newest first, skipping the
    # failed runs; a MAX() grouped over sources read every run instead (30 ms on a year).
    query = (select(RUN.c.observed_at)
             .where(RUN.c.source == bindparam("source"), RUN.c.outcome.in_(SUCCESS_OUTCOMES))
             .order_by(RUN.c.observed_at.desc()).limit(1))
    for source in sorted(sources):
        at = connection.execute(query, {"source": source}).scalar()
        if at is not None:
            found[source] = at
    return found


def disagreement_history(connection: Connection, key: str) -> list[tuple[Any, ...]]:
    """One model's disagreement changes, oldest first, as (source, key, provider, model,
    field, new, detected_at): `watcher.disagreements.rules.open_from_history` folds them."""
    c = CHANGE.c
    query = (select(c.source, c.key, c.provider, c.model, c.field, c.new, c.detected_at)
             .where(c.kind == ChangeKind.DISAGREEMENT.value, c.key == key)
             .order_by(c.id))
    return [(s, k, p, m, f or "", n, at) for s, k, p, m, f, n, at in connection.execute(query)]


__all__ = ["Found", "current_matching", "current_named", "disagreement_history", "is_glob", "last_seen"]
