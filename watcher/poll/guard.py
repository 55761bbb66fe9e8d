"""Sanity checks between parse and diff (docs/architecture.md, "The guard"): never cry wolf, never go deaf.

A parse is refused (history frozen, one `source_health` alert) only when it is
*structurally* wrong, that is, when believing it would report a layout change,
an error page or a truncated body as news:

- it yields no rows at all;
- it yields more than `max_loss` fewer rows than the source currently has;
- one kind of fact (a status, an announced or shutdown date, a replacement, an
  availability, aliases, or one price family: component, unit and tier) vanishes
  from the whole parse. That is: at least `MIN_LOST_FACTS` rows that stated it
  stop stating it, it was stated by at least `MIN_FACT_SHARE` of the source's
  rows, more than `max_loss` of the rows that stated it lose it, *and*
  no row, or a negligible share (`NEGLIGIBLE_SHARE` of the rows that stated it
  before), still states it anywhere in the document. A renamed column or a moved
  JSON field looks exactly like this: every row loses its replacement at once
  (105 rows on OpenAI's deprecations page with the column renamed).

Everything else is an edit and is reported as changes:

- While other rows of the same document still state a fact, the parser evidently
  still reads it, so the rows that dropped it are real edits. LiteLLM 1.72.0
  removed `search_context_cost_per_query` from 9 of 16 OpenAI models (7 kept it);
  LiteLLM 1.103.0 dropped a per-second audio price from 6 of the 16 rows stating one.
- Losses concentrated in one provider inside an aggregator (a catalog whose rows
  come from several providers) are that provider's edit: models.dev's chutes
  dropped its zero-valued audio prices from 51 models at once.
- Fewer than `MIN_LOST_FACTS` rows losing a fact is an edit: small sources edit rows.
- A fact stated by fewer than `MIN_FACT_SHARE` of the rows is too rare for its loss to
  mean a layout change: LiteLLM 1.91.0 removed `cache_read_input_token_cost_batches`
  from the only 7 of its 2,838 rows that stated it (OpenAI's and Gemini's), and the
  source stayed refused for 13 releases.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Final

from watcher.model import Observation

# Fewer rows than this losing a fact is never refused: small sources edit rows.
MIN_LOST_FACTS: Final = 3
# A fact still stated by at most this share of the rows that stated it has vanished
# "nearly" from the parse: the stragglers of a renamed column (a row in another
# table, a footnote) do not make the loss an edit.
NEGLIGIBLE_SHARE: Final = 0.05
# A fact stated by fewer than this share of the source's rows is a rare one: its
# vanishing is an edit (7 of LiteLLM's 2,838 rows losing a batch cached price), not
# a renamed column, which takes a fact from a large share of the rows at once.
MIN_FACT_SHARE: Final = 0.01

_FACTS: Final[Mapping[str, Callable[[Observation], bool]]] = {
    "status": lambda obs: obs.status is not None,
    "announced date": lambda obs: obs.announced_on is not None,
    "shutdown date": lambda obs: obs.shutdown_on is not None,
    "replacement": lambda obs: obs.replacement is not None,
    "availability": lambda obs: obs.availability is not None,
    "aliases": lambda obs: bool(obs.aliases),
}


@dataclasses.dataclass(frozen=True, slots=True)
class FactLoss:
    """How one kind of fact fared between the current versions and a parse."""

    fact: str
    had: int  # rows present in both that stated it before
    lost: int  # of those, rows that no longer state it
    still: int  # rows of the new parse that state it
    providers: int  # distinct providers among the rows that lost it


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
    aggregator = len({_provider(obs) for obs in previous.values()}) > 1
    for loss in fact_losses(current, previous):
        if structural(loss, max_loss, aggregator=aggregator, rows=previous_rows):
            still = f", {loss.still} still state it" if loss.still else ", no row states it any more"
            return (
                f"parse lost the {loss.fact} of {loss.lost} of the {loss.had} rows that stated one"
                f"{still} (limit {max_loss:.0%}): a layout change, not {loss.lost} real edits"
            )
    return None


def structural(loss: FactLoss, max_loss: float, *, aggregator: bool, rows: int) -> bool:
    """Is this loss a layout change rather than edits? (The rule in the module docstring.)
    `rows`: how many rows the source has now."""
    if loss.lost < MIN_LOST_FACTS or loss.lost / loss.had <= max_loss:
        return False
    if loss.had < MIN_FACT_SHARE * rows:
        return False  # a rare fact: its rows' edits, not a layout change
    if loss.still > NEGLIGIBLE_SHARE * loss.had:
        return False  # the parser still reads this fact elsewhere in the document
    return not (aggregator and loss.providers == 1)


def fact_losses(current: Mapping[str, Observation], previous: Mapping[str, Observation]) -> list[FactLoss]:
    """Per kind of fact stated before, how many rows lost it; largest losses first."""
    had: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    losers: defaultdict[str, set[str]] = defaultdict(set)
    for key, before in previous.items():
        after = current.get(key)
        if after is None:
            continue  # a missing row is the row check's business (and the delisting debounce's)
        now_stated = set(_stated(after))
        for fact in _stated(before):
            had[fact] += 1
            if fact not in now_stated:
                lost[fact] += 1
                losers[fact].add(_provider(before))
    still = Counter(fact for obs in current.values() for fact in set(_stated(obs)))
    return [FactLoss(fact, had[fact], count, still[fact], len(losers[fact])) for fact, count in lost.most_common()]


def _provider(obs: Observation) -> str:
    """Who a row comes from inside an aggregator: the serving provider, else the maker."""
    return obs.distribution or obs.provider


def _stated(obs: Observation) -> Iterator[str]:
    """The kinds of fact a row states; prices by family (component, unit, tier)."""
    for fact, has in _FACTS.items():
        if has(obs):
            yield fact
    yield from sorted({f"{key.component}/{key.unit.value}/{key.tier} price" for key in obs.prices})
