"""Alerts, the pure parts: routing, digests, rendering and escaping, reminder thresholds, backoff."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from apprise.common import NotifyFormat
from apprise.conversion import convert_between
from apprise.plugins.slack import NotifySlack

from watcher.alerts.digest import build
from watcher.alerts.escape import ZWSP, safe_url
from watcher.alerts.items import AlertItem
from watcher.alerts.outbox import backoff
from watcher.alerts.reminders import authoritative, due, threshold_for
from watcher.alerts.render import render
from watcher.alerts.routing import route
from watcher.config import RouteSettings
from watcher.model import ChangeKind, Observation, Severity

T = dt.datetime(2026, 6, 27, 12, 0, 5, 123456, tzinfo=dt.UTC)
TODAY = T.date()
EVIL = "gpt-5.5 <!channel> @here [click](https://evil.example/x) <b>bold</b> <https://evil.example|y>"


def it(n: int, *, model: str | None = None, kind: ChangeKind = ChangeKind.LISTED,
       severity: Severity = Severity.WARNING, shutdown: dt.date | None = None, watched: bool = False,
       source: str = "openai-deprecations", old: str | None = None, new: str | None = "status deprecated",
       field: str | None = None, replacement: str | None = "gpt-5.5") -> AlertItem:
    return AlertItem(change_id=n, source=source, key=f"k/{model or n}", provider="openai",
                     model=model or f"model-{n:02d}", kind=kind, field=field, old=old, new=new,
                     severity=severity, note=None, detected_at=T, watched=watched, shutdown_on=shutdown,
                     replacement=replacement,
                     url=f"https://developers.openai.com/api/docs/deprecations#{model or n}")


def snapshots() -> list[AlertItem]:
    """OpenAI's 2026-04-22 announcement, as the diff reports it: one `listed` per snapshot."""
    july, october = dt.date(2026, 7, 23), dt.date(2026, 10, 23)
    items = [it(n, shutdown=july) for n in range(18)] + [it(n, shutdown=october) for n in range(18, 30)]
    items[25] = it(25, model="gpt-4o-2024-05-13", shutdown=october, severity=Severity.CRITICAL, watched=True)
    return items


def test_thirty_snapshots_make_one_grouped_capped_message() -> None:
    digest = build(snapshots(), kind="digest", today=TODAY, max_items=10)
    assert digest.headline == ("30 models deprecated: shutdown 2026-07-23 (18) and 2026-10-23 (12)",)
    assert digest.entries[0].first.model == "gpt-4o-2024-05-13"  # most severe first
    assert [e.severity for e in digest.entries[1:]] == [Severity.WARNING] * 29
    # Equally severe: the soonest shutdown first.
    assert all(e.first.shutdown_on == dt.date(2026, 7, 23) for e in digest.entries[1:19])
    assert len(digest.shown) == 10 and digest.more == 20
    assert digest.command == ("watcher changes --source openai-deprecations --since 2026-06-27T12:00:05Z "
                              "--until 2026-06-27T12:00:06Z")
    bodies = render(digest, "oncall")
    assert bodies.title == "CRITICAL: gpt-4o-2024-05-13 deprecated, shutdown 2026-10-23 (118 days left) (+29 more)"
    for body in (bodies.text, bodies.markdown, bodies.html):
        assert "…and 20 more" in body and "watcher changes --source openai-deprecations" in body
        assert body.count("model-") == 9  # 10 shown, one of them gpt-4o
    assert "30 models deprecated: shutdown 2026-07-23 (18) and 2026-10-23 (12)" in bodies.text


def test_an_entry_says_what_changed_why_it_matters_and_where_to_look() -> None:
    moved = [it(1, model="sora-2", kind=ChangeKind.SHUTDOWN_DATE, field="shutdown_on", old="2026-10-01",
                new="2026-09-24", shutdown=dt.date(2026, 9, 24), severity=Severity.CRITICAL, watched=True,
                replacement="---"),
             it(2, model="sora-2", kind=ChangeKind.STATUS, field="status", old="active", new="deprecated",
                shutdown=dt.date(2026, 9, 24), replacement="---")]
    bodies = render(build(moved, kind="digest", today=TODAY, max_items=5), "oncall")
    assert bodies.title == "CRITICAL: sora-2 shutdown moved 2026-10-01 → 2026-09-24 (89 days left)"
    text = bodies.text
    assert "CRITICAL sora-2 (openai), watched" in text
    assert "shutdown_on: 2026-10-01 → 2026-09-24" in text and "status: active → deprecated" in text
    assert "shutdown 2026-09-24 (89 days left) · no replacement" in text
    assert "source openai-deprecations: https://developers.openai.com/api/docs/deprecations#sora-2" in text
    assert "[openai-deprecations](https://developers.openai.com/api/docs/deprecations#sora-2)" in bodies.markdown
    assert '<a href="https://developers.openai.com/api/docs/deprecations#sora-2">' in bodies.html


