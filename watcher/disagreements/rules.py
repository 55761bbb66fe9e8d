"""Pure: where catalogs disagree with the provider about a model's shutdown (docs/architecture.md, "Changes, severity and disagreements").

Given the current rows of the provider's own sources ("official") and of the
catalogs, `find` returns every disagreement that holds now; `reconcile` turns the
difference between that set and the open ones into `disagreement` changes, one
when a disagreement appears (old None, new = the text) and one when it goes away
(old = the text, new = "resolved"). A disagreement is identified by (catalog
source, model, kind) so it is reported once however its text evolves.

Only catalog rows with `distribution` None are compared: Azure, Bedrock or an
OpenRouter `:free` endpoint have schedules of their own, and reading theirs as
the maker's would cry wolf.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Final

from watcher.model import Change, ChangeKind, Observation, SourceRow, shutdown_text

RESOLVED: Final = "resolved"
_MAX_IDS: Final = 3  # source ids named in one message; the rest are counted


class Kind(StrEnum):
    """The `field` of a disagreement change."""

    LISTED_AFTER_SHUTDOWN = "listed_after_shutdown"
    SHUTDOWN_DIFFERS = "shutdown_differs"
    NO_SHUTDOWN_DATE = "no_shutdown_date"


Row = SourceRow  # one current row of one source (the store reads them)


@dataclasses.dataclass(frozen=True, slots=True)
class Official:
    """The provider's effective statement about one model: its latest announcement's row."""

    source: str
    row: Observation  # the chosen row; `row.model` may differ from the model when matched by alias
    shutdown_on: dt.date

    @property
    def shutdown(self) -> str:
        return shutdown_text(self.row) or self.shutdown_on.isoformat()


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class Disagreement:
    source: str  # the catalog that disagrees
    provider: str
    model: str  # canonical
    kind: Kind
    text: str = dataclasses.field(compare=False)

    @property
    def ident(self) -> tuple[str, str, str]:
        return (self.source, model_key(self.provider, self.model), self.kind.value)


def model_key(provider: str, model: str) -> str:
    """The `key` of a disagreement change: the canonical model, not a source's row key."""
    return f"{provider}/{model}"


def effective_shutdowns(rows: Iterable[Row]) -> dict[tuple[str, str], Official]:
    """(provider, model) -> the provider's effective shutdown, for models that have one.

    The latest announcement wins (OpenAI lists `gpt-4-1106-preview` under two
    announcements with different dates). Aliases the provider names for a row
    (`gpt-4` → `gpt-4-0613`) match too, but never override a model's own rows.
    Only rows that state a shutdown compete: the provider's price list names `o1`
    too, and must not hide the date its deprecations page gives `o1` by alias.
    Rows with a distribution never do: Anthropic's Bedrock table is Bedrock's
    schedule for the model, not Anthropic's.
    """
    latest: dict[tuple[str, str], Row] = {}
    for row in rows:
        if not row.obs.is_model or row.obs.shutdown_on is None or row.obs.distribution is not None:
            continue
        ident = (row.obs.provider, row.obs.model)
        if ident not in latest or _announcement(row) > _announcement(latest[ident]):
            latest[ident] = row
    found = {ident: Official(row.source, row.obs, row.obs.shutdown_on)
             for ident, row in latest.items() if row.obs.shutdown_on is not None}
    by_alias: dict[tuple[str, str], Row] = {}
    for row in latest.values():
        for alias in row.obs.aliases:
            ident = (row.obs.provider, alias)
            if ident not in latest and (ident not in by_alias or _announcement(row) > _announcement(by_alias[ident])):
                by_alias[ident] = row
    for ident, row in by_alias.items():
        if row.obs.shutdown_on is not None:
            found[ident] = Official(row.source, row.obs, row.obs.shutdown_on)
    return found


def _announcement(row: Row) -> tuple[dt.date, str]:
    # Undated announcements sort first; the key breaks ties so the choice is stable.
    return (row.obs.announced_on or dt.date.min, row.obs.key)


def last_day(official: Official) -> dt.date | None:
    """The last day the model may still be served; None when the provider is too vague to tell."""
    qualifier = official.row.shutdown_qualifier or ""
    if "earliest" in qualifier:
        return None  # "at earliest 2024-06-13": not known to have happened
    if qualifier == "month":
        day = official.shutdown_on
        return day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return official.shutdown_on


