"""`watcher show MODEL`: what every source says now about one canonical model.

The argument is resolved through `watcher.identity`, so `openai/sora-2`,
`sora-2` and `azure/sora-2` all find every source's rows for openai's `sora-2`
(the Azure row included, with its distribution); ids the provider names as
aliases find the row they point to. A glob (`sora-2*`) shows each matching
model. Plain dicts out, ready to render. The reads are `watcher.store.catalog`'s;
whose shutdown counts and which disagreements are open is decided here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from watcher.disagreements.rules import Open, effective_shutdowns, open_from_history
from watcher.disagreements.rules import Row as Statement
from watcher.identity import UNKNOWN_PROVIDER, resolve
from watcher.model import shutdown_text
from watcher.money import format_price
from watcher.present import LISTED_FACTS, fact_texts
from watcher.store.catalog import Found as _Found
from watcher.store.catalog import current_matching, current_named, disagreement_history, is_glob, last_seen
from watcher.store.values import iso_time

if TYPE_CHECKING:
    from watcher.store.reading import QueryEngine as Engine
    from watcher.store.sql import Readable as Connection


def model_views(connection: Connection, query: str, today: dt.date, *,
                official_sources: Collection[str]) -> list[dict[str, Any]]:
    """One dict per canonical model matching `query`: the provider's shutdown and days
    left, each source's current row, and the open disagreements. Read through Core
    relations, so `watcher show` starts without the ORM."""
    groups = _glob(connection, query) if is_glob(query) else _exact(connection, query)
    seen = last_seen(connection, {f.source for found in groups.values() for f in found})
    return [_view(connection, provider, model, found, today, official_sources, seen)
            for (provider, model), found in sorted(groups.items())]


def _exact(connection: Connection, query: str) -> dict[tuple[str, str], list[_Found]]:
    identity = resolve(query)
    found = [
        f for f in current_named(connection, query, identity.model)
        if f.obs.source_id == query or identity.provider == UNKNOWN_PROVIDER or f.obs.provider == identity.provider
    ]
    if identity.provider == UNKNOWN_PROVIDER:
        # An id no naming rule knows (a plugin's provider): the rows say whose it is.
        groups: defaultdict[tuple[str, str], list[_Found]] = defaultdict(list)
        for f in found:
            groups[(f.obs.provider, identity.model)].append(f)
        return dict(groups)
    return {(identity.provider, identity.model): found} if found else {}


def _glob(connection: Connection, query: str) -> dict[tuple[str, str], list[_Found]]:
    groups: defaultdict[tuple[str, str], list[_Found]] = defaultdict(list)
    for f in current_matching(connection, query):
        groups[(f.obs.provider, f.obs.model)].append(f)
    return dict(groups)


def open_for_model(connection: Connection, provider: str, model: str) -> list[Open]:
    """The open disagreements about one canonical model."""
    found = open_from_history(disagreement_history(connection, f"{provider}/{model}"))
    return [found[ident] for ident in sorted(found)]


def _view(connection: Connection, provider: str, model: str, found: list[_Found], today: dt.date,
          official_sources: Collection[str], seen: dict[str, dt.datetime]) -> dict[str, Any]:
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
        "sources": [_source_row(f, seen, by_source) for f in ordered],
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


def _source_row(f: _Found, seen: dict[str, dt.datetime], disagreements: dict[str, list[str]]) -> dict[str, Any]:
    obs = f.obs
    facts = fact_texts(obs)
    return {
        "source": f.source,
        "source_id": obs.source_id or obs.model,
        "key": obs.key,
        "distribution": obs.distribution,
        **{field: facts[field] for field in LISTED_FACTS},
        # A mapping, not the listing's text: the JSON (and the web API's `models`) is read by
        # programs, and each listing joins the prices its own way (cli/dossier.py).
        "prices": {str(k): format_price(v) for k, v in sorted(obs.prices.items())},
        "since": _iso(f.since),
        "last_seen": _iso(seen.get(f.source)),
        "disagreements": disagreements.get(f.source, []) if obs.distribution is None else [],
    }


def _iso(at: dt.datetime | None) -> str | None:
    return iso_time(at) if at else None



def model_statements(engine: Engine, model: str, *, today: dt.date,
                     official_sources: Collection[str]) -> list[dict[str, Any]]:
    """`model_views` through the read-only engine: what `watcher show` prints."""
    with engine.connect() as connection:
        return model_views(connection, model, today, official_sources=official_sources)


def model_dossiers(engine: Engine, model: str, *, today: dt.date,
                   official_sources: Collection[str]) -> list[dict[str, Any]]:
    """`model_views` plus the full history of each model's source rows: the web page's
    dossier and the API's `models` answer (which drops the history)."""
    from watcher.store.queries_versions import history

    with engine.connect() as connection:
        views = model_views(connection, model, today, official_sources=official_sources)
        for view in views:
            view["history"] = history(connection, view["model"])
    return views
