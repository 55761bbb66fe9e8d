"""Pure: every source's current rows in, what each known id resolves to out.

An id resolves to the row it names: its own model id first, then a source's
spelling of it (`openai/sora-2`, `azure/sora-2`), then an alias a source names
for another row (`gpt-4` → `gpt-4-0613`). Where a spelling names both the
maker's own model and a third party's deployment, the maker's own wins; an id
only a third party uses (`azure/sora-2`) resolves to that deployment.

Days are counted from the provider's own date (the same effective shutdown as
`watcher show` and the reminders: the latest announcement of the first-party
sources), never from a catalog's: a catalog that disagrees is noted, and a
catalog's date for a model its provider has not dated is noted too, but is not
a countdown. A third party's deployment counts down to its own stated date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from typing import Final

from watcher.disagreements.rules import Official, Row, effective_shutdowns, find
from watcher.model import Observation, Status, format_replacement, shutdown_text

# Statuses that make a model worth finding even before any date is announced.
DOOMED_STATUSES: Final = frozenset({Status.LEGACY, Status.DEPRECATED, Status.RETIRED})
_STATUS_WEIGHT: Final = {Status.ACTIVE: 0, Status.PREVIEW: 1, Status.LEGACY: 2, Status.DEPRECATED: 3,
                         Status.RETIRED: 4}

Target = tuple[str, str, str | None]  # provider, model, distribution


@dataclasses.dataclass(frozen=True, slots=True)
class Lifecycle:
    """What the database says now about one model (or product)."""

    provider: str
    model: str
    distribution: str | None  # a third party's deployment, with a schedule of its own
    status: str | None
    shutdown_on: dt.date | None  # the provider's own date (the deployment's own, for a distribution)
    shutdown: str | None  # as worded: "2026-09-24", "2026-06-01 (month)", "2024-06-13 (earliest)"
    shutdown_source: str | None
    replacement: str | None  # "---": the provider says there is none
    notes: tuple[str, ...] = ()  # catalogs' disagreements and dates

    @property
    def name(self) -> str:
        return f"{self.provider}/{self.model}" + (f" via {self.distribution}" if self.distribution else "")

    @property
    def doomed(self) -> bool:
        return self.shutdown_on is not None or bool(self.notes) or (
            self.status is not None and Status(self.status) in DOOMED_STATUSES)


@dataclasses.dataclass(frozen=True, slots=True)
class Index:
    models: Mapping[str, Lifecycle]  # id as written in code -> what it resolves to
    products: Mapping[str, Lifecycle]  # product row name (`Videos API`) -> its lifecycle
    missing_products: tuple[str, ...] = ()  # configured, but no source lists them


def build_index(rows: Iterable[Row], today: dt.date, *, official_sources: Collection[str],
                products: Collection[str] = (), include_all: bool = False) -> Index:
    """The ids worth finding (all known ids with `include_all`) and the configured products."""
    rows = list(rows)
    models = [r for r in rows if r.obs.is_model]
    officials = effective_shutdowns(r for r in models if r.source in official_sources)
    catalog = [r for r in models if r.source not in official_sources and r.obs.distribution is None]
    dated = {r.source for r in rows if r.obs.shutdown_on is not None}
    disagreements: defaultdict[tuple[str, str], list[str]] = defaultdict(list)
    for d in find(officials, catalog, today, dated_sources=dated):
        disagreements[(d.provider, d.model)].append(d.text)

    by_target: defaultdict[Target, list[Row]] = defaultdict(list)
    for row in models:
        by_target[(row.obs.provider, row.obs.model, row.obs.distribution)].append(row)
    judged: dict[Target, Lifecycle] = {}

    def lifecycle(target: Target) -> Lifecycle:
        if target not in judged:
            judged[target] = _lifecycle(target, by_target[target], officials, disagreements, official_sources)
        return judged[target]

    spelled: dict[str, Lifecycle] = {}
    for spelling, target in _spellings(models).items():
        found = lifecycle(target)
        if include_all or found.doomed:
            spelled[spelling] = found
    named, missing = _products(rows, products, official_sources)
    return Index(spelled, named, missing)


def _spellings(models: list[Row]) -> dict[str, Target]:
    """Each id a source uses -> the target it names: own id, then a source's spelling, then an alias;
    the maker's own model before a third party's deployment."""
    best: dict[str, tuple[tuple[int, bool, str, str, str], Target]] = {}
    for row in models:
        obs = row.obs
        target: Target = (obs.provider, obs.model, obs.distribution)
        names = [(obs.model, 0), (obs.source_id, 1), *((alias, 2) for alias in obs.aliases)]
        for name, rank in names:
            if not name:
                continue
            key = (rank, obs.distribution is not None, obs.provider, obs.model, obs.distribution or "")
            if name not in best or key < best[name][0]:
                best[name] = (key, target)
    return {name: target for name, (_, target) in best.items()}


def _lifecycle(target: Target, rows: list[Row], officials: Mapping[tuple[str, str], Official],
               disagreements: Mapping[tuple[str, str], list[str]], official_sources: Collection[str]) -> Lifecycle:
    provider, model, distribution = target
    notes: list[str] = []
    if distribution is None:
        official = officials.get((provider, model))
        notes += disagreements.get((provider, model), [])
        if official is None:
            notes += [f"{r.source} says it shuts down {shutdown_text(r.obs)}; {provider} has announced no date"
                      for r in rows if r.obs.shutdown_on is not None]
        elif official.row.model != model:
            notes.append(f"{model} points to {official.row.model}")
    else:
        official = _deployment_shutdown(rows)
        own = officials.get((provider, model))
        if own is not None:
            notes.append(f"{provider}'s own API shuts it down {own.shutdown}")
    status = _status(official.row if official else None, rows)
    replacement = official.row.replacement if official else next(
        (r.obs.replacement for r in sorted(rows, key=lambda r: r.source not in official_sources)
         if r.obs.replacement is not None), None)
    return Lifecycle(
        provider=provider, model=model, distribution=distribution, status=status,
        shutdown_on=official.shutdown_on if official else None,
        shutdown=official.shutdown if official else None,
        shutdown_source=official.source if official else None,
        replacement=format_replacement(replacement),
        notes=tuple(sorted(set(notes))),
    )


def _deployment_shutdown(rows: list[Row]) -> Official | None:
    """A third party's own schedule for its deployment: the date its rows state, latest
    announcement first (`effective_shutdowns` speaks for makers only)."""
    dated = [(r, r.obs.shutdown_on) for r in rows if r.obs.shutdown_on is not None]
    if not dated:
        return None
    row, day = max(dated, key=lambda pair: (pair[0].obs.announced_on or dt.date.min, pair[0].source, pair[0].obs.key))
    return Official(row.source, row.obs, day)


def _status(official: Observation | None, rows: list[Row]) -> str | None:
    if official is not None and official.status is not None:
        return official.status.value
    statuses = [r.obs.status for r in rows if r.obs.status is not None]
    return max(statuses, key=lambda s: _STATUS_WEIGHT[s]).value if statuses else None


def _products(rows: list[Row], products: Collection[str],
              official_sources: Collection[str]) -> tuple[dict[str, Lifecycle], tuple[str, ...]]:
    """Products are rows such as `Videos API` (not models): matched by the name the provider gives the row."""
    found: dict[str, Lifecycle] = {}
    missing: list[str] = []
    for name in sorted(products):
        named = sorted((r for r in rows if r.obs.model == name),
                       key=lambda r: (r.source not in official_sources, r.obs.provider, r.source, r.obs.key))
        if not named:
            missing.append(name)
            continue
        provider = named[0].obs.provider
        mine = [r for r in named if r.obs.provider == provider]
        # `effective_shutdowns` only considers model rows: a product row is one for this question.
        as_models = [Row(r.source, dataclasses.replace(r.obs, is_model=True)) for r in mine]
        official = effective_shutdowns(r for r in as_models if r.source in official_sources).get((provider, name))
        found[name] = _lifecycle((provider, name, None), as_models, {(provider, name): official} if official else {},
                                 {}, official_sources)
    return found, tuple(missing)
