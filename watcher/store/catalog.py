"""`watcher show MODEL`: what every source says now about one canonical model.

The argument is resolved through `watcher.identity`, so `openai/sora-2`,
`sora-2` and `azure/sora-2` all find every source's rows for openai's `sora-2`
(the Azure row included, with its distribution); ids the provider names as
aliases find the row they point to. A glob (`sora-2*`) shows each matching
model. Plain dicts out, ready to render.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from watcher.diff import shutdown_text
from watcher.disagreements import Row, effective_shutdowns
from watcher.identity import UNKNOWN_PROVIDER, resolve
from watcher.model import Observation, format_replacement
from watcher.money import format_price
from watcher.store.codec import from_row
from watcher.store.disagreements import open_for_model
from watcher.store.globs import is_glob
from watcher.store.polls import SUCCESS_OUTCOMES
from watcher.store.queries_versions import alias_condition, model_filter
from watcher.store.tables import ObservationVersion, Run
from watcher.store.values import iso_time


@dataclasses.dataclass(frozen=True, slots=True)
class _Found:
    source: str
    obs: Observation
    since: dt.datetime  # valid_from of the current version


def model_views(session: Session, query: str, today: dt.date, *,
                official_sources: Collection[str]) -> list[dict[str, Any]]:
    """One dict per canonical model matching `query`: the provider's shutdown and days
    left, each source's current row, and the open disagreements."""
    groups = _glob(session, query) if is_glob(query) else _exact(session, query)
    last_seen = _last_seen(session, {f.source for found in groups.values() for f in found})
    return [_view(session, provider, model, found, today, official_sources, last_seen)
            for (provider, model), found in sorted(groups.items())]


_TABLE = ObservationVersion.__table__


def _current() -> Any:
    return select(ObservationVersion).where(col(ObservationVersion.valid_to).is_(None))


def _found(row: ObservationVersion) -> _Found:
    return _Found(row.source, from_row(row), row.valid_from)


def _exact(session: Session, query: str) -> dict[tuple[str, str], list[_Found]]:
    identity = resolve(query)
    models = sorted({identity.model, query})
    alias_of = alias_condition(identity.model, session.get_bind().dialect.name, _TABLE.c)
    rows = session.exec(_current().where(or_(col(ObservationVersion.model).in_(models),
                                             col(ObservationVersion.source_id) == query, alias_of)))
    found = [
        _found(row) for row in rows
        if row.source_id == query or identity.provider == UNKNOWN_PROVIDER or row.provider == identity.provider
    ]
    if identity.provider == UNKNOWN_PROVIDER:
        # An id no naming rule knows (a plugin's provider): the rows say whose it is.
        groups: defaultdict[tuple[str, str], list[_Found]] = defaultdict(list)
        for f in found:
            groups[(f.obs.provider, identity.model)].append(f)
        return dict(groups)
    return {(identity.provider, identity.model): found} if found else {}


def _glob(session: Session, query: str) -> dict[tuple[str, str], list[_Found]]:
    rows = session.exec(_current().where(model_filter(query, session.get_bind().dialect.name, _TABLE.c)))
    groups: defaultdict[tuple[str, str], list[_Found]] = defaultdict(list)
    for row in rows:
        groups[(row.provider, row.model)].append(_found(row))
    return dict(groups)


def _last_seen(session: Session, sources: Collection[str]) -> dict[str, dt.datetime]:
    if not sources:
        return {}
    query = (select(Run.source, func.max(Run.observed_at))
             .where(col(Run.source).in_(list(sources)), col(Run.outcome).in_(SUCCESS_OUTCOMES))
             .group_by(Run.source))
    return {source: at for source, at in session.exec(query)}


def _view(session: Session, provider: str, model: str, found: list[_Found], today: dt.date,
          official_sources: Collection[str], last_seen: dict[str, dt.datetime]) -> dict[str, Any]:
    officials = effective_shutdowns(Row(f.source, f.obs) for f in found if f.source in official_sources)
    official = officials.get((provider, model))
    disagreements = open_for_model(session, provider, model)
    by_source: defaultdict[str, list[str]] = defaultdict(list)
    for d in disagreements:
        by_source[d.source].append(d.text)
    ordered = sorted(found, key=lambda f: (f.source not in official_sources, f.source, f.obs.key))
    return {
        "provider": provider,
        "model": model,
        "shutdown_on": official.shutdown if official else None,
        "shutdown_source": official.source if official else None,
        "days_left": (official.shutdown_on - today).days if official else None,
        "sources": [_source_row(f, last_seen, by_source) for f in ordered],
        "disagreements": [
            {"source": d.source, "kind": d.kind, "text": d.text, "since": _iso(d.since)}
            for d in disagreements
        ],
    }


def _source_row(f: _Found, last_seen: dict[str, dt.datetime], disagreements: dict[str, list[str]]) -> dict[str, Any]:
    obs = f.obs
    return {
        "source": f.source,
        "source_id": obs.source_id or obs.model,
        "key": obs.key,
        "distribution": obs.distribution,
        "status": obs.status.value if obs.status else None,
        "shutdown_on": shutdown_text(obs),
        "replacement": format_replacement(obs.replacement),
        "prices": {str(k): format_price(v) for k, v in sorted(obs.prices.items())},
        "availability": obs.availability,
        "since": _iso(f.since),
        "last_seen": _iso(last_seen.get(f.source)),
        "disagreements": disagreements.get(f.source, []) if obs.distribution is None else [],
    }


def _iso(at: dt.datetime | None) -> str | None:
    return iso_time(at) if at else None

