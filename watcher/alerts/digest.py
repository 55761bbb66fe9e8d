"""One message per poll per route: changes grouped by row, most severe first,
summarised ("30 models deprecated: shutdown 2026-07-23 (18) and 2026-10-23 (12)")
and capped, with the command that lists everything. Pure.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shlex
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from watcher.alerts.items import AlertItem
from watcher.model import ChangeKind, Severity

# Entry categories, in the order they are told when equally severe.
HEALTH, DEADLINE, DELISTED, MOVED, DEPRECATED, PRICE, NEW, DISAGREEMENT, OTHER = (
    "health", "deadline", "delisted", "moved", "deprecated", "price", "new", "disagreement", "other")
_CATEGORY_ORDER: Final = (HEALTH, DEADLINE, DELISTED, MOVED, DEPRECATED, DISAGREEMENT, PRICE, NEW, OTHER)
_KIND_ORDER: Final = {kind: index for index, kind in enumerate((
    ChangeKind.SOURCE_HEALTH, ChangeKind.DEADLINE, ChangeKind.DELISTED, ChangeKind.LISTED,
    ChangeKind.STATUS, ChangeKind.SHUTDOWN_DATE, ChangeKind.REPLACEMENT, ChangeKind.DISAGREEMENT,
    ChangeKind.PRICE, ChangeKind.AVAILABILITY, ChangeKind.MILESTONES, ChangeKind.ANNOUNCED_DATE,
    ChangeKind.ALIASES))}
_ENDING: Final = ("deprecated", "retired", "legacy")


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """Everything one message says about one model's change in one source: one
    row, or several rows of that source saying the same about the same model
    (a catalog listing one model under several keys)."""

    items: tuple[AlertItem, ...]  # the first row's; at least one; most telling kind first
    also: tuple[tuple[AlertItem, ...], ...] = ()  # the other rows saying the same, in key order

    @property
    def first(self) -> AlertItem:
        return self.items[0]

    @property
    def every_item(self) -> tuple[AlertItem, ...]:
        return self.items + tuple(i for row in self.also for i in row)

    @property
    def keys(self) -> tuple[str, ...]:
        """The catalog entries (row keys) this entry covers."""
        return (self.first.key, *(row[0].key for row in self.also))

    @property
    def severity(self) -> Severity:
        return max((i.severity for i in self.every_item), key=lambda s: s.rank)

    @property
    def watched(self) -> bool:
        return any(i.watched for i in self.every_item)

    @property
    def category(self) -> str:
        return category(self.items)

    def days_left(self, today: dt.date) -> int | None:
        return self.first.days_left(today)


@dataclasses.dataclass(frozen=True, slots=True)
class Digest:
    kind: str  # "digest" (a poll), "health" (a poll with only source health), "reminder"
    today: dt.date  # "days left" are counted from here (the detection date)
    entries: tuple[Entry, ...]  # every entry, most severe first
    shown: tuple[Entry, ...]  # the first `max_items` of them
    headline: tuple[str, ...]  # one sentence per kind of news, most severe first
    command: str  # the `watcher changes …` that lists every change in this message

    @property
    def more(self) -> int:
        return len(self.entries) - len(self.shown)

    @property
    def severity(self) -> Severity:
        return max((e.severity for e in self.entries), key=lambda s: s.rank)

    @property
    def change_ids(self) -> list[int]:
        return sorted(i.change_id for e in self.entries for i in e.every_item)

    @property
    def sources(self) -> list[str]:
        return sorted({e.first.source for e in self.entries})


def category(items: Sequence[AlertItem]) -> str:
    kinds = {i.kind for i in items}
    if ChangeKind.SOURCE_HEALTH in kinds:
        return HEALTH
    if ChangeKind.DEADLINE in kinds:
        return DEADLINE
    if ChangeKind.DELISTED in kinds:
        return DELISTED
    if any(i.kind is ChangeKind.SHUTDOWN_DATE and i.old and i.new for i in items):
        return MOVED
    if any(_deprecates(i) for i in items):
        return DEPRECATED
    if ChangeKind.DISAGREEMENT in kinds:
        return DISAGREEMENT
    if ChangeKind.PRICE in kinds:
        return PRICE
    if ChangeKind.LISTED in kinds:
        return NEW
    return OTHER


def _deprecates(i: AlertItem) -> bool:
    if i.kind is ChangeKind.LISTED:
        return i.shutdown_on is not None
    if i.kind is ChangeKind.SHUTDOWN_DATE:
        return i.old is None and i.new is not None
    return i.kind is ChangeKind.STATUS and (i.new or "") in _ENDING


def build(items: Sequence[AlertItem], *, kind: str, today: dt.date, max_items: int,
          when: Mapping[str, Any] | None = None) -> Digest:
    """The digest of `items` (non-empty) as one route's message."""
    if not items:
        raise ValueError("a digest needs at least one item")
    by_row: dict[tuple[str, str], list[AlertItem]] = defaultdict(list)
    for it in items:
        by_row[(it.source, it.key)].append(it)
    rows = [tuple(sorted(group, key=lambda i: (_KIND_ORDER.get(i.kind, 99), i.field or "")))
            for group in by_row.values()]
    entries = collapse(rows)
    entries.sort(key=lambda e: _entry_order(e, today))
    if kind == "digest" and all(e.category == HEALTH for e in entries):
        kind = "health"
    return Digest(kind=kind, today=today, entries=tuple(entries), shown=tuple(entries[:max_items]),
                  headline=headline(entries, today), command=command(items, when or {}))