def agrees(catalog_date: dt.date, official: Official) -> bool:
    qualifier = official.row.shutdown_qualifier or ""
    provider = official.shutdown_on
    if "month" in qualifier and (catalog_date.year, catalog_date.month) == (provider.year, provider.month):
        return True
    if "earliest" in qualifier:
        return catalog_date >= provider
    return catalog_date == provider


def find(
    officials: Mapping[tuple[str, str], Official],
    catalog: Iterable[Row],
    today: dt.date,
    *,
    dated_sources: frozenset[str] | set[str],
) -> list[Disagreement]:
    """Every disagreement between the catalogs' rows and the provider's shutdowns, today.

    `dated_sources` are the catalogs that state shutdown dates at all: a catalog
    with no date field (models.dev) can't be said to lack one.
    """
    groups: defaultdict[tuple[str, str, str], list[Observation]] = defaultdict(list)
    for row in catalog:
        obs = row.obs
        if obs.distribution is None and obs.is_model and (obs.provider, obs.model) in officials:
            groups[(row.source, obs.provider, obs.model)].append(obs)

    out: list[Disagreement] = []
    for (source, provider, model), rows in sorted(groups.items()):
        official = officials[(provider, model)]

        def emit(kind: Kind, text: str, *, _s: str = source, _p: str = provider, _m: str = model) -> None:
            out.append(Disagreement(_s, _p, _m, kind, text))

        end = last_day(official)
        if end is not None and today > end:
            emit(Kind.LISTED_AFTER_SHUTDOWN,
                 f"{source} still lists {_ids(rows)} after shutdown {official.shutdown}")
        differing = [obs for obs in rows if obs.shutdown_on is not None and not agrees(obs.shutdown_on, official)]
        if differing:
            dates = ", ".join(sorted({shutdown_text(obs) or "" for obs in differing}))
            emit(Kind.SHUTDOWN_DIFFERS,
                 f"{source} says {_ids(differing)} shuts down {dates}; {provider} says {official.shutdown}")
        undated = [obs for obs in rows if obs.shutdown_on is None]
        if undated and source in dated_sources:
            emit(Kind.NO_SHUTDOWN_DATE,
                 f"{source} lists {_ids(undated)} with no shutdown date; {provider} shuts it down {official.shutdown}")
    return out


def _ids(rows: Iterable[Observation]) -> str:
    ids = sorted({obs.source_id or obs.key for obs in rows})
    shown = ", ".join(ids[:_MAX_IDS])
    return shown + (f" (+{len(ids) - _MAX_IDS} more)" if len(ids) > _MAX_IDS else "")


@dataclasses.dataclass(frozen=True, slots=True)
class Open:
    """A disagreement reported and not yet resolved, as the change table remembers it."""

    source: str
    provider: str | None
    model: str | None
    key: str
    kind: str
    text: str
    since: dt.datetime | None = None  # when it was reported

    @property
    def ident(self) -> tuple[str, str, str]:
        return (self.source, self.key, self.kind)


HistoryRow = tuple[str, str, str | None, str | None, str, str | None, dt.datetime | None]


def open_from_history(changes: Iterable[HistoryRow]) -> dict[tuple[str, str, str], Open]:
    """Fold disagreement changes, oldest first, as (source, key, provider, model, field,
    new, detected_at) into the ones still open: the last change per (source, key,
    field) is not "resolved"."""
    state: dict[tuple[str, str, str], Open] = {}
    for source, key, provider, model, field, new, since in changes:
        ident = (source, key, field)
        if new is None or new == RESOLVED:
            state.pop(ident, None)
        else:
            state[ident] = Open(source, provider, model, key, field, new, since)
    return state


def reconcile(found: Iterable[Disagreement], open_now: Mapping[tuple[str, str, str], Open]) -> tuple[list[tuple[Change, Disagreement]], list[Change]]:
    """(appeared, resolved): changes for disagreements that are new, and for open ones that no longer hold."""
    current = {d.ident: d for d in found}
    appeared = [
        (Change(source=d.source, key=model_key(d.provider, d.model), provider=d.provider, model=d.model,
                kind=ChangeKind.DISAGREEMENT, field=d.kind.value, old=None, new=d.text), d)
        for ident, d in sorted(current.items())
        if ident not in open_now
    ]
    resolved = [
        Change(source=o.source, key=o.key, provider=o.provider, model=o.model, kind=ChangeKind.DISAGREEMENT,
               field=o.kind, old=o.text, new=RESOLVED)
        for ident, o in sorted(open_now.items())
        if ident not in current
    ]
    return appeared, resolved