HOSTILE = ("<!channel>", "<!here>", "<script", "<https://evil", "](https://evil", "<b>bold", "@here", "@everyone")


def assert_inert(text: str) -> None:
    """Nothing a receiver (Slack, a Markdown or HTML renderer, a chat reading text) would act on."""
    for threat in HOSTILE:
        assert threat not in text, (threat, text)


def test_scraped_text_is_inert_in_every_format() -> None:
    evil = f"{EVIL} <script>alert(1)</script> @everyone"
    items = [it(1, model="gpt-x <!here>", replacement=evil, shutdown=dt.date(2026, 8, 1),
                new=f"status deprecated; availability {evil}")]
    bodies = render(build(items, kind="digest", today=TODAY, max_items=5), "oncall")
    # What Slack receives: apprise converts our CommonMark to mrkdwn.
    slack = NotifySlack._commonmark_to_slack(bodies.markdown)
    assert_inert(slack)
    assert f"&lt;{ZWSP}!channel&gt;" in slack and f"@{ZWSP}here" in slack
    assert "|click>" not in slack and f"[click]{ZWSP}(https://evil.example/x)" in slack  # text, not a link
    assert f"&lt;{ZWSP}b&gt;bold&lt;{ZWSP}/b&gt;" in slack
    # Our own link survives as a link.
    assert "<https://developers.openai.com/api/docs/deprecations#gpt-x%20%3C!here%3E|openai-deprecations>" in slack
    # Markdown as stored (Discord, Telegram, Matrix … get it through apprise).
    assert_inert(bodies.markdown.replace("\\", ""))
    # Email: no markup from the page; its text part (apprise's rendering of the HTML) inert as well.
    assert_inert(bodies.html)
    assert "&lt;" + ZWSP + "b&gt;bold&lt;" + ZWSP + "/b&gt;" in bodies.html
    assert 'href="https://evil.example' not in bodies.html
    text_part = convert_between(NotifyFormat.HTML, NotifyFormat.TEXT, bodies.html)
    assert_inert(text_part)
    assert f"<{ZWSP}!channel>" in text_part and f"[click]{ZWSP}(https://evil.example/x)" in text_part
    # Plain text (json:// and form:// webhooks, SMS …) and the title (email subject): inert, still readable.
    assert_inert(bodies.text)
    assert_inert(bodies.title)
    assert f"<{ZWSP}script>alert(1)<{ZWSP}/script>" in bodies.text
    assert bodies.title.startswith(f"WARNING: gpt-x <{ZWSP}!here> deprecated")
    for body in (bodies.text, bodies.title, text_part):
        assert body.replace(ZWSP, "").count("<!channel>") == body.count(f"<{ZWSP}!channel>")


def test_scraped_newlines_cannot_start_lines_of_our_message() -> None:
    items = [it(1, model="m\n# heading\n- fake item", shutdown=dt.date(2026, 8, 1))]
    bodies = render(build(items, kind="digest", today=TODAY, max_items=5), "r")
    assert not any(line.startswith(("# heading", "- fake")) for line in bodies.markdown.splitlines())


def test_unsafe_links_are_dropped_and_safe_ones_cannot_break_out() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("data:text/html,hi") is None
    url = safe_url("https://example.com/a b|<x>(y)")
    assert url is not None and not re.search(r"[ |<>()]", url)


