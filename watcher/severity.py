"""How much a change matters (docs/architecture.md, "Changes, severity and disagreements"): config rules first, then the defaults.

Defaults: `critical` for a watched model's new or earlier shutdown date, any
shutdown within 7 days, or a watched model delisted by its provider; `warning`
for other lifecycle changes and price increases; `info` for price cuts and new
models. Which sources speak for a provider is each source's own declaration
(`Source.first_party`, collected by sources.registry).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Final

from sources.registry import first_party_sources
from watcher.matching import matches, watched
from watcher.model import KINDS, Change, ChangeKind, Observation, Severity

if TYPE_CHECKING:
    from watcher.config import SeverityRule

SOON: Final = dt.timedelta(days=7)
_LIFECYCLE: Final = frozenset(kind for kind, text in KINDS.items() if text.lifecycle)


def is_watched(obs: Observation | None, change: Change, watchlist: Sequence[str]) -> bool:
    if not watchlist:
        return False
    names: list[str | None] = [change.model, change.key]
    if obs is not None:
        names += [obs.model, obs.source_id, *obs.aliases]
    return watched(names, watchlist)


def default_severity(change: Change, obs: Observation | None, *, is_watched: bool, today: dt.date) -> Severity:
    shutdown = obs.shutdown_on if obs is not None else None
    if change.kind in _LIFECYCLE or (change.kind is ChangeKind.LISTED and shutdown is not None):
        if shutdown is not None and change.kind is not ChangeKind.SOURCE_HEALTH and dt.timedelta(0) <= (shutdown - today) <= SOON:
            return Severity.CRITICAL
        if is_watched and _new_or_earlier_shutdown(change):
            return Severity.CRITICAL
        if is_watched and change.kind is ChangeKind.LISTED and shutdown is not None:
            return Severity.CRITICAL
        if is_watched and change.kind is ChangeKind.DELISTED and change.source in first_party_sources():
            return Severity.CRITICAL
        return Severity.WARNING
    if change.kind is ChangeKind.PRICE:
        return Severity.WARNING if _increase(change) else Severity.INFO
    return Severity.INFO


def _new_or_earlier_shutdown(change: Change) -> bool:
    if change.kind is not ChangeKind.SHUTDOWN_DATE or not change.new:
        return False
    return change.old is None or change.new[:10] < change.old[:10]


def _increase(change: Change) -> bool:
    try:
        return change.old is None or (change.new is not None and Decimal(change.new) > Decimal(change.old))
    except InvalidOperation:
        return True


@dataclasses.dataclass(frozen=True, slots=True)
class SeverityPolicy:
    watchlist: tuple[str, ...] = ()
    rules: tuple[SeverityRule, ...] = ()  # first match wins

    def assess(self, change: Change, obs: Observation | None, today: dt.date) -> Change:
        watched_now = is_watched(obs, change, self.watchlist)
        severity = default_severity(change, obs, is_watched=watched_now, today=today)
        for rule in self.rules:
            if matches(rule.when, change, is_watched=watched_now, severity=severity.value):
                severity = rule.severity
                break
        return dataclasses.replace(change, severity=severity)
