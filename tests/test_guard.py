"""The guard: only structural breaks are refused; ordinary mass edits are believed (issue 9 point 1).

The rule is in watcher/poll/guard.py's docstring; each test below is one clause of it,
most with the real upstream case that motivated it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sources import litellm, openai_deprecations
from watcher.model import Document, Observation, PriceKey, PriceUnit, Status
from watcher.poll.diff import diff
from watcher.poll.guard import (
    MIN_FACT_SHARE,
    MIN_LOST_FACTS,
    NEGLIGIBLE_SHARE,
    fact_losses,
    refusal,
)

FIXTURES = Path(__file__).parent / "fixtures"
AT = dt.datetime(2026, 6, 27, tzinfo=dt.UTC)
AUDIO = PriceKey("output_audio", PriceUnit.PER_SECOND)


def deprecations(text: str) -> list[Observation]:
    return openai_deprecations.parse(Document(source="openai-deprecations", url="https://x/deprecations.md",
                                              body=text.encode(), fetched_at=AT, content_type="text/markdown"))


def catalog(path: Path) -> list[Observation]:
    return litellm.parse(Document(source="litellm", url=litellm.CATALOG_URL, body=path.read_bytes(), fetched_at=AT))


def rows(n: int, *, provider: str = "openai", distribution: str | None = None, **facts: Any) -> list[Observation]:
    prefix = distribution or provider
    return [Observation(key=f"{prefix}/m{i}", provider=provider, model=f"m{i}", distribution=distribution,
                        **facts) for i in range(n)]


def drop(observations: list[Observation], count: int, **blank: Any) -> list[Observation]:
    """The first `count` rows with the given fields blanked."""
    return [dataclasses.replace(obs, **blank) if i < count else obs
            for i, obs in enumerate(observations)]


def by_key(observations: list[Observation]) -> dict[str, Observation]:
    return {obs.key: obs for obs in observations}


# --- structural: refused ----------------------------------------------------------------


def test_a_renamed_replacement_column_is_refused_not_reported_row_by_row() -> None:
    page = (FIXTURES / "openai_deprecations" / "deprecations-2026-06-27.md").read_text()
    before = by_key(deprecations(page))
    # The page's tables head their replacement column two ways; a redesign renaming both
    # leaves every row without one.
    renamed = deprecations(page.replace("Recommended replacement", "Successor").replace("Substitute model", "Successor"))
    assert len(renamed) == len(before)  # every row is still there, only the column went unrecognised
    assert all(obs.replacement is None for obs in renamed)
    assert sum(1 for obs in before.values() if obs.replacement is not None) > 100
    reason = refusal(renamed, before, 0.5)
    assert reason is not None and "replacement" in reason and "no row states it any more" in reason
    assert refusal(deprecations(page), before, 0.5) is None


def test_a_real_catalog_release_passes_and_a_vanished_price_field_does_not() -> None:
    before = by_key(catalog(FIXTURES / "litellm" / "model_prices-1.97.0.json"))
    after = catalog(FIXTURES / "litellm" / "model_prices-1.98.0.json")
    assert refusal(after, before, 0.5) is None
    # The same release with every input price field renamed away is refused.
    stripped = [dataclasses.replace(obs, prices={k: v for k, v in obs.prices.items() if k.component != "input"})
                for obs in after]
    reason = refusal(stripped, before, 0.5)
    assert reason is not None and "input/per_1m_tokens/standard price" in reason


@pytest.mark.parametrize(("fact", "field", "value", "blank"), [
    ("status", "status", Status.ACTIVE, None),
    ("announced date", "announced_on", dt.date(2026, 1, 5), None),
    ("shutdown date", "shutdown_on", dt.date(2026, 9, 1), None),
    ("replacement", "replacement", ("gpt-5",), None),
    ("availability", "availability", "ga", None),
    ("aliases", "aliases", ("latest",), ()),
    ("output_audio/per_second/standard price", "prices", {AUDIO: Decimal("0.01")}, {}),
])
def test_every_kind_of_fact_vanishing_from_every_row_is_refused(fact: str, field: str, value: object,
                                                                 blank: object) -> None:
    facts: dict[str, Any] = {field: value}
    before = rows(10, **facts)
    reason = refusal(drop(before, 10, **{field: blank}), by_key(before), 0.5)
    assert reason == (f"parse lost the {fact} of 10 of the 10 rows that stated one, no row states it any more "
                      f"(limit 50%): a layout change, not 10 real edits")


def test_a_fact_gone_but_for_a_negligible_share_of_rows_is_still_refused() -> None:
    before = rows(40, replacement=("gpt-5",))
    stragglers = int(NEGLIGIBLE_SHARE * 40)  # 2 rows of 40 still state one: a footnote, another table
    reason = refusal(drop(before, 40 - stragglers, replacement=None), by_key(before), 0.5)
    assert reason is not None and "the replacement of 38 of the 40 rows that stated one, 2 still state it" in reason
    # One more row still stating it and the parser evidently reads the fact: edits.
    assert refusal(drop(before, 40 - stragglers - 1, replacement=None), by_key(before), 0.5) is None


def test_the_share_limit_is_exact() -> None:
    before = rows(20, shutdown_on=dt.date(2026, 9, 1))
    nineteen = drop(before, 19, shutdown_on=None)  # 19 of 20 lost (95%), 1 still states it (negligible)
    assert refusal(nineteen, by_key(before), 0.95) is None
    assert refusal(nineteen, by_key(before), 0.94) is not None


def test_the_row_count_limit_is_exact() -> None:
    before = by_key(rows(4))
    assert refusal(rows(2), before, 0.5) is None  # lost exactly half
    reason = refusal(rows(1), before, 0.5)
    assert reason == "parse yielded 1 rows, 75% fewer than the 4 current rows (limit 50%)"
    assert refusal(rows(5), before, 0.5) is None


def test_an_empty_parse_is_refused_even_for_a_new_source() -> None:
    assert refusal([], {}, 1.0) == "parse yielded no rows"
    assert refusal(rows(1), {}, 0.5) is None


def test_a_repeated_key_counts_once() -> None:
    before = by_key(rows(4))
    repeated = rows(1) * 4  # four statements of one row: 3 of 4 rows gone
    assert refusal(repeated, before, 0.5) is not None


# --- edits: believed ---------------------------------------------------------------------


def test_fewer_than_three_rows_losing_a_fact_is_an_edit() -> None:
    assert MIN_LOST_FACTS == 3
    for n in (1, 2):
        before = rows(n, shutdown_on=dt.date(2026, 9, 1))
        assert refusal(drop(before, n, shutdown_on=None), by_key(before), 0.5) is None
    before = rows(3, shutdown_on=dt.date(2026, 9, 1))
    assert refusal(drop(before, 3, shutdown_on=None), by_key(before), 0.5) is not None


def test_litellm_1_72_0_removing_web_search_prices_from_most_openai_models_is_an_edit() -> None:
    """Real case: 1.72.0 removed search_context_cost_per_query from 9 of these 12 OpenAI rows; 3 kept it."""
    before = by_key(catalog(FIXTURES / "guard" / "litellm-1.71.3-openai-web-search.json"))
    after = catalog(FIXTURES / "guard" / "litellm-1.72.0-openai-web-search.json")
    [loss] = [x for x in fact_losses(by_key(after), before) if x.fact.startswith("web_search")]
    assert (loss.had, loss.lost, loss.still) == (12, 9, 3)
    assert refusal(after, before, 0.5) is None
    removed = [c for c in diff("litellm", before, after).changes
               if c.kind == "price" and c.new is None and (c.field or "").startswith("web_search")]
    assert len({c.key for c in removed}) == 9


def test_litellm_1_108_0_dropping_a_per_second_audio_price_from_6_of_11_rows_is_an_edit() -> None:
    before = rows(11, prices={AUDIO: Decimal("0.0001")})
    assert refusal(drop(before, 6, prices={}), by_key(before), 0.5) is None
    # Had all 11 lost it, the price field would have vanished from the parse: refused.
    assert refusal(drop(before, 11, prices={}), by_key(before), 0.5) is not None


def test_one_provider_of_an_aggregator_dropping_a_price_family_is_an_edit() -> None:
    """Real case: models.dev's chutes dropped its zero-valued audio prices from 51 models."""
    zero_audio = {PriceKey("input_audio"): Decimal(0), PriceKey("input"): Decimal("0.2")}
    chutes = [dataclasses.replace(obs, provider=f"maker{i % 5}")  # chutes serves many makers' models
              for i, obs in enumerate(rows(51, provider="x", distribution="chutes", prices=zero_audio))]
    others = rows(30, provider="openai", prices={PriceKey("input"): Decimal("2.5")})
    before = by_key(chutes + others)
    dropped = [dataclasses.replace(obs, prices={PriceKey("input"): Decimal("0.2")}) for obs in chutes] + others
    assert refusal(dropped, before, 0.5) is None
    # The same loss spread over two providers is no one provider's edit.
    vertex = rows(10, provider="google", distribution="vertex", prices=zero_audio)
    before = by_key(chutes + vertex + others)
    both = dropped + [dataclasses.replace(obs, prices={PriceKey("input"): Decimal("0.2")}) for obs in vertex]
    assert refusal(both, before, 0.5) is not None


