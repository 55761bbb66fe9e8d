"""The replay's yardstick (bench/_replay_rawdiff.py, bench/_replay_compare.py): what counts as a real change
in raw catalog JSON, and how the product's reports are scored against it. A lenient yardstick would make
issue 9's replay figures meaningless, so each rule is pinned here."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from bench._replay_compare import score
from bench._replay_rawdiff import expected_changes, litellm_rows, models_dev_rows


def litellm(**entries: dict[str, Any]) -> bytes:
    return json.dumps({"sample_spec": {"litellm_provider": "doc", "input_cost_per_token": 0},
                       **{key: {"litellm_provider": "openai", **entry} for key, entry in entries.items()}}).encode()


def test_every_cost_field_is_a_price_with_object_members_and_zeros_and_float_noise_is_not_a_change() -> None:
    rows = litellm_rows(litellm(a={"input_cost_per_token": 2.5e-06, "mode": "chat", "max_tokens": 10,
                                   "search_context_cost_per_query": {"search_context_size_low": 0.03},
                                   "output_cost_per_pixel": 0.0, "deprecation_date": "2098-12-31"}))
    assert set(rows) == {"a"}  # the documentation entry is no row
    assert rows["a"].prices == {"input_cost_per_token": Decimal("0.0000025"), "output_cost_per_pixel": 0,
                                "search_context_cost_per_query.search_context_size_low": Decimal("0.03")}
    assert rows["a"].shutdown is None  # a far-future placeholder is no date
    noisy = [litellm_rows(litellm(a={"input_cost_per_token": 0.0002833333333333333})),
             litellm_rows(litellm(a={"input_cost_per_token": 0.000283333333333}))]
    assert expected_changes(noisy, 2) == [[], []]


def test_a_row_is_delisted_only_after_the_debounce_and_one_that_comes_back_earlier_never_left() -> None:
    a, ab = litellm_rows(litellm(a={})), litellm_rows(litellm(a={}, b={}))
    steps = expected_changes([ab, a, ab, a, a, ab], delist_after=2)
    assert [[(e.kind, e.key) for e in step] for step in steps] == [
        [], [], [], [], [("delisted", "b")], [("listed", "b")]]


def test_a_change_on_a_returning_row_is_against_its_last_seen_version() -> None:
    one, two = litellm_rows(litellm(a={"deprecation_date": "2026-01-01"})), litellm_rows(litellm())
    three = litellm_rows(litellm(a={"deprecation_date": "2026-02-01"}))
    [[], [], [change]] = expected_changes([one, two, three], delist_after=2)
    assert (change.kind, change.old, change.new) == ("shutdown_date", "2026-01-01", "2026-02-01")


def test_models_dev_context_band_notations_are_one_statement() -> None:
    def snapshot(cost: dict[str, Any]) -> bytes:
        return json.dumps({"p": {"id": "p", "models": {"m": {"cost": cost}}}}).encode()

    old = snapshot({"input": 1, "context_over_200k": {"input": 2}})
    moved = snapshot({"input": 1, "tiers": [{"tier": {"type": "context", "size": 200000}, "input": 2}]})
    both = snapshot({"input": 1, "context_over_200k": {"input": 2},
                     "tiers": [{"tier": {"type": "context", "size": 272000}, "input": 2}]})
    assert expected_changes([models_dev_rows(old), models_dev_rows(moved)], 2)[1] == []
    changes = expected_changes([models_dev_rows(old), models_dev_rows(both)], 2)[1]
    assert sorted((c.field, c.old, c.new) for c in changes) == [
        ("cost.context>200000.input", 2, None), ("cost.context>272000.input", None, 2)]


def test_reports_match_real_changes_by_row_and_value_in_any_unit_scale() -> None:
    before = litellm_rows(litellm(a={"input_cost_per_token": 1e-06, "input_cost_per_query": 0.01}))
    after = litellm_rows(litellm(a={"input_cost_per_token": 2e-06}))
    expected = expected_changes([before, after], 2)
    right: list[dict[str, Any]] = [{"kind": "price", "key": "a", "field": "input", "old": "1", "new": "2"},
             {"kind": "price", "key": "a", "field": "query", "old": "0.01", "new": None}]
    found = score(expected, [[], right])
    assert (sum(found.on_time.values()), found.missed_list, found.false_list) == (2, [], [])
    wrong: list[dict[str, Any]] = [{"kind": "price", "key": "a", "field": "input", "old": "1", "new": "3"},  # wrong value
             {"kind": "price", "key": "b", "field": "query", "old": "0.01", "new": None}]  # wrong row
    found = score(expected, [[], wrong])
    assert (len(found.missed_list), len(found.false_list), found.on_time["price"]) == (2, 2, 0)


def test_a_report_after_a_refusal_is_late_but_only_then() -> None:
    one, two = litellm_rows(litellm(a={"deprecation_date": "2026-01-01"})), litellm_rows(litellm(a={}))
    expected = expected_changes([one, two, two], 2)
    late_report = [{"kind": "shutdown_date", "key": "a", "field": "shutdown_on", "old": "2026-01-01", "new": None}]
    found = score(expected, [[], [], late_report], refused={1})
    assert (found.missed["shutdown_date"], found.late["shutdown_date"], found.false_list) == (1, 1, [])
    found = score(expected, [[], [], late_report])  # no refusal: a report out of step is false
    assert len(found.false_list) == 1
