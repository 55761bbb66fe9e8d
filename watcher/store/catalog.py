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

from sqlalchemy import Connection, Row, func, or_, select

from watcher.diff import shutdown_text
from watcher.disagreements import Open, effective_shutdowns, open_from_history
from watcher.disagreements import Row as Statement
from watcher.identity import UNKNOWN_PROVIDER, resolve
from watcher.model import ChangeKind, Observation, format_milestones, format_replacement
from watcher.money import format_price
from watcher.store.codec import from_row
from watcher.store.globs import is_glob
from watcher.store.outcomes import SUCCESS_OUTCOMES
from watcher.store.queries_versions import alias_condition, model_filter
from watcher.store.relations import CHANGE, OBSERVATION_VERSION, RUN
from watcher.store.values import iso_time


@dataclasses.dataclass(frozen=True, slots=True)
class _Found:
    source: str
    obs: Observation
    since: dt.datetime  # valid_from of the current version


def model_views(connection: Connection, query: str, today: dt.date, *,
                official_sources: Collection[str]) -> list[dict[str, Any]]:
    """One dict per canonical model matching `query`: the provider's shutdown and days
    left, each source's current row, and the open disagreements. Read through Core
    relations, so `watcher show` starts without the ORM."""
    groups = _glob(connection, query) if is_glob(query) else _exact(connection, query)
    last_seen = _last_seen(connection, {f.source for found in groups.values() for f in found})
    return [_view(connection, provider, model, found, today, official_sources, last_seen)
            for (provider, model), found in sorted(groups.items())]


_V = OBSERVATION_VERSION.c


def _current() -> Any:
    return select(OBSERVATION_VERSION).where(_V.valid_to.is_(None))


def _found(row: Row[Any]) -> _Found:
    return _Found(row.source, from_row(row), row.valid_from)


def _exact(connection: Connection, query: str) -> dict[tuple[str, str], list[_Found]]:
    identity = resolve(query)
    models = sorted({identity.model, query})
    alias_of = alias_condition(identity.model, connection.dialect.name, _V)
    rows = connection.execute(_current().where(or_(_V.model.in_(models), _V.source_id == query, alias_of)))
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


def _glob(connection: Connection, query: str) -> dict[tuple[str, str], list[_Found]]:
    rows = connection.execute(_current().where(model_filter(query, connection.dialect.name, _V)))
    groups: defaultdict[tuple[str, str], list[_Found]] = defaultdict(list)
    for row in rows:
        groups[(row.provider, row.model)].append(_found(row))
    return dict(groups)


def _last_seen(connection: Connection, sources: Collection[str]) -> dict[str, dt.datetime]:
    if not sources:
        return {}
    query = (select(RUN.c.source, func.max(RUN.c.observed_at))
             .where(RUN.c.source.in_(list(sources)), RUN.c.outcome.in_(SUCCESS_OUTCOMES))
             .group_by(RUN.c.source))
    return {source: at for source, at in connection.execute(query)}


def open_for_model(connection: Connection, provider: str, model: str) -> list[Open]:
    """The open disagreements about one canonical model."""
    c = CHANGE.c
    query = (select(c.source, c.key, c.provider, c.model, c.field, c.new, c.detected_at)
             .where(c.kind == ChangeKind.DISAGREEMENT.value, c.key == f"{provider}/{model}")
             .order_by(c.id))
    found = open_from_history((s, k, p, m, f or "", n, at) for s, k, p, m, f, n, at in connection.execute(query))
    return [found[ident] for ident in sorted(found)]


def _view(connection: Connection, provider: str, model: str, found: list[_Found], today: dt.date,
          official_sources: Collection[str], last_seen: dict[str, dt.datetime]) -> dict[str, Any]:
    rows = [Statement(f.source, f.obs) for f in found if f.source in official_sources]
    official = effective_shutdowns(rows).get((provider, model))
    if official is None and not any(r.obs.is_model for r in rows):
        # A product or an endpoint ("Evals platform", "Videos API") has no model row: the
        # provider's row about it, under its own name, states its shutdown. A scoped row
        # ("New fine-tuning training on `babbage-002`", spelt otherwise) never speaks for the model.
        own = [Statement(r.source, dataclasses.replace(r.obs, is_model=True)) for r in rows if r.obs.source_id is None]
        official = effective_shutdowns(own).get((provider, model))
    disagreements = open_for_model(connection, provider, model)
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
        "platforms": _platforms(found, official_sources, today),
        "disagreements": [
            {"source": d.source, "kind": d.kind, "text": d.text, "since": _iso(d.since)}
            for d in disagreements
        ],
    }


def _platforms(found: list[_Found], official_sources: Collection[str], today: dt.date) -> list[dict[str, Any]]:
    """The platforms' own schedules for the model (Bedrock, Vertex, Azure), as their
    first-party pages state them: shown beside the maker's date, never against it."""
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for f in found:
        obs = f.obs
        if obs.distribution is None or obs.shutdown_on is None or f.source not in official_sources:
            continue
        text = shutdown_text(obs) or obs.shutdown_on.isoformat()
        seen.setdefault((obs.distribution, text, f.source), {
            "distribution": obs.distribution, "shutdown_on": text, "source": f.source,
            "days_left": (obs.shutdown_on - today).days})
    return [seen[key] for key in sorted(seen)]


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
        "milestones": format_milestones(obs.milestones),
        "since": _iso(f.since),
        "last_seen": _iso(last_seen.get(f.source)),
        "disagreements": disagreements.get(f.source, []) if obs.distribution is None else [],
    }


def _iso(at: dt.datetime | None) -> str | None:
    return iso_time(at) if at else None