def collapse(rows: Sequence[tuple[AlertItem, ...]]) -> list[Entry]:
    """One entry per (source, model, change): rows of one source that name the same
    model and say the same thing about it become one entry covering all their keys."""
    same: dict[tuple[object, ...], list[tuple[AlertItem, ...]]] = defaultdict(list)
    for row in rows:
        same[(row[0].source, row[0].name, _what(row))].append(row)
    entries: list[Entry] = []
    for group in same.values():
        group.sort(key=lambda row: (len(row[0].key), row[0].key))  # the plainest key speaks for the others
        entries.append(Entry(group[0], tuple(group[1:])))
    return entries


def _what(row: tuple[AlertItem, ...]) -> tuple[object, ...]:
    """What a row's changes say, without which row says it."""
    first = row[0]
    return (tuple((i.kind, i.field, i.old, i.new) for i in row), first.shutdown_on, first.replacement)


def _entry_order(e: Entry, today: dt.date) -> tuple[int, int, int, int, str, str]:
    """Most severe first; then watched; then shutdowns ahead (soonest first), entries
    without a shutdown date, shutdowns already past (most recent first)."""
    days = e.days_left(today)
    when = (1, 0) if days is None else (0, days) if days >= 0 else (2, -days)
    return (-e.severity.rank, 0 if e.watched else 1, *when, e.first.name, e.first.source)


# --- the headline ------------------------------------------------------------------------


def headline(entries: Sequence[Entry], today: dt.date) -> tuple[str, ...]:
    groups: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        groups[e.category].append(e)
    ordered = sorted(groups.items(), key=lambda kv: (-max(e.severity.rank for e in kv[1]),
                                                      _CATEGORY_ORDER.index(kv[0])))
    out: list[str] = []
    for name, group in ordered:
        out.extend(_sentences(name, group, today))
    return tuple(out)


def _sentences(name: str, group: list[Entry], today: dt.date) -> list[str]:
    n = len(group)
    noun = _noun(group)
    if name == HEALTH:
        return [f"source {e.first.source}: {'recovered' if e.first.new == 'ok' else e.first.new}" for e in group]
    if name == DEADLINE:
        named = [f"{e.first.name} {days_phrase(e.days_left(today))}" for e in group[:3]]
        rest = f" and {n - 3} more" if n > 3 else ""
        return [f"{plural(n, 'shutdown')} approaching: {', '.join(named)}{rest}"]
    if name == DELISTED:
        return [f"{plural(n, noun)} delisted"]
    if name == MOVED:
        return [f"{plural(n, 'shutdown date')} changed"]
    if name == DEPRECATED:
        dates = Counter(e.first.shutdown_on or _shutdown_from_change(e) for e in group)
        parts = [f"{d.isoformat() if d else 'no date given'} ({count})" for d, count in
                 sorted(dates.items(), key=lambda kv: (kv[0] is None, kv[0] or dt.date.max))]
        if len(parts) > 4:
            parts = [*parts[:3], f"{len(parts) - 3} more dates"]
        joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return [f"{plural(n, noun)} deprecated: shutdown {joined}"]
    if name == PRICE:
        moves = [_direction(i) for e in group for i in e.items if i.kind is ChangeKind.PRICE]
        up, down = moves.count(1), moves.count(-1)
        detail = ", ".join(part for part in (f"{up} up" if up else "", f"{down} down" if down else "") if part)
        return [f"{plural(len(moves), 'price change')} on {plural(n, noun)}" + (f" ({detail})" if detail else "")]
    if name == NEW:
        return [f"{plural(n, f'new {noun}')}"]
    if name == DISAGREEMENT:
        return [f"{plural(n, 'disagreement')} between sources"]
    kinds = Counter(i.kind.value.replace("_", " ") for e in group for i in e.items)
    return [", ".join(f"{plural(count, f'{kind} change')}" for kind, count in sorted(kinds.items()))]


def _noun(group: Sequence[Entry]) -> str:
    return "model" if all(e.first.is_model for e in group) else "item"


def _shutdown_from_change(e: Entry) -> dt.date | None:
    for i in e.items:
        if i.kind is ChangeKind.SHUTDOWN_DATE and i.new:
            try:
                return dt.date.fromisoformat(i.new[:10])
            except ValueError:
                return None
    return None


def _direction(i: AlertItem) -> int:
    try:
        old, new = Decimal(i.old or "0"), Decimal(i.new or "0")
    except InvalidOperation:
        return 0
    if i.old is None:
        return 1
    return (new > old) - (new < old)


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def days_phrase(days: int | None) -> str:
    if days is None:
        return "(no shutdown date)"
    if days > 1:
        return f"in {days} days"
    if days == 1:
        return "tomorrow"
    if days == 0:
        return "today"
    return f"{-days} day{'s' if days < -1 else ''} ago"


# --- the command that lists everything ---------------------------------------------------


def _stamp(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def command(items: Sequence[AlertItem], when: Mapping[str, Any]) -> str:
    """`watcher changes …` selecting every change of this message (and, at worst, a
    few more recorded in the same second): the route's filters plus the time window."""
    since = min(i.detected_at for i in items).replace(microsecond=0)
    until = max(i.detected_at for i in items).replace(microsecond=0) + dt.timedelta(seconds=1)
    args = ["watcher", "changes"]
    for source in sorted({i.source for i in items}):
        args += ["--source", source]
    args += ["--since", _stamp(since), "--until", _stamp(until)]
    kinds = sorted({i.kind.value for i in items})
    if kinds == ["deadline"]:
        args += ["--kind", "deadline"]
    else:
        for value in _listed(when.get("kind")):
            args += ["--kind", value]
    for value in _listed(when.get("severity")):
        args += ["--severity", value]
    models = _listed(when.get("model"))
    if len(models) == 1:
        args += ["--model", models[0]]
    return shlex.join(args)


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