def test_a_single_provider_source_losing_a_fact_everywhere_is_refused() -> None:
    """The provider clause is for aggregators: on OpenAI's own page every row is one provider."""
    before = rows(10, shutdown_on=dt.date(2026, 9, 1))
    assert refusal(drop(before, 10, shutdown_on=None), by_key(before), 0.5) is not None


def test_delisted_rows_are_the_row_checks_business_not_a_lost_fact() -> None:
    before = rows(10, shutdown_on=dt.date(2026, 9, 1))
    assert refusal(before[:6], by_key(before), 0.5) is None  # 4 of 10 rows gone: within max_loss
    # A row gone does not hide the rows after it that lost the fact.
    undated = drop(before, 10, shutdown_on=None)[1:]
    reason = refusal(undated, by_key(before), 0.5)
    assert reason is not None and "shutdown date of 9 of the 9 rows" in reason
    [loss] = fact_losses(by_key(drop(before, 3, shutdown_on=None)), by_key(before))
    assert (loss.fact, loss.had, loss.lost, loss.still, loss.providers) == ("shutdown date", 10, 3, 7, 1)


def test_a_fact_stated_by_fewer_than_one_percent_of_the_rows_vanishing_is_an_edit() -> None:
    """Real case: LiteLLM 1.91.0 removed the batch cached-input price from the only 7 of 2,838 rows stating it
    (tests/test_real_cases.py replays it end to end)."""
    assert MIN_FACT_SHARE == 0.01
    dated = rows(3, shutdown_on=dt.date(2026, 9, 1))
    for others, refused in ((297, True), (298, False)):  # 3 of 300 rows is exactly 1%; 3 of 301 is fewer
        before = dated + [dataclasses.replace(obs, key=f"x/{obs.key}") for obs in rows(others)]
        after = drop(before, 3, shutdown_on=None)
        assert (refusal(after, by_key(before), 0.5) is not None) is refused
