"""Flapping damping: a value that keeps changing back and forth is told once, not every time.

The rule, in words: a change is *flapping* when the same thing of the same row
(one source's row, one field; listing and delisting count as one thing) changed
at least `changes` times in the `window` before it. The first flapping change is
alerted with a note saying so; the ones after it are recorded but not alerted,
until the thing has been quiet for a whole `window` (then its next change is
news again). With the defaults (4 changes, 24 h): the fifth change of a price
within a day says "flapping", the sixth and later are held.

`verdict` is the rule (pure); `damp` applies it to a poll's changes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from enum import StrEnum

from sqlmodel import Session

from watcher.model import ChangeKind
from watcher.store import alert_history
from watcher.store.tables import ChangeRecord

# Kinds that have their own once-only rules (health streaks, reminder thresholds).
_EXEMPT = frozenset({ChangeKind.SOURCE_HEALTH.value, ChangeKind.DEADLINE.value})
_PRESENCE = frozenset({ChangeKind.LISTED.value, ChangeKind.DELISTED.value})


class Verdict(StrEnum):
    NEWS = "news"  # alert as usual
    STARTS = "starts"  # the first flapping change: alert once, saying so
    HELD = "held"  # flapping still: recorded, not alerted


@dataclasses.dataclass(frozen=True, slots=True)
class Rule:
    changes: int  # this many earlier changes within `window` make the next one flapping
    window: dt.timedelta

    def describe(self) -> str:
        return (f"changed {self.changes} times within {_human(self.window)} before this; further changes are "
                f"recorded but not alerted until it has been quiet for {_human(self.window)}")


def verdict(earlier: Sequence[dt.datetime], at: dt.datetime, rule: Rule) -> Verdict:
    """The verdict on a change at `at`, given when the same thing changed before (any order)."""
    before = sorted(t for t in earlier if t < at)
    if not _flapping(before, at, rule):
        return Verdict.NEWS
    if before and _flapping(before[:-1], before[-1], rule):
        return Verdict.HELD
    return Verdict.STARTS


def _flapping(before: Sequence[dt.datetime], at: dt.datetime, rule: Rule) -> bool:
    return sum(1 for t in before if at - t < rule.window) >= rule.changes


def thing(record: ChangeRecord) -> tuple[str, str, str]:
    """What a change is about, for counting: (source, key, field or kind)."""
    if record.kind in _PRESENCE:
        return (record.source, record.key, "presence")
    return (record.source, record.key, f"{record.kind}:{record.field or ''}")


def damp(session: Session, records: Sequence[ChangeRecord], rule: Rule
         ) -> tuple[list[ChangeRecord], list[ChangeRecord], list[ChangeRecord]]:
    """Split a poll's records into (news, starts flapping, held) by the rule above."""
    subject = [r for r in records if r.kind not in _EXEMPT]
    if not subject or rule.changes < 1:
        return list(records), [], []
    at = min(r.detected_at for r in subject)
    own = {r.id for r in records}
    history: dict[tuple[str, str, str], list[dt.datetime]] = defaultdict(list)
    by_source: dict[str, set[str]] = defaultdict(set)
    for r in subject:
        by_source[r.source].add(r.key)
    for source, keys in by_source.items():
        rows = alert_history.changes_of_keys(
            session, source, sorted(keys), after=at - 2 * rule.window,
            before=max(r.detected_at for r in subject) + dt.timedelta(microseconds=1))
        for row in rows:
            if row.id not in own and row.kind not in _EXEMPT:
                history[thing(row)].append(row.detected_at)
    news: list[ChangeRecord] = []
    starts: list[ChangeRecord] = []
    held: list[ChangeRecord] = []
    for r in records:
        if r.kind in _EXEMPT:
            news.append(r)
            continue
        found = verdict(history.get(thing(r), []), r.detected_at, rule)
        {Verdict.NEWS: news, Verdict.STARTS: starts, Verdict.HELD: held}[found].append(r)
    return news, starts, held


def _human(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400} d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds // 60} min"
