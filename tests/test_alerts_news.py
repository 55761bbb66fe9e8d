"""Every real transition alerted once: dedupe by what a change ends, flapping damped by rule."""

from __future__ import annotations

import datetime as dt
import json

from tests.alerts_support import WebhookSink
from tests.alerts_support import sink  # noqa: F401 (fixture)
from tests.test_alerts_delivery import BASE, T0, deliveries, make_app, poll
from watcher.alerts.dispatch import dispatch_due
from watcher.alerts.flapping import Rule, Verdict, verdict

MIN = dt.timedelta(minutes=1)


def _availability(value: str) -> list[dict[str, str]]:
    return [BASE[0], {"id": "o1", "availability": value}, BASE[2]]


def _news(sink: WebhookSink) -> list[str]:
    return [next(line.strip() for line in p["message"].splitlines() if "availability:" in line)
            for p in sink.payloads]


def test_a_value_flipping_back_and_forth_is_news_each_time(db_url: str, sink: WebhookSink) -> None:
    app = make_app(db_url, {"hook": sink.url()}, watchlist=())
    assert poll(app, _availability("A"), T0).outcome == "baseline"
    for n, value in enumerate(["B", "A", "B"], start=1):
        assert len(poll(app, _availability(value), T0 + n * MIN).changes) == 1
        assert dispatch_due(app).sent == 1  # the same bytes as two polls ago: still news
    assert _news(sink) == ["availability: A → B", "availability: B → A", "availability: A → B"]
    assert len(deliveries(app)) == 3


def test_a_flapping_value_is_told_once_until_it_settles(db_url: str, sink: WebhookSink) -> None:
    app = make_app(db_url, {"hook": sink.url()}, watchlist=(),
                   alerts={"flapping_changes": 3, "flapping_window": "1h"})
    poll(app, _availability("A"), T0)
    values = ["B", "A", "B", "A", "B", "A"]
    for n, value in enumerate(values, start=1):
        poll(app, _availability(value), T0 + n * MIN)
    assert dispatch_due(app).sent == 4  # three changes, then the one saying "flapping"; the last two held
    flapping = sink.payloads[-1]["message"]
    assert "availability: B → A (flapping: changed 3 times" in flapping and "flapping: changed 3 times within 1 h" in flapping
    assert all("flapping" not in p["message"] for p in sink.payloads[:3])
    # Quiet for the whole window: the next change is plain news again.
    poll(app, _availability("C"), T0 + 2 * dt.timedelta(hours=1))
    assert dispatch_due(app).sent == 1
    assert _news(sink)[-1] == "availability: A → C" and "flapping" not in sink.payloads[-1]["message"]


def test_flapping_rule() -> None:
    rule = Rule(changes=2, window=dt.timedelta(hours=1))
    t = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert verdict([], t, rule) is Verdict.NEWS
    assert verdict([t - 2 * MIN], t, rule) is Verdict.NEWS
    assert verdict([t - 2 * MIN, t - MIN], t, rule) is Verdict.STARTS
    assert verdict([t - 3 * MIN, t - 2 * MIN, t - MIN], t, rule) is Verdict.HELD
    # Only changes inside the window count; the window is open at its far end.
    assert verdict([t - dt.timedelta(hours=1), t - MIN], t, rule) is Verdict.NEWS
    assert verdict([t - dt.timedelta(minutes=59), t - MIN], t, rule) is Verdict.STARTS
    # Later or simultaneous changes are not "before".
    assert verdict([t, t + MIN], t, rule) is Verdict.NEWS
    assert verdict([t - MIN, t - 2 * MIN, t - 3 * MIN], t, Rule(changes=0, window=rule.window)) is Verdict.HELD
    assert json.dumps(rule.describe()) and "2 times within 1 h" in rule.describe()
