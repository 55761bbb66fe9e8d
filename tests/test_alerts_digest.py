"""The digest, branch by branch: every headline sentence, every title summary, the
order of entries, the collapse of one model's rows, the command listing everything."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from tests.test_alerts_render import TODAY, it
from watcher.alerts.digest import build, days_phrase, plural
from watcher.alerts.items import AlertItem
from watcher.alerts.render import render, title
from watcher.model import ChangeKind, Severity

D = dt.timedelta


def _health(source: str, new: str, old: str = "ok") -> AlertItem:
    return it(1, kind=ChangeKind.SOURCE_HEALTH, source=source, model=None, old=old, new=new, field="health")


@pytest.mark.parametrize(("items", "headline", "summary"), [
    ([it(1, model="gpt-x", kind=ChangeKind.DELISTED, old="listed", new=None),
      it(2, model="gpt-y", kind=ChangeKind.DELISTED, old="listed", new=None)],
     ("2 models delisted",), "gpt-x delisted by openai-deprecations"),
    ([it(1, model="gpt-x", kind=ChangeKind.SHUTDOWN_DATE, field="shutdown_on", old="2026-09-01",
         new="2026-08-01", shutdown=dt.date(2026, 8, 1))],
     ("1 shutdown date changed",), "gpt-x shutdown moved 2026-09-01 → 2026-08-01 (35 days left)"),
    ([it(1, model="gpt-x", kind=ChangeKind.LISTED, new="status active"),
      it(2, model="gpt-y", kind=ChangeKind.LISTED, new="status active")],
     ("2 new models",), "gpt-x newly listed by openai-deprecations"),
    ([it(1, model="gpt-x", kind=ChangeKind.DISAGREEMENT, field="shutdown_on", old=None, new="2026-08-01 vs 2026-09-01")],
     ("1 disagreement between sources",), "gpt-x shutdown_on: — → 2026-08-01 vs 2026-09-01"),
    ([it(1, model="gpt-x", kind=ChangeKind.AVAILABILITY, field="availability", old="ga", new="preview"),
      it(2, model="gpt-y", kind=ChangeKind.ALIASES, field="aliases", old=None, new="x")],
     ("1 aliases change, 1 availability change",), "gpt-x availability: ga → preview"),
    ([it(1, model="gpt-x", kind=ChangeKind.STATUS, field="status", old="active", new="retired",
         shutdown=TODAY - D(3))],
     ("1 model deprecated: shutdown 2026-06-24 (1)",), "gpt-x deprecated, shutdown 2026-06-24 (3 days past)"),
    ([it(1, model="gpt-x", kind=ChangeKind.STATUS, field="status", old="active", new="legacy")],
     ("1 model deprecated: shutdown no date given (1)",), "gpt-x deprecated"),
    ([it(1, model="gpt-x", kind=ChangeKind.SHUTDOWN_DATE, field="shutdown_on", old=None, new="2026-07-01T00:00")],
     ("1 model deprecated: shutdown 2026-07-01 (1)",), "gpt-x deprecated"),
    ([it(1, model="gpt-x", kind=ChangeKind.SHUTDOWN_DATE, field="shutdown_on", old=None, new="soon")],
     ("1 model deprecated: shutdown no date given (1)",), "gpt-x deprecated"),
    ([it(1, model="gpt-x", kind=ChangeKind.PRICE, field="input", old=None, new="2"),
      it(2, model="gpt-y", kind=ChangeKind.PRICE, field="input", old="2", new="2.0"),
      it(3, model="gpt-z", kind=ChangeKind.PRICE, field="input", old="n/a", new="2")],
     ("3 price changes on 3 models (1 up)",), "gpt-x price input: — → 2"),
    ([it(1, model="gpt-x", kind=ChangeKind.PRICE, field="input", old="3", new=None)],
     ("1 price change on 1 model (1 down)",), "gpt-x price input: 3 → —"),
    ([_health("openrouter", "ok", old="failing: HTTP 503")],
     ("source openrouter: recovered",), "source openrouter recovered"),
    ([_health("openrouter", "refused: layout changed")],
     ("source openrouter: refused: layout changed",), "source openrouter refused: layout changed"),
])
def test_every_kind_of_news_has_its_sentence_and_title(items: list[AlertItem], headline: tuple[str, ...],
                                                       summary: str) -> None:
    digest = build(items, kind="digest", today=TODAY, max_items=5)
    assert digest.headline == headline
    rest = f" (+{len(digest.entries) - 1} more)" if len(digest.entries) > 1 else ""
    assert title(digest) == f"WARNING: {summary}{rest}"
    assert digest.kind == ("health" if items[0].kind is ChangeKind.SOURCE_HEALTH else "digest")


def test_items_that_are_not_models_are_items() -> None:
    rows = [it(1, kind=ChangeKind.LISTED, new="status active"), it(2, kind=ChangeKind.LISTED, new="status active")]
    rows[1] = dataclasses.replace(rows[1], is_model=False)
    assert build(rows, kind="digest", today=TODAY, max_items=5).headline == ("2 new items",)
    assert build(rows[:1], kind="digest", today=TODAY, max_items=5).headline == ("1 new model",)


def test_deadlines_name_the_first_three_then_count() -> None:
    rows = [it(n, model=f"m{n}", kind=ChangeKind.DEADLINE, new=None, shutdown=TODAY + D(days=n))
            for n in range(5)]
    digest = build(rows, kind="reminder", today=TODAY, max_items=5)
    assert digest.headline == ("5 shutdowns approaching: m0 today, m1 tomorrow, m2 in 2 days and 2 more",)
    assert title(digest) == f"WARNING: m0 shuts down today ({TODAY.isoformat()}) (+4 more)"
    assert digest.command.endswith(" --kind deadline")
    four = build(rows[:4], kind="reminder", today=TODAY, max_items=5)
    assert four.headline == ("4 shutdowns approaching: m0 today, m1 tomorrow, m2 in 2 days and 1 more",)
    three = build(rows[:3], kind="reminder", today=TODAY, max_items=5)
    assert three.headline == ("3 shutdowns approaching: m0 today, m1 tomorrow, m2 in 2 days",)
    one = build(rows[1:2], kind="reminder", today=TODAY, max_items=5)
    assert one.headline == ("1 shutdown approaching: m1 tomorrow",)
    body = render(one, "r").text
    assert body.startswith("shutdown reminders: ") and "shuts down tomorrow" in body


def test_many_deprecation_dates_are_summed_up() -> None:
    rows = [it(n, shutdown=TODAY + D(days=10 * n)) for n in range(1, 6)]
    [sentence] = build(rows, kind="digest", today=TODAY, max_items=9).headline
    assert sentence == "5 models deprecated: shutdown 2026-07-07 (1), 2026-07-17 (1), 2026-07-27 (1) and 2 more dates"
    undated = [it(1, model="a", kind=ChangeKind.STATUS, field="status", old="active", new="deprecated"),
               it(2, model="b", shutdown=TODAY + D(days=40)), it(3, model="c", shutdown=TODAY + D(days=20))]
    assert build(undated, kind="digest", today=TODAY, max_items=9).headline == (
        "3 models deprecated: shutdown 2026-07-17 (1), 2026-08-06 (1) and no date given (1)",)
    four = build(rows[:4], kind="digest", today=TODAY, max_items=9).headline
    assert four == ("4 models deprecated: shutdown 2026-07-07 (1), 2026-07-17 (1), 2026-07-27 (1) and 2026-08-06 (1)",)


def test_order_severity_then_watched_then_shutdowns_ahead_then_none_then_past() -> None:
    rows = [it(1, model="past-far", shutdown=TODAY - D(600)), it(2, model="past-near", shutdown=TODAY - D(5)),
            it(3, model="none", shutdown=None), it(4, model="ahead-far", shutdown=TODAY + D(300)),
            it(5, model="ahead-near", shutdown=TODAY + D(2)), it(6, model="today", shutdown=TODAY),
            it(7, model="watched-far", shutdown=TODAY + D(400), watched=True),
            it(8, model="info", severity=Severity.INFO, shutdown=TODAY + D(1)),
            it(9, model="critical-past", severity=Severity.CRITICAL, shutdown=TODAY - D(1))]
    digest = build(rows, kind="digest", today=TODAY, max_items=3)
    assert [e.first.name for e in digest.entries] == [
        "critical-past", "watched-far", "today", "ahead-near", "ahead-far", "none", "past-near", "past-far", "info"]
    assert digest.severity is Severity.CRITICAL and [e.first.name for e in digest.shown] == [
        "critical-past", "watched-far", "today"]
    assert digest.more == 6 and digest.sources == ["openai-deprecations"]
    assert digest.change_ids == list(range(1, 10))


def test_one_models_rows_saying_the_same_are_one_entry_naming_them() -> None:
    def row(n: int, key: str, new: str = "2026-08-01", model: str = "gpt-x", source: str = "litellm") -> AlertItem:
        return dataclasses.replace(it(n), key=key, model=model, source=source, kind=ChangeKind.SHUTDOWN_DATE,
                                   field="shutdown_on", old=None, new=new)

    rows = [row(1, "azure/us/gpt-x"), row(2, "gpt-x"), row(3, "azure/gpt-x"),
            row(4, "azure/eu/gpt-x", new="2026-09-01"),  # says something else: its own line
            row(5, "gpt-y", model="gpt-y"),  # another model
            row(6, "gpt-x", source="models-dev")]  # another source
    digest = build(rows, kind="digest", today=TODAY, max_items=10)
    keys = sorted((e.first.source, e.keys) for e in digest.entries)
    assert keys == [("litellm", ("azure/eu/gpt-x",)), ("litellm", ("gpt-x", "azure/gpt-x", "azure/us/gpt-x")),
                    ("litellm", ("gpt-y",)), ("models-dev", ("gpt-x",))]
    assert digest.change_ids == [1, 2, 3, 4, 5, 6]
    assert title(digest).endswith("(+3 more)")
    text = render(digest, "r").text
    assert "gpt-x (openai), 3 catalog entries" in text and "  as: gpt-x, azure/gpt-x, azure/us/gpt-x" in text
    many = [row(n, f"region-{n:02d}/gpt-x") for n in range(12)]
    text = render(build(many, kind="digest", today=TODAY, max_items=10), "r").text
    assert "12 catalog entries" in text and ", region-09/gpt-x and 2 more" in text
    # A watched or more severe row among them makes the entry so.
    rows[2] = dataclasses.replace(rows[2], watched=True, severity=Severity.CRITICAL)
    entry = next(e for e in build(rows, kind="digest", today=TODAY, max_items=10).entries if len(e.keys) == 3)
    assert entry.watched and entry.severity is Severity.CRITICAL


def test_the_command_carries_the_routes_filters() -> None:
    rows = [it(1, source="b"), it(2, source="a")]
    digest = build(rows, kind="digest", today=TODAY, max_items=5,
                   when={"kind": ["listed", "status"], "severity": "warning", "model": "gpt-*"})
    assert digest.command == ("watcher changes --source a --source b --since 2026-06-27T12:00:05Z --until "
                              "2026-06-27T12:00:06Z --kind listed --kind status --severity warning --model 'gpt-*'")
    two_models = build(rows, kind="digest", today=TODAY, max_items=5, when={"model": ["a*", "b*"]})
    assert "--model" not in two_models.command
    with pytest.raises(ValueError, match="at least one item"):
        build([], kind="digest", today=TODAY, max_items=5)


def test_small_words() -> None:
    assert [days_phrase(d) for d in (None, 2, 1, 0, -1, -2)] == [
        "(no shutdown date)", "in 2 days", "tomorrow", "today", "1 day ago", "2 days ago"]
    assert (plural(1, "model"), plural(0, "model"), plural(2, "model")) == ("1 model", "0 models", "2 models")


def test_a_rows_changes_are_told_in_kind_then_field_order() -> None:
    rows = [it(1, model="m", kind=ChangeKind.PRICE, field="output", old="1", new="2"),
            it(2, model="m", kind=ChangeKind.PRICE, field="input", old="1", new="2"),
            it(3, model="m", kind=ChangeKind.STATUS, field="status", old="active", new="deprecated")]
    [entry] = build(rows, kind="digest", today=TODAY, max_items=5).entries
    assert [(i.kind, i.field) for i in entry.items] == [
        (ChangeKind.STATUS, "status"), (ChangeKind.PRICE, "input"), (ChangeKind.PRICE, "output")]
