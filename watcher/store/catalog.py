"""What `watcher show MODEL` reads: current rows by name, alias or glob, when each
source last answered, and one model's disagreement history. Read as SQL text
(`watcher.store.sql`), so `watcher show` on SQLite starts without SQLAlchemy. The
view itself (whose shutdown counts, what is still open) is assembled above the
store, in `watcher.show`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
from collections.abc import Callable, Collection
from typing import Any, Final

from watcher.model import ChangeKind, Observation
from watcher.store.codec import from_row
from watcher.store.globs import is_glob
from watcher.store.layout import VERSION_AS_READ
from watcher.store.outcomes import SUCCESS_OUTCOMES
from watcher.store.queries_versions import alias_condition, model_filter, own_id_fits, selected
from watcher.store.sql import Params, Readable, dialect, listed, rows
from watcher.store.values import aware_time, typed_rows_of


@dataclasses.dataclass(frozen=True, slots=True)
class Found:
    source: str
    obs: Observation
    since: dt.datetime  # valid_from of the current version


# Every version column but the id, as readers see them (`watcher.store.derived`).
_SELECT, _COLUMNS = selected(tuple(name for name, _ in VERSION_AS_READ if name != "id"))


def _current(connection: Readable, condition: str, p: Params) -> list[Found]:
    found = typed_rows_of(rows(connection, f"{_SELECT} WHERE v.valid_to IS NULL AND {condition}", p), _COLUMNS)
    return [Found(row["source"], from_row(types.SimpleNamespace(**row)), row["valid_from"]) for row in found]


def current_named(connection: Readable, query: str, model: str) -> list[Found]:
    """Current rows whose model is `query` or its resolved `model`, whose source id is
    `query`, or that name `model` among their aliases."""
    models = sorted({model, query})
    name = dialect(connection)
    # Three lookups, each on its own index, instead of one OR that scans every version.
    found: dict[tuple[str, str], Found] = {}
    conditions: list[Callable[[Params], str]] = [
        lambda p: f"v.model IN {p.among(models)}",
        lambda p: own_id_fits(f"{{}} = {p(query)}"),
        lambda p: alias_condition(p, model, name),
    ]
    for condition in conditions:
        p = Params()
        for f in _current(connection, condition(p), p):
            found.setdefault((f.source, f.obs.key), f)
    return [f for _, f in sorted(found.items())]


def current_matching(connection: Readable, glob: str) -> list[Found]:
    """Current rows whose model fits the glob."""
    p = Params()
    return _current(connection, model_filter(p, glob, dialect(connection)), p)


# One seek of the (source, observed_at) index per source, newest first, skipping the
# failed runs; a MAX() grouped over sources read every run instead (30 ms on a year).
_LAST_SEEN: Final = (f"SELECT observed_at FROM run WHERE source = :source AND outcome IN {listed(SUCCESS_OUTCOMES)} "
                     "ORDER BY observed_at DESC LIMIT 1")


def last_seen(connection: Readable, sources: Collection[str]) -> dict[str, dt.datetime]:
    """Per source, its newest successful run's observation time."""
    found: dict[str, dt.datetime] = {}
    for source in sorted(sources):
        at = aware_time(next((row[0] for row in rows(connection, _LAST_SEEN, {"source": source})), None))
        if at is not None:
            found[source] = at
    return found


def disagreement_history(connection: Readable, key: str) -> list[tuple[Any, ...]]:
    """One model's disagreement changes, oldest first, as (source, key, provider, model,
    field, new, detected_at): `watcher.disagreements.rules.open_from_history` folds them."""
    sql = ("SELECT source, key, provider, model, field, new, detected_at FROM change_record "
           "WHERE kind = :kind AND key = :key ORDER BY id")
    found = rows(connection, sql, {"kind": ChangeKind.DISAGREEMENT.value, "key": key})
    return [(s, k, p, m, f or "", n, aware_time(at)) for s, k, p, m, f, n, at in found]


__all__ = ["Found", "current_matching", "current_named", "disagreement_history", "is_glob", "last_seen"]
