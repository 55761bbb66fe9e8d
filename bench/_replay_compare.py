"""Score what the product reported against the raw-JSON yardstick, step by step and kind by kind.

A product change is matched to a real change of the same step, kind and row key. Prices are matched
by value, not by name (the product's price names come from its own grammar, which the yardstick does
not share): a reported `old → new` matches a real `old → new` on the same row when both sides agree
after one unit scale (as stated, per 1k or per 1M tokens), an absent price matching only an absent
one. Shutdown dates match on the new calendar day.

Unmatched real changes are *missed*; unmatched reports are *false*, except a report of a row whose
same-kind change was missed at a refused step (the backlog of a refusal lands late, merged): that is
*late*, counted apart.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from decimal import Decimal
from typing import Any, Final

from bench._replay_rawdiff import KINDS, Expected, number, same_price

SCALES: Final = (Decimal(1), Decimal(1000), Decimal(1_000_000))
_NOISE_WORDS: Final = frozenset({"cost", "per", "price", "standard", "1m", "cost_per"})


@dataclasses.dataclass
class Score:
    real: Counter[str] = dataclasses.field(default_factory=Counter)
    on_time: Counter[str] = dataclasses.field(default_factory=Counter)
    missed: Counter[str] = dataclasses.field(default_factory=Counter)
    false: Counter[str] = dataclasses.field(default_factory=Counter)
    late: Counter[str] = dataclasses.field(default_factory=Counter)
    other_kinds: Counter[str] = dataclasses.field(default_factory=Counter)  # status, source_health, …
    missed_list: list[tuple[int, Expected]] = dataclasses.field(default_factory=list)
    false_list: list[tuple[int, dict[str, Any]]] = dataclasses.field(default_factory=list)
    per_step: list[Counter[str]] = dataclasses.field(default_factory=list)  # missed/false per step


def _price_match(real: Expected, reported: Mapping[str, Any]) -> bool:
    old, new = number(reported.get("old")), number(reported.get("new"))
    if (old is None) != (real.old is None) or (new is None) != (real.new is None):
        return False
    for scale in SCALES:
        if all(same_price(r * scale if isinstance(r, Decimal) else None, p)
               for r, p in ((real.old, old), (real.new, new))):
            return True
    return False


def _words(text: str | None) -> set[str]:
    return {w.rstrip("s") for w in re.split(r"[^a-z0-9]+", (text or "").lower()) if w} - _NOISE_WORDS


def _closest(real: Expected, candidates: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The matching report whose field name shares most words with the raw field: only a tie-break
    between reports of equal values (several zero prices removed at once), so that the examples
    printed name the right field; the counts do not depend on it."""
    matching = [c for c in candidates if _matches(real, c)]
    if len(matching) <= 1:
        return matching[0] if matching else None
    words = _words(real.field)
    return max(matching, key=lambda c: len(words & _words(c.get("field"))))


def _matches(real: Expected, reported: Mapping[str, Any]) -> bool:
    if real.kind == "price":
        return _price_match(real, reported)
    if real.kind == "shutdown_date":
        return (reported.get("new") or "")[:10] == (real.new or "")
    return True  # listed / delisted: the key and kind say it all


def score(expected: Sequence[Sequence[Expected]], reported: Sequence[Sequence[Mapping[str, Any]]],
          refused: AbstractSet[int] = frozenset()) -> Score:
    """`expected[i]` and `reported[i]`: the real changes and the product's changes at step i;
    `refused`: the steps whose poll was refused."""
    out = Score()
    backlog: set[tuple[str, str]] = set()  # (kind, key) of missed changes, for late reports
    for step, (real_changes, product_changes) in enumerate(zip(expected, reported, strict=True)):
        here: Counter[str] = Counter()
        open_reports: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
        for change in product_changes:
            if change["kind"] in KINDS:
                open_reports[(change["kind"], change["key"])].append(change)
            else:
                out.other_kinds[change["kind"]] += 1
        for real in real_changes:
            out.real[real.kind] += 1
            candidates = open_reports.get((real.kind, real.key), [])
            hit = _closest(real, candidates)
            if hit is not None:
                candidates.remove(hit)
                out.on_time[real.kind] += 1
            else:
                out.missed[real.kind] += 1
                here[f"missed {real.kind}"] += 1
                if step in refused:
                    backlog.add((real.kind, real.key))
                out.missed_list.append((step, real))
        for (kind, key), left in open_reports.items():
            for change in left:
                if (kind, key) in backlog:
                    out.late[kind] += 1
                    continue
                out.false[kind] += 1
                here[f"false {kind}"] += 1
                out.false_list.append((step, dict(change)))
        out.per_step.append(here)
    return out