def test_routes_carry_each_change_once_per_channel() -> None:
    routes = [RouteSettings("oncall", ("slack", "email"), {"severity": ["critical", "warning"]}),
              RouteSettings("prices", ("email",), {"kind": ["price"]}),
              RouteSettings("watched", ("pager",), {"watchlist": True, "model": "gpt-4o*"})]
    items = [it(1, severity=Severity.CRITICAL, model="gpt-4o", watched=True),
             it(2, kind=ChangeKind.PRICE, severity=Severity.WARNING, field="input", old="1", new="2"),
             it(3, kind=ChangeKind.PRICE, severity=Severity.INFO, field="input", old="2", new="1")]
    batches = {(b.route, b.channel): [i.change_id for i in b.items]
               for b in route(items, routes, ["slack", "email", "pager"])}
    # The warning price change reaches email through `oncall` only, not twice.
    assert batches == {("oncall", "slack"): [1, 2], ("oncall", "email"): [1, 2], ("prices", "email"): [3],
                       ("watched", "pager"): [1]}


def test_without_routes_every_change_goes_to_every_channel() -> None:
    batches = route([it(1), it(2, severity=Severity.INFO)], [], ["a", "b"])
    assert [(b.route, b.channel, len(b.items)) for b in batches] == [("all", "a", 2), ("all", "b", 2)]


def test_prices_and_health_headlines() -> None:
    items = [it(1, kind=ChangeKind.PRICE, field="input/per_1m_tokens/standard", old="2.5", new="3"),
             it(2, kind=ChangeKind.PRICE, field="output/per_1m_tokens/standard", old="10", new="8"),
             it(3, kind=ChangeKind.SOURCE_HEALTH, source="openrouter", model=None, old="ok",
                new="failing: HTTP 503", field="health")]
    digest = build(items, kind="digest", today=TODAY, max_items=5)
    assert digest.headline == ("source openrouter: failing: HTTP 503", "2 price changes on 2 models (1 up, 1 down)")


@pytest.mark.parametrize(("days_left", "expected"), [
    (200, None), (90, 90), (60, 90), (30, 30), (20, 30), (8, 14), (7, 7), (1, 1), (0, 0), (-3, 0), (-8, None)])
def test_reminder_threshold_is_the_nearest_one_reached(days_left: int, expected: int | None) -> None:
    assert threshold_for(days_left, (90, 30, 14, 7, 1, 0)) == expected


def test_reminders_only_for_watched_models_and_once_per_model_and_date() -> None:
    shutdown = TODAY + dt.timedelta(days=20)
    rows = [("openai-deprecations", Observation(key="a/gpt-4o", provider="openai", model="gpt-4o", shutdown_on=shutdown)),
            ("openrouter", Observation(key="openai/gpt-4o", provider="openai", model="gpt-4o", shutdown_on=shutdown)),
            ("openai-deprecations", Observation(key="a/o1", provider="openai", model="o1", shutdown_on=shutdown))]
    found = due(rows, ["gpt-4o*"], (90, 30, 14, 7, 1, 0), TODAY)
    assert [(r.model, r.threshold, r.days_left, len(r.rows)) for r in found] == [("gpt-4o", 30, 20, 2)]


def test_reminders_count_down_to_the_providers_date_not_a_catalogs() -> None:
    official = TODAY + dt.timedelta(days=20)
    rows = [
        ("openai-deprecations", Observation(key="2026-03-24/sora-2", provider="openai", model="sora-2",
                                            shutdown_on=official)),
        # A catalog with a wrong, earlier date: a disagreement, never a countdown.
        ("litellm", Observation(key="sora-2", provider="openai", model="sora-2", shutdown_on=TODAY + dt.timedelta(days=5))),
        # Azure's own schedule does not speak for the model.
        ("litellm", Observation(key="azure/sora-2", provider="openai", model="sora-2", distribution="azure",
                                shutdown_on=TODAY + dt.timedelta(days=1))),
        # A model the provider says nothing about: the catalog's date is all there is.
        ("openrouter", Observation(key="z-ai/glm-4.5", provider="z-ai", model="glm-4.5",
                                   shutdown_on=TODAY + dt.timedelta(days=7))),
    ]
    found = due(authoritative(rows), ["sora-2*", "glm-*"], (90, 30, 14, 7, 1, 0), TODAY)
    assert [(r.model, r.shutdown_on, r.threshold, [s for s, _ in r.rows]) for r in found] == [
        ("glm-4.5", TODAY + dt.timedelta(days=7), 7, ["openrouter"]),
        ("sora-2", official, 30, ["openai-deprecations"]),
    ]


def test_backoff_doubles_up_to_a_cap() -> None:
    first, cap = dt.timedelta(seconds=60), dt.timedelta(minutes=10)
    assert [backoff(n, first, cap).total_seconds() for n in range(1, 7)] == [60, 120, 240, 480, 600, 600]
