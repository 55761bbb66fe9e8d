"""The pure diff: field-level changes with old and new, baselines, debounced delisting."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from watcher.model import NO_REPLACEMENT, Observation, PriceKey, Status
from watcher.poll.diff import diff

BASE = Observation(key="2026-03-24/sora-2", provider="openai", model="sora-2", status=Status.DEPRECATED,
                   shutdown_on=dt.date(2026, 9, 24), replacement=NO_REPLACEMENT,
                   prices={PriceKey("video", tier="standard", variant="720x1280"): Decimal("0.1")})


def test_baseline_stores_everything_and_reports_nothing() -> None:
    result = diff("s", {}, [BASE], baseline=True)
    assert result.changes == [] and result.upserts == [BASE]


def test_each_changed_field_is_one_change_with_old_and_new() -> None:
    new = dataclasses.replace(BASE, shutdown_on=dt.date(2026, 10, 24), replacement=("sora-3",),
                              prices={PriceKey("video", tier="standard", variant="720x1280"): Decimal("0.5")})
    result = diff("s", {BASE.key: BASE}, [new])
    found = {(c.kind.value, c.old, c.new, c.note) for c in result.changes}
    assert found == {
        ("shutdown_date", "2026-09-24", "2026-10-24", None),
        ("replacement", "---", "sora-3", None),
        ("price", "0.1", "0.5", "x5; suspect: more than 3x"),
    }
    assert result.upserts == [new]


def test_explicit_no_replacement_differs_from_not_stated() -> None:
    unstated = dataclasses.replace(BASE, replacement=None)
    (change,) = diff("s", {BASE.key: BASE}, [unstated]).changes
    assert (change.kind.value, change.old, change.new) == ("replacement", "---", None)


def test_presentation_fields_are_not_changes() -> None:
    moved = dataclasses.replace(BASE, section="Past deprecations", url="https://example.test/#x")
    assert diff("s", {BASE.key: BASE}, [moved]).changes == []


def test_modest_price_moves_report_a_ratio_without_suspicion() -> None:
    cheaper = dataclasses.replace(BASE, prices={PriceKey("video", tier="standard", variant="720x1280"): Decimal("0.08")})
    (change,) = diff("s", {BASE.key: BASE}, [cheaper]).changes
    assert change.note == "x0.8"


def test_missing_rows_wait_for_the_debounce() -> None:
    other = dataclasses.replace(BASE, key="k2", model="sora-2-pro")
    first = diff("s", {BASE.key: BASE, "k2": other}, [BASE], delist_after=2)
    assert first.changes == [] and first.absences == {"k2": 1} and first.delisted == []
    second = diff("s", {BASE.key: BASE, "k2": other}, [BASE], absences=first.absences, delist_after=2)
    assert [c.kind.value for c in second.changes] == ["delisted"] and second.delisted == ["k2"]
    assert second.changes[0].old and "shutdown 2026-09-24" in second.changes[0].old
