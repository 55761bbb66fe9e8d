"""Sanity checks between parse and diff (DESIGN.md §6): never cry wolf.

A page that parses to nothing, or to far fewer rows than last time, is almost
always a layout change, an error page or a truncated body, not a mass delisting.
The same holds for facts: when a column is renamed or a JSON field moves, every
row is still there but silently loses its replacement, shutdown date or input
price, and a diff would report each loss as news. So a parse is also refused
when one kind of fact disappears from more than the allowed share of the rows
that stated it (and from at least a few of them: one row losing its date is an
edit, not a layout change).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Final

from watcher.model import Observation

# Fewer rows than this losing a fact is never refused: small sources edit rows.
MIN_LOST_FACTS: Final = 3

_FACTS: Final[Mapping[str, Callable[[Observation], bool]]] = {
    "status": lambda obs: obs.status is not None,
    "announced date": lambda obs: obs.announced_on is not None,
    "shutdown date": lambda obs: obs.shutdown_on is not None,
    "replacement": lambda obs: obs.replacement is not None,
    "availability": lambda obs: obs.availability is not None,
    "aliases": lambda obs: bool(obs.aliases),
}


def refusal(observations: Sequence[Observation], previous: Mapping[str, Observation],
            max_loss: float) -> str | None:
    """Why this parse must not be believed, or None when it may be diffed.

    `previous` holds the source's current versions by key.
    """
    if not observations:
        return "parse yielded no rows"
    current = {obs.key: obs for obs in observations}  # a repeated key: the last wins, as in the diff
    previous_rows = len(previous)
    if previous_rows and len(current) < previous_rows:
        lost = (previous_rows - len(current)) / previous_rows
        if lost > max_loss:
            return (
                f"parse yielded {len(current)} rows, {lost:.0%} fewer than the {previous_rows} current rows "
                f"(limit {max_loss:.0%})"
            )
    return _lost_facts(current, previous, max_loss)


def _lost_facts(current: Mapping[str, Observation], previous: Mapping[str, Observation],
                max_loss: float) -> str | None:
    had: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    for key, before in previous.items():
        after = current.get(key)
        if after is None:
            continue  # a missing row is the row check's business (and the delisting debounce's)
        now_stated = set(_stated(after))
        for fact in _stated(before):
            had[fact] += 1
            if fact not in now_stated:
                lost[fact] += 1
    for fact, count in lost.most_common():
        if count >= MIN_LOST_FACTS and count / had[fact] > max_loss:
            return (
                f"parse lost the {fact} of {count} of the {had[fact]} rows that stated one "
                f"(limit {max_loss:.0%}): a layout change, not {count} real edits"
            )
    return None


def _stated(obs: Observation) -> Iterator[str]:
    """The kinds of fact a row states; prices by family (component, unit, tier)."""
    for fact, has in _FACTS.items():
        if has(obs):
            yield fact
    yield from sorted({f"{key.component}/{key.unit.value}/{key.tier} price" for key in obs.prices})
