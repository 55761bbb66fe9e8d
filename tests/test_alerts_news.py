"""Every real transition alerted once: dedupe by what a change ends, flapping damped by rule."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from sqlmodel import select

from sources.registry import BUILTIN
from tests.alerts_support import (
    WebhookSink,
    sink,  # noqa: F401 (fixture)
)
from tests.support import FIXTURES, Upstream
from tests.test_alerts_delivery import BASE, T0, deliveries, make_app, poll
from watcher.alerts.dispatch import DispatchResult, dispatch_due
from watcher.alerts.flapping import Rule, Verdict, verdict
from watcher.app import App
from watcher.disagreements.hook import open_disagreements

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


# --- a channel that comes back, a delivery that dies -----------------------------------------

def _clock() -> dt.datetime:
    """The dispatch clock's start: real now, since deliveries are stamped when queued."""
    return dt.datetime.now(dt.UTC)


def _models(n: int) -> list[dict[str, str]]:
    """The base rows plus one new model per poll (different rows: nothing flaps)."""
    return [*BASE, *({"id": f"m{k}"} for k in range(n))]


def test_a_channel_down_three_hours_gets_its_whole_backlog_in_one_pass(db_url: str, sink: WebhookSink) -> None:
    app = make_app(db_url, {"hook": sink.url()}, watchlist=())
    poll(app, _models(0), T0)
    sink.status = 500
    step = dt.timedelta(minutes=10)
    clock = start = _clock()
    for n in range(1, 19):  # 3 hours of 10-minute dispatch passes, a new alert every half hour
        if n % 3 == 0:
            poll(app, _models(n // 3), T0 + n * step)
        dispatch_due(app, clock)
        clock += step
    assert len(deliveries(app)) == 6 and {d.status for d in deliveries(app)} == {"pending"}
    assert sink.attempts > 6  # retried all along, each on its backoff
    sink.status = 200
    passes: list[DispatchResult] = []
    while not passes or not passes[-1].outcomes:
        passes.append(dispatch_due(app, clock))
        clock += step
        assert clock < start + dt.timedelta(hours=5)
    assert passes[-1].sent == 6 and passes[-1].failed == 0  # the first pass that reaches it sends it all
    assert {d.status for d in deliveries(app)} == {"sent"}
    assert sorted(p["title"] for p in sink.payloads) == sorted(
        f"INFO: m{k} newly listed by toy" for k in range(6))


def test_the_first_accepted_send_makes_the_backlog_due_for_every_dispatcher(db_url: str, sink: WebhookSink) -> None:
    app = make_app(db_url, {"hook": sink.url()}, watchlist=())
    poll(app, _models(0), T0)
    sink.status = 500
    for n in range(1, 3):
        poll(app, _models(n), T0 + n * MIN)
    now = _clock()
    assert dispatch_due(app, now).failed == 2
    sink.status = 200
    poll(app, _models(3), T0 + 3 * MIN)
    now = _clock()
    from watcher.alerts import outbox
    from watcher.store.engine import write_session

    with write_session(app.engine) as session:  # what `_drain` does on its first accepted send
        assert outbox.release(app.engine, "hook", now) == 2
        assert [c.due for c in outbox.candidates(session, now, early=False, limit=10)] == [True, True, True]


def test_a_dead_delivery_is_told_once_on_the_other_channels(db_url: str, sink: WebhookSink) -> None:
    down = WebhookSink()
    try:
        down.status = 500
        app = make_app(db_url, {"down": down.url("/down"), "up": sink.url("/up")}, watchlist=())
        poll(app, _models(0), T0)
        poll(app, _models(1), T0 + MIN)
        now = _clock()
        first = dispatch_due(app, now)
        assert (first.sent, first.failed, first.dead) == (1, 1, 0)
        # Still failing 23 hours on: not dead yet (the default keeps trying for a day).
        assert dispatch_due(app, now + dt.timedelta(hours=23)).dead == 0
        last = dispatch_due(app, now + dt.timedelta(hours=25))
        assert (last.dead, last.sent) == (1, 1)  # given up, and said so on the other channel in the same pass
        news = sink.payloads[-1]
        assert news["title"] == "WARNING: 1 alert to channel down could not be delivered"
        assert "INFO: m0 newly listed by toy" in news["message"] and "watcher outbox --state dead" in news["message"]
        assert "500" in news["message"] and "watcher deliver --retry-dead" in news["message"]
        assert dispatch_due(app, now + dt.timedelta(days=3)).outcomes == ()  # once
        assert len(sink.payloads) == 2 and [d.kind for d in deliveries(app)] == ["digest", "digest", "dead"]

        from watcher.daemon.metrics import Metrics
        from watcher.daemon.snapshot import take

        snap = take(app.engine, (), now)
        assert snap.dead_by_channel == {"down": 1}
        metrics = Metrics()
        metrics.apply(snap, now)
        assert b'watcher_dead_deliveries{channel="down"} 1.0' in metrics.exposition()
        # /healthz adds a line per channel with dead deliveries (without turning unhealthy).
        from watcher.daemon.service import Daemon

        daemon = Daemon.__new__(Daemon)  # only the snapshot's numbers are needed
        daemon._dead = snap.dead_by_channel
        assert daemon._dead_deliveries() == ["dead deliveries: down 1 (watcher outbox --state dead)"]
    finally:
        down.close()


def test_news_about_dead_news_is_never_queued(db_url: str, sink: WebhookSink) -> None:
    sink.status = 500
    app = make_app(db_url, {"a": sink.url("/a"), "b": sink.url("/b")}, watchlist=(), alerts={"max_attempts": 1})
    poll(app, _models(0), T0)
    poll(app, _models(1), T0 + MIN)
    result = dispatch_due(app, _clock())
    assert result.dead == 4  # two digests, then the news about each on the other channel, dead too
    assert sorted(d.kind for d in deliveries(app)) == ["dead", "dead", "digest", "digest"]


# --- a fresh install -------------------------------------------------------------------------

CAPTURES = {
    "openai-deprecations": ("/deprecations.md", "openai_deprecations/deprecations-2026-06-27.md"),
    "openai-pricing": ("/pricing.md", "openai_pricing/pricing-2026-06-27.md"),
    "openrouter": ("/api/v1/models", "openrouter/models-2026-08-19.json"),
    "litellm": ("/model_prices_and_context_window.json", "litellm/model_prices-1.98.0.json"),
    "models-dev": ("/api.json", "models_dev/api-2026-05-21.json"),
    "anthropic-deprecations": ("/anthropic.html", "providers/anthropic-deprecations.html"),
    "gemini-deprecations": ("/gemini.html", "providers/google-deprecations.html"),
    "vertex-model-versions": ("/vertex.html", "providers/vertex-model-versions.html"),
    "azure-retirements": ("/azure.md", "providers/azure-retirement-schedule.md"),
    "bedrock-lifecycle": ("/bedrock.html", "providers/bedrock-lifecycle.html"),
    "mistral-models": ("/mistral.html", "providers/mistral-models.html"),
}


def test_a_fresh_install_polling_every_builtin_source_sends_one_hello_per_channel(
        db_url: str, sink: WebhookSink, upstream: Upstream) -> None:
    from watcher.config import parse
    from watcher.poll.fetch import Fetcher
    from watcher.store.engine import read_session
    from watcher.store.tables import ChangeRecord

    for path, fixture in CAPTURES.values():
        upstream.set(path, (FIXTURES / fixture).read_bytes())
    raw = {"sources": {name: {"url": upstream.url(path)} for name, (path, _) in CAPTURES.items()},
           "channels": {"oncall": {"url": sink.url("/oncall")}, "team": {"url": sink.url("/team")}},
           "watchlist": {"models": ["gpt-4o*", "o1*"]}}
    app = App.create(parse(raw, path=None, environ={}), db_url)
    # Every built-in source that needs no account key (those stay off without one).
    assert sorted(app.enabled_sources()) == sorted(CAPTURES) == sorted(
        name for name in BUILTIN if not name.endswith("-account"))

    async def poll_all() -> list[str]:
        async with Fetcher(app.settings.fetch) as fetcher:
            return [(await app.poll(name, fetcher)).outcome for name in app.enabled_sources()]

    assert asyncio.run(poll_all()) == ["baseline"] * len(CAPTURES)
    assert dispatch_due(app).sent == 2
    assert sorted(sink.paths) == ["/oncall", "/team"]  # one message per channel, nothing else
    hello = sink.payloads[0]
    with read_session(app.engine) as session:
        disagreements = len(open_disagreements(session))
        recorded = session.exec(select(ChangeRecord).where(ChangeRecord.kind == "disagreement")).all()
    assert disagreements > 0 and len(recorded) >= disagreements  # recorded, not alerted
    assert hello["title"] == f"Model Lifecycle Watcher is now watching {len(CAPTURES)} sources"
    assert f"Open disagreements between sources: {disagreements} " in hello["message"]
    assert "Watchlist: gpt-4o*, o1* (" in hello["message"] and "watcher upcoming" in hello["message"]
    assert "litellm (" in hello["message"] and " rows)" in hello["message"]
    # Nothing more on the next round, and never a second hello.
    assert asyncio.run(poll_all()) == ["unchanged"] * len(CAPTURES)
    assert dispatch_due(app).outcomes == () and len(sink.payloads) == 2


def test_the_hello_waits_for_every_enabled_source_and_counts_what_failed(
        db_url: str, sink: WebhookSink, upstream: Upstream) -> None:
    from watcher.config import parse
    from watcher.poll.fetch import Fetcher

    upstream.set("/deprecations.md", (FIXTURES / CAPTURES["openai-deprecations"][1]).read_bytes())
    raw = {"sources": {"openai-deprecations": {"url": upstream.url("/deprecations.md")},
                       "openai-pricing": {"url": upstream.url("/missing.md")},
                       **{name: {"enabled": False} for name in ("openrouter", "litellm", "models-dev")}},
           "channels": {"oncall": {"url": sink.url("/oncall")}}, "fetch": {"retries": 0}}
    app = App.create(parse(raw, path=None, environ={}), db_url)

    async def poll(name: str) -> str:
        async with Fetcher(app.settings.fetch) as fetcher:
            return (await app.poll(name, fetcher)).outcome

    assert asyncio.run(poll("openai-deprecations")) == "baseline"
    assert deliveries(app) == []  # one of two sources has run: not yet
    assert asyncio.run(poll("openai-pricing")) == "failed"
    [hello] = deliveries(app)
    assert hello.kind == "watching" and "openai-pricing (no successful poll yet)" in hello.body_text
    assert "Watchlist: empty" in hello.body_text
