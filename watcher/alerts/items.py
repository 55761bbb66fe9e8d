"""What an alert says about one change: the change plus the facts that make it
actionable (shutdown date, days left, replacement, link, watched or not).

Pure: built from a recorded change and the observation it is about.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from watcher.model import Change, ChangeKind, Observation, Severity, format_replacement
from watcher.severity import is_watched
from watcher.store.tables import ChangeRecord


@dataclasses.dataclass(frozen=True, slots=True)
class AlertItem:
    change_id: int
    source: str
    key: str
    provider: str | None
    model: str | None
    kind: ChangeKind
    field: str | None
    old: str | None
    new: str | None
    severity: Severity
    note: str | None
    detected_at: dt.datetime
    watched: bool = False
    shutdown_on: dt.date | None = None
    shutdown_qualifier: str | None = None
    replacement: str | None = None  # "---" = the source says there is none
    url: str | None = None
    is_model: bool = True
    run_id: int | None = None

    @property
    def name(self) -> str:
        return self.model or self.key

    def days_left(self, today: dt.date) -> int | None:
        return None if self.shutdown_on is None else (self.shutdown_on - today).days

    def as_change(self) -> Change:
        return Change(source=self.source, key=self.key, provider=self.provider, model=self.model,
                      kind=self.kind, field=self.field, old=self.old, new=self.new,
                      severity=self.severity, note=self.note)


def record_change(record: ChangeRecord) -> Change:
    return Change(source=record.source, key=record.key, provider=record.provider, model=record.model,
                  kind=ChangeKind(record.kind), field=record.field, old=record.old, new=record.new,
                  severity=Severity(record.severity), note=record.note)


def item(record: ChangeRecord, obs: Observation | None, watchlist: Sequence[str],
         fallback_url: str | None = None) -> AlertItem:
    assert record.id is not None, "items are built from flushed change rows"
    change = record_change(record)
    url = obs.url if obs is not None and obs.url else fallback_url
    return AlertItem(
        change_id=record.id, source=record.source, key=record.key, provider=record.provider,
        model=record.model, kind=change.kind, field=record.field, old=record.old, new=record.new,
        severity=change.severity, note=record.note, detected_at=record.detected_at,
        watched=is_watched(obs, change, watchlist),
        shutdown_on=obs.shutdown_on if obs is not None else None,
        shutdown_qualifier=obs.shutdown_qualifier if obs is not None else None,
        replacement=format_replacement(obs.replacement) if obs is not None else None,
        url=url, is_model=obs.is_model if obs is not None else record.model is not None, run_id=record.run_id,
    )


def fingerprint(i: AlertItem, anchor: str) -> str:
    """What makes two recorded changes the same news: the facts, and what they were
    seen in (`anchor`), but not when or by which process they were recorded."""
    return "\x1f".join(str(part) for part in (i.source, i.key, i.kind.value, i.field, i.old, i.new, anchor))
