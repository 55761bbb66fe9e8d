"""The poll step: parse → guard → diff → outcome, as one pure function.

A live poll, `watcher ingest` (a file or a directory of captures), a backfill
merged into older history, `watcher reparse` and `watcher accept` all decide
what a body means here, and only here, so a history replayed one way is the
history recorded the other. Callers read the state the step needs (current
versions, pending absences, this rendering's last parse) and write what it
returns; nothing in this module touches the database or the clock.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Final

from watcher.model import KINDS, Change, ChangeKind, Observation
from watcher.poll.diff import diff
from watcher.poll.guard import refusal
from watcher.poll.renderings import carry_unstated, without_additions

# A body identical to the last believed one: nothing to parse, only absences age.
SAME_BODY: Final = None
PREVIEW_MODELS: Final = 5  # sample rows named per kind in a refusal's preview


@dataclasses.dataclass(frozen=True, slots=True)
class Before:
    """What the source had recorded when the body arrived."""

    previous: Mapping[str, Observation]  # current versions by key
    absences: Mapping[str, int]  # rows missing but not yet believed gone -> misses
    baseline: bool  # no successful poll yet: store everything, report nothing
    earlier: Sequence[Observation] | None = None  # this rendering's last parse (partial renderings)


@dataclasses.dataclass(frozen=True, slots=True)
class Rules:
    """How a source is judged: from its settings and what it declares about itself."""

    source: str
    max_loss: float = 0.5
    delist_after: int = 2
    partial_renderings: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Step:
    """What a body means for the source's history."""

    outcome: str  # baseline, changed, unchanged, refused
    rows: int | None  # distinct rows the body states (None: refused or not parsed)
    error: str | None = None  # why it was refused
    changes: tuple[Change, ...] = ()  # to record (not yet assessed for severity)
    upserts: tuple[Observation, ...] = ()
    delisted: tuple[str, ...] = ()
    absences: Mapping[str, int] = dataclasses.field(default_factory=dict)
    stated: tuple[Observation, ...] | None = None  # what this rendering stated: its `earlier` next time
    by_key: Mapping[str, Observation] = dataclasses.field(default_factory=dict)  # rows the changes are about
    preview: tuple[Change, ...] = ()  # refused: what believing it would have reported

    @property
    def believed(self) -> bool:
        return self.outcome != "refused"


def poll_step(parsed: Sequence[Observation] | str | None, before: Before, rules: Rules, *,
              accept: bool = False) -> Step:
    """Judge one body: `parsed` is its parse, a parse error's message, or SAME_BODY.

    `accept`: a person looked at a refused body and believes it (`watcher accept`):
    the guard's judgement is set aside; a parse error or an empty parse still is not.
    """
    if parsed is SAME_BODY:
        return _same_body(before, rules)
    if isinstance(parsed, str):
        return Step(outcome="refused", rows=None, error=f"parse error: {parsed}")
    observations, first_rendering = list(parsed), False
    if rules.partial_renderings and before.previous:
        observations = carry_unstated(parsed, before.previous, before.earlier)
        first_rendering = before.earlier is None
    reason = refusal(observations, before.previous, rules.max_loss)
    if reason is not None and not (accept and parsed):
        # Rows missing from it are previewed as delisted at once: that is what it would come to.
        result = diff(rules.source, before.previous, observations) if observations else None
        return Step(outcome="refused", rows=None, error=reason,
                    preview=tuple(result.changes) if result is not None else ())
    result = diff(rules.source, before.previous, observations, absences=before.absences,
                  delist_after=rules.delist_after, baseline=before.baseline)
    changes = without_additions(result.changes) if first_rendering else result.changes
    # Any change recorded makes the run `changed`, a delisting included (every upsert and
    # delisting comes with its change; a rendering's silent additions too, before filtering).
    return Step(
        outcome="baseline" if before.baseline else ("changed" if result.changes else "unchanged"),
        rows=len({obs.key for obs in parsed}),
        changes=tuple(changes), upserts=tuple(result.upserts), delisted=tuple(result.delisted),
        absences=result.absences, stated=tuple(parsed),
        by_key={**before.previous, **{obs.key: obs for obs in observations}},
    )


def _same_body(before: Before, rules: Rules) -> Step:
    """The body the source last believed: no parse; pending absences age (and may be believed)."""
    if not before.absences:
        return Step(outcome="unchanged", rows=None, absences={}, by_key=before.previous)
    still_there = [obs for key, obs in before.previous.items() if key not in before.absences]
    result = diff(rules.source, before.previous, still_there, absences=before.absences,
                  delist_after=rules.delist_after)
    return Step(outcome="changed" if result.delisted else "unchanged", rows=None,
                changes=tuple(result.changes), delisted=tuple(result.delisted), absences=result.absences,
                by_key=before.previous)


def preview_text(changes: Sequence[Change]) -> str:
    """One line saying what a refused parse would have reported: counts by kind, sample rows."""
    if not changes:
        return "would report no changes"
    groups: Counter[str] = Counter()
    models: dict[str, list[str]] = {}
    for change in changes:
        label = _label(change)
        groups[label] += 1
        names = models.setdefault(label, [])
        name = change.model or change.key
        if name not in names:
            names.append(name)
    parts = []
    for label, count in groups.most_common():
        names = models[label]
        sample = ", ".join(names[:PREVIEW_MODELS]) + (", …" if len(names) > PREVIEW_MODELS else "")
        parts.append(f"{count} {label}: {sample}")
    return f"would report {len(changes)} changes: " + "; ".join(parts)


def _label(change: Change) -> str:
    if change.kind is ChangeKind.PRICE:
        verb = "added" if change.old is None else "removed" if change.new is None else "changed"
        return f"{change.field} prices {verb}"
    if change.kind in (ChangeKind.LISTED, ChangeKind.DELISTED):
        return f"{KINDS[change.kind].plural} {change.kind.value}"
    verb = "added" if change.old is None else "removed" if change.new is None else "changed"
    return f"{KINDS[change.kind].plural} {verb}"
