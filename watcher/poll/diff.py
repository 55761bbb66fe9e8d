"""Pure diff: the previous versions of a source's rows + a new parse -> changes.

Compares only normalised meaning (docs/architecture.md, "Changes, severity and disagreements"): the parsers already made
dates, ids and prices canonical, so any difference here is a real one. A row
that goes missing is not believed delisted until it has been missing on
`delist_after` consecutive successful polls (absences carry the count), so a
flapping CDN or a partial page costs nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Final

from sources.registry import first_party_sources
from watcher.model import COMPARED, Change, ChangeKind, Observation, PriceKey, format_replacement, shutdown_text
from watcher.money import format_price

# A price moving by more than this factor from one aggregator is flagged suspect.
SUSPECT_PRICE_RATIO = Decimal(3)


@dataclasses.dataclass(frozen=True, slots=True)
class DiffResult:
    changes: list[Change]
    upserts: list[Observation]  # rows that need a new current version (new or changed)
    delisted: list[str]  # keys whose current version is closed now
    absences: dict[str, int]  # keys still missing but not yet believed gone -> misses


def summary(obs: Observation) -> str:
    """One line describing a row's lifecycle facts, for `listed`/`delisted` changes."""
    parts: list[str] = []
    if obs.status:
        parts.append(f"status {obs.status.value}")
    if (shutdown := shutdown_text(obs)) is not None:
        parts.append(f"shutdown {shutdown}")
    if (replacement := format_replacement(obs.replacement)) is not None:
        parts.append(f"replacement {replacement}")
    if obs.availability:
        parts.append(f"availability {obs.availability}")
    if obs.prices:
        parts.append(f"{len(obs.prices)} prices")
    return "; ".join(parts) or "listed"


def _change(obs: Observation, source: str, kind: ChangeKind, field: str | None,
            old: str | None, new: str | None, note: str | None = None) -> Change:
    return Change(source=source, key=obs.key, provider=obs.provider, model=obs.model,
                  kind=kind, field=field, old=old, new=new, note=note)


def _price_note(old: Decimal, new: Decimal, *, aggregator: bool) -> str | None:
    if old == 0 or new == 0:
        return None
    ratio = new / old
    # Three significant digits, never exponent form (`x1000`, not `x1.00e+3`).
    note = f"x{ratio:.0f}" if ratio >= 100 else f"x{ratio:.3g}"
    # The provider's own price page is the price; an aggregator's big jump is
    # more often a unit slip (per token vs per 1M) than a real move.
    if aggregator and (ratio > SUSPECT_PRICE_RATIO or ratio < 1 / SUSPECT_PRICE_RATIO):
        note += "; suspect: more than 3x"
    return note


# (kind, field, text form) of the facts compared as one text each; prices go key by key, below.
_TEXT_COMPARED: Final = tuple((c.kind, c.field, c.text) for c in COMPARED if c.text is not None)


def field_changes(source: str, old: Observation, new: Observation) -> list[Change]:
    """Every compared field whose normalised value differs, one change each."""
    out: list[Change] = []
    for kind, field, text in _TEXT_COMPARED:
        before, after = text(old), text(new)
        if before != after:
            out.append(_change(new, source, kind, field, before, after))

    keys: list[PriceKey] = sorted(set(old.prices) | set(new.prices))
    for price_key in keys:
        a, b = old.prices.get(price_key), new.prices.get(price_key)
        if a == b:
            continue
        note = (_price_note(a, b, aggregator=source not in first_party_sources())
                if a is not None and b is not None else None)
        out.append(_change(new, source, ChangeKind.PRICE, str(price_key),
                           None if a is None else format_price(a),
                           None if b is None else format_price(b), note))
    return out


def diff(
    source: str,
    previous: Mapping[str, Observation],
    current: Sequence[Observation],
    *,
    absences: Mapping[str, int] | None = None,
    delist_after: int = 1,
    baseline: bool = False,
) -> DiffResult:
    """Changes from `previous` (current versions by key) to `current` (a new parse).

    On a baseline (the source's first successful poll) everything is stored and
    nothing is reported.
    """
    absences = absences or {}
    changes: list[Change] = []
    upserts: list[Observation] = []
    seen: dict[str, Observation] = {}
    for obs in current:
        seen[obs.key] = obs  # a parser that repeats a key: the last statement wins

    for key, obs in seen.items():
        before = previous.get(key)
        if before is None:
            upserts.append(obs)
            if not baseline:
                changes.append(_change(obs, source, ChangeKind.LISTED, None, None, summary(obs)))
            continue
        found = field_changes(source, before, obs)
        if found:
            upserts.append(obs)
            changes.extend(found)

    delisted: list[str] = []
    still_absent: dict[str, int] = {}
    for key in sorted(previous.keys() - seen.keys()):
        misses = absences.get(key, 0) + 1
        if misses >= delist_after:
            delisted.append(key)
            gone = previous[key]
            changes.append(_change(gone, source, ChangeKind.DELISTED, None, summary(gone), None))
        else:
            still_absent[key] = misses
    return DiffResult(changes=changes, upserts=upserts, delisted=delisted, absences=still_absent)
