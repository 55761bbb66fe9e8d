"""Price changes report their ratio; a move beyond 3x is suspect when an aggregator
reports it, not when the provider's own price page does."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from watcher.model import Observation, PriceKey, PriceUnit
from watcher.poll.diff import diff

KEY = PriceKey("output", PriceUnit.PER_1M_TOKENS)
OLD = Observation(key="openai/gpt-4o", provider="openai", model="gpt-4o", prices={KEY: Decimal("10")})


def note(source: str, new_price: str) -> str | None:
    new = dataclasses.replace(OLD, prices={KEY: Decimal(new_price)})
    (change,) = diff(source, {OLD.key: OLD}, [new]).changes
    assert (change.kind.value, change.field, change.old) == ("price", str(KEY), "10")
    return change.note


@pytest.mark.parametrize(
    ("new_price", "expected"),
    [
        ("12", "x1.2"),
        ("30", "x3"),  # exactly 3x is not beyond 3x
        ("35", "x3.5; suspect: more than 3x"),
        ("2.5", "x0.25; suspect: more than 3x"),
        ("10000", "x1000; suspect: more than 3x"),  # a per-token/per-1M slip: never exponent form
    ],
)
def test_an_aggregators_price_change_reports_its_ratio_and_flags_big_moves(new_price: str, expected: str) -> None:
    assert note("openrouter", new_price) == expected
    assert note("litellm", new_price) == expected


def test_the_providers_own_price_page_is_never_suspect() -> None:
    assert note("openai-pricing", "40") == "x4"


def test_a_price_appearing_or_vanishing_has_no_ratio() -> None:
    new = dataclasses.replace(OLD, prices={KEY: Decimal("10"), PriceKey("input"): Decimal("2.5")})
    (change,) = diff("litellm", {OLD.key: OLD}, [new]).changes
    assert (change.old, change.new, change.note) == (None, "2.5", None)
