"""Alerts end to end in one process, on SQLite and PostgreSQL: a poll's changes are
queued in its transaction, then delivered through apprise to real receivers on
127.0.0.1 (aiosmtpd, a webhook endpoint, Slack's host through an HTTPS proxy)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from sources.base import BuiltinSource
from tests.alerts_support import (  # noqa: F401 (fixtures)
    SLACK_TOKEN_PATH,
    SLACK_URL,
    FakeSlack,
    SmtpSink,
    WebhookSink,
    sink,
    slack,
    slack_certificate,
    smtp,
)
from watcher.alerts import outbox, silences
from watcher.alerts.dispatch import dispatch_due
from watcher.alerts.escape import ZWSP
from watcher.alerts.queue import OutboxHook
from watcher.alerts.reminders import send_reminders
from watcher.app import App
from watcher.config import ConfigError, SourceSettings, check_channels, parse
from watcher.model import Document, Observation, Status
from watcher.poll.pipeline import PollResult
from watcher.store.engine import read_session, write_session
from watcher.store.tables import ChangeRecord, Delivery, ReminderSent, Run

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
# Polls happen yesterday from 06:00 (UTC): in the past, and never across midnight,
# so "days left" does not depend on the hour the suite runs.
T0 = dt.datetime.combine(NOW.date() - dt.timedelta(days=1), dt.time(6), tzinfo=dt.UTC)
SHUTDOWN = T0.date() + dt.timedelta(days=20)
EVIL = "<!channel> @here [click](https://evil.example/x) <b>bold</b> <https://evil.example|y>"
FIXTURE = Path(__file__).parent / "fixtures" / "openai_deprecations" / "deprecations-2026-06-27.md"


# --- a catalog-like source whose cells the tests control -----------------------------------


def _parse(doc: Document) -> list[Observation]:
    return [
        Observation(
            key=row["id"], provider="openai", model=row["id"],
            status=Status(row.get("status", "active")),
            shutdown_on=dt.date.fromisoformat(row["shutdown"]) if row.get("shutdown") else None,
            replacement=(row["replacement"],) if row.get("replacement") else None,
            availability=row.get("availability"),
            url=f"https://catalog.example/models#{row['id']}",
        )
        for row in json.loads(doc.body)
    ]


TOY = BuiltinSource(name="toy", urls=("https://catalog.example/models.json",), parser_version="1", parse_fn=_parse)
TOY_SETTINGS = SourceSettings(name="toy")
BASE = [{"id": "gpt-4o"}, {"id": "o1"}, {"id": "babbage-002"}]


def poll(app: App, rows: Sequence[Mapping[str, str]], at: dt.datetime) -> PollResult:
    doc = Document("toy", TOY.urls[0], json.dumps(list(rows)).encode(), at)
    return app.poller.record_document(TOY, TOY_SETTINGS, doc)


def make_app(db_url: str, channels: Mapping[str, str], *, routes: Sequence[Mapping[str, Any]] = (),
             watchlist: Sequence[str] = ("gpt-4o*",), alerts: Mapping[str, Any] | None = None) -> App:
    raw = {"channels": {name: {"url": url} for name, url in channels.items()}, "routes": list(routes),
           "watchlist": {"models": list(watchlist)}, "alerts": dict(alerts or {})}
    return App.create(parse(raw, path=None, environ={}), db_url)


def deliveries(app: App) -> list[Delivery]:
    with read_session(app.engine) as session:
        return list(session.exec(select(Delivery).order_by(col(Delivery.id))))


def deprecate(row: Mapping[str, str], **extra: str) -> dict[str, str]:
    return {**row, "status": "deprecated", "shutdown": SHUTDOWN.isoformat(), "replacement": "gpt-5.5", **extra}


# --- the tests ---------------------------------------------------------------------------------


def test_email_has_subject_recipients_and_html_and_text_bodies(db_url: str, smtp: SmtpSink) -> None:
    app = make_app(db_url, {"oncall-email": smtp.url()})
    assert poll(app, BASE, T0).outcome == "baseline"
    poll(app, [deprecate(BASE[0]), *BASE[1:]], T0 + dt.timedelta(hours=1))
    [queued] = deliveries(app)
    assert dispatch_due(app).sent == 1
    assert smtp.logins == ["alerts"]  # the password from the URL was used, once per connection
    assert sorted(mail.rcpt_tos[0] for mail in smtp.mails) == ["lead@example.com", "oncall@example.com"]
    for mail in smtp.mails:
        assert mail.message["Subject"] == queued.title
        assert queued.title.startswith("CRITICAL: gpt-4o deprecated, shutdown ")
        assert mail.message["From"].addresses[0].addr_spec == "watcher@example.com"
        assert mail.message["To"].addresses[0].addr_spec == mail.rcpt_tos[0]
        html, text = mail.part("html"), mail.part("plain")
        for body in (html, text):
            assert "gpt-4o" in body and "status: active → deprecated" in body
            assert "replacement: — → gpt-5.5" in body and "(20 days left)" in body
            assert "https://catalog.example/models#gpt-4o" in body
        assert '<a href="https://catalog.example/models#gpt-4o">' in html and "<b>CRITICAL</b>" in html
        assert "<" not in text.replace("<!", "")  # the text part is text
    with read_session(app.engine) as session:
        row = session.get(Delivery, queued.id)
        assert row is not None and row.status == "sent" and row.sent_at is not None and row.attempts == 1


def test_slack_receives_mrkdwn_from_apprises_slack_plugin(db_url: str, slack: FakeSlack) -> None:
    app = make_app(db_url, {"oncall-slack": SLACK_URL})
    poll(app, BASE, T0)
    poll(app, [deprecate(BASE[0]), *BASE[1:]], T0 + dt.timedelta(hours=1))
    assert dispatch_due(app).sent == 1
    [post] = slack.posts
    assert post.path == SLACK_TOKEN_PATH and slack.refused == []
    assert post.payload["mrkdwn"] is True
    attachment = post.payload["attachments"][0]
    assert attachment["title"].startswith("CRITICAL: gpt-4o deprecated, shutdown ")
    text = attachment["text"]
    assert "*CRITICAL* *gpt-4o* (openai), watched" in text
    assert "status: active → deprecated" in text
    assert "<https://catalog.example/models#gpt-4o|toy>" in text  # our link, in Slack's own syntax


def test_scraped_mentions_links_and_markup_arrive_inert(db_url: str, slack: FakeSlack, smtp: SmtpSink,
                                                        sink: WebhookSink) -> None:
    from tests.test_alerts_render import assert_inert

    app = make_app(db_url, {"slack": SLACK_URL, "email": smtp.url("oncall@example.com"), "hook": sink.url()})
    poll(app, BASE, T0)
    poll(app, [deprecate(BASE[0], availability=EVIL, replacement=f"gpt-5.5 {EVIL}"), *BASE[1:],
               {"id": f"evil {EVIL}"}], T0 + dt.timedelta(hours=1))
    assert dispatch_due(app).sent == 3
    slack_text = slack.posts[0].payload["attachments"][0]["text"]
    assert_inert(slack_text)
    assert f"&lt;{ZWSP}!channel&gt;" in slack_text and f"@{ZWSP}here" in slack_text
    assert "|click>" not in slack_text and "|y>" not in slack_text
    [mail] = smtp.mails
    html, text = mail.part("html"), mail.part("plain")
    assert 'href="https://evil.example' not in html
    for body in (html, text, mail.message["Subject"], sink.payloads[0]["message"], sink.payloads[0]["title"]):
        assert_inert(body)
    assert f"<{ZWSP}!channel>" in text and f"<{ZWSP}b>bold<{ZWSP}/b>" in text  # shown as the page said it


def test_channel_down_for_three_polls_then_back_delivers_every_change_once(db_url: str, sink: WebhookSink) -> None:
    app = make_app(db_url, {"hook": sink.url()}, watchlist=())
    poll(app, BASE, T0)
    sink.status = 500
    rows = [dict(r) for r in BASE]
    for n in range(3):
        rows[1] = {"id": "o1", "availability": f"state-{n}"}
        poll(app, rows, T0 + dt.timedelta(minutes=n + 1))
        result = dispatch_due(app)
        assert (result.sent, result.failed) == (0, 1)
    with read_session(app.engine) as session:
        assert [d["attempts"] for d in outbox.listing(session, ["failed"])] == [1, 1, 1]  # each on its backoff
    sink.status = 200
    rows[1] = {"id": "o1", "availability": "state-3"}
    poll(app, rows, T0 + dt.timedelta(minutes=10))
    assert dispatch_due(app).sent == 4  # the new one, then the backlog: the channel is back
    assert dispatch_due(app, NOW + dt.timedelta(days=1)).outcomes == ()
    news = [next(line.strip() for line in p["message"].splitlines() if "availability:" in line)
            for p in sink.payloads]
    assert sorted(news) == sorted(["availability: — → state-0", "availability: state-0 → state-1",
                                   "availability: state-1 → state-2", "availability: state-2 → state-3"])
    assert {d.status for d in deliveries(app)} == {"sent"}


def test_thirty_changes_in_one_poll_make_one_message_per_route(db_url: str, sink: WebhookSink) -> None:
    routes = [{"name": "oncall", "when": {"severity": ["critical", "warning"]}, "channels": ["slack", "email"]},
              {"name": "prices", "when": {"kind": ["price"]}, "channels": ["email"]},
              {"name": "watched", "when": {"watchlist": True}, "channels": ["pager"]}]
    app = make_app(db_url, {name: sink.url(f"/{name}") for name in ("slack", "email", "pager")}, routes=routes)
    page = FIXTURE.read_text(encoding="utf-8")
    before = page[: page.index("### 2026-04-22")] + page[page.index("### 2026-03-24"):]
    source, settings = app.source("openai-deprecations"), app.source_settings("openai-deprecations")
    at = dt.datetime(2026, 6, 27, 9, tzinfo=dt.UTC)
    app.poller.record_document(source, settings, Document("openai-deprecations", "u", before.encode(), at))
    result = app.poller.record_document(source, settings, Document("openai-deprecations", "u", page.encode(),
                                                                   at + dt.timedelta(hours=1)))
    assert len(result.changes) == 32  # OpenAI's 2026-04-22 "Legacy GPT model snapshots"
    queued = {(d.route, d.channel): json.loads(d.change_ids or "[]") for d in deliveries(app)}
    assert set(queued) == {("oncall", "slack"), ("oncall", "email"), ("watched", "pager")}
    assert len(queued[("oncall", "slack")]) == len(queued[("oncall", "email")]) == 32
    assert len(queued[("watched", "pager")]) == 4  # gpt-4o-2024-05-13 and three gpt-4o-*-preview snapshots
    assert dispatch_due(app).sent == 3
    assert sorted(sink.paths) == ["/email", "/pager", "/slack"]
    message = sink.payloads[sink.paths.index("/slack")]["message"]
    assert message.startswith("openai-deprecations: 32 models deprecated: shutdown 2026-07-23 (15) and 2026-10-23 (17)")
    assert ("…and 17 more (32 in all, 32 changes). List all 32 changes: watcher changes --source openai-deprecations"
            " --since 2026-06-27T10:00:00Z") in message


def test_the_same_change_is_queued_once_per_channel_when_two_processes_race(db_url: str, sink: WebhookSink) -> None:
    quiet = make_app(db_url, {})  # records the changes, queues nothing
    poll(quiet, BASE, T0)
    result = poll(quiet, [deprecate(BASE[0]), deprecate(BASE[1]), BASE[2]], T0 + dt.timedelta(hours=1))
    loud = make_app(db_url, {"a": sink.url("/a"), "b": sink.url("/b")})
    hook = next(h for h in loud.hooks if isinstance(h, OutboxHook))
    start, errors = threading.Barrier(4), []

    def queue_again() -> None:
        try:
            start.wait()
            with write_session(loud.engine) as session:
                run = session.get(Run, result.run_id)
                records = list(session.exec(select(ChangeRecord).where(ChangeRecord.run_id == result.run_id)))
                assert run is not None
                hook(session, run, records, {o.key: o for o in _parse(Document("toy", "u", json.dumps(
                    [deprecate(BASE[0]), deprecate(BASE[1]), BASE[2]]).encode(), T0))})
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=queue_again) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(d.channel for d in deliveries(loud)) == ["a", "b"]


def test_concurrent_dispatchers_send_each_message_once(db_url: str, sink: WebhookSink) -> None:
    app = make_app(db_url, {"hook": sink.url()}, watchlist=(), alerts={"flapping_changes": 0})
    poll(app, BASE, T0)
    for n in range(6):
        poll(app, [BASE[0], {"id": "o1", "availability": f"v{n}"}, BASE[2]], T0 + dt.timedelta(minutes=n + 1))
    others = [App.create(app.settings, db_url) for _ in range(3)]  # as if three processes
    threads = [threading.Thread(target=dispatch_due, args=(other,)) for other in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sink.payloads) == 6 and sink.attempts == 6
    assert {d.status for d in deliveries(app)} == {"sent"}


def test_silenced_changes_are_recorded_not_delivered(db_url: str, sink: WebhookSink) -> None:
    app = make_app(db_url, {"hook": sink.url()})
    poll(app, BASE, T0)
    with write_session(app.engine) as session:
        held = silences.add(session, model="gpt-4o*", source=None, until=NOW + dt.timedelta(days=1),
                            reason="known, migrating", now=T0)
    result = poll(app, [deprecate(BASE[0]), deprecate(BASE[1]), BASE[2]], T0 + dt.timedelta(hours=1))
    with read_session(app.engine) as session:
        records = {r.model: r.silence_id for r in session.exec(select(ChangeRecord))}
        [listed] = silences.listing(session, NOW)
    assert records["gpt-4o"] == held.id and records["o1"] is None and len(result.changes) == 6
    assert listed["held_changes"] == 3 and listed["state"] == "active"
    [queued] = deliveries(app)
    assert "o1" in queued.title and "gpt-4o" not in queued.body_text
    with write_session(app.engine) as session:
        silences.expire(session, held.id or 0, T0 + dt.timedelta(hours=2))
    poll(app, [deprecate(BASE[0], availability="gone"), deprecate(BASE[1]), BASE[2]], T0 + dt.timedelta(hours=3))
    assert "gpt-4o" in deliveries(app)[-1].title


def test_reminders_once_per_threshold_across_restarts(db_url: str, sink: WebhookSink) -> None:
    app = make_app(db_url, {"hook": sink.url()}, watchlist=["gpt-4o*"])
    poll(app, [deprecate(BASE[0]), deprecate(BASE[1]), BASE[2]], T0)  # baseline: stored, not alerted
    assert deliveries(app) == []
    at = T0 + dt.timedelta(hours=1)
    first = send_reminders(app, at)
    assert [(r.model, r.threshold, r.days_left) for r in first.sent] == [("gpt-4o", 30, 20)]  # o1 is not watched
    assert send_reminders(app, at + dt.timedelta(hours=1)).sent == ()
    restarted = App.create(app.settings, db_url)
    assert send_reminders(restarted, at + dt.timedelta(days=1)).sent == ()
    later = send_reminders(restarted, at + dt.timedelta(days=7))
    assert [(r.threshold, r.days_left) for r in later.sent] == [(14, 13)]
    assert dispatch_due(restarted).sent == 2
    titles = [p["title"] for p in sink.payloads]
    assert titles == [f"WARNING: gpt-4o shuts down in 20 days ({SHUTDOWN})",
                      f"WARNING: gpt-4o shuts down in 13 days ({SHUTDOWN})"]
    with read_session(app.engine) as session:
        sent = sorted((r.model, r.days) for r in session.exec(select(ReminderSent)))
        kinds = [r.kind for r in session.exec(select(ChangeRecord))]
    assert sent == [("gpt-4o", 14), ("gpt-4o", 30)] and kinds.count("deadline") == 2


def test_a_delivery_dies_after_max_attempts_stays_listed_and_never_shows_the_secret(
        db_url: str, sink: WebhookSink, caplog: pytest.LogCaptureFixture) -> None:
    token = "T0KEN-s3cr3t-4711"
    app = make_app(db_url, {"hook": sink.url(f"/hooks/{token}")}, alerts={"max_attempts": 2, "retry_after": "1m"})
    poll(app, BASE, T0)
    poll(app, [deprecate(BASE[0]), *BASE[1:]], T0 + dt.timedelta(hours=1))
    sink.status = 500
    caplog.set_level(logging.DEBUG)
    # As `watcher -v` runs: ours at DEBUG, apprise and urllib3 kept at INFO (watcher.logs).
    for name in ("apprise", "urllib3"):
        caplog.set_level(logging.INFO, logger=name)
    assert dispatch_due(app).failed == 1
    assert dispatch_due(app).outcomes == ()  # backing off
    assert dispatch_due(app, NOW + dt.timedelta(hours=3)).dead == 1
    with read_session(app.engine) as session:
        [dead] = outbox.listing(session, ["dead"])
        assert outbox.listing(session, ["pending", "failed", "sending"]) == []
    assert dead["attempts"] == 2 and "500" in (dead["last_error"] or "")
    assert token not in json.dumps(dead) and token not in caplog.text
    sink.status = 200
    with write_session(app.engine) as session:
        assert outbox.retry_dead(session) == 1
    assert dispatch_due(app).sent == 1 and len(sink.payloads) == 1


def test_ingest_never_queues_alerts(db_url: str, sink: WebhookSink, tmp_path: Path) -> None:
    app = make_app(db_url, {"hook": sink.url()})
    page = FIXTURE.read_text(encoding="utf-8")
    older = tmp_path / "older.md"
    older.write_text(page[: page.index("### 2026-04-22")] + page[page.index("### 2026-03-24"):], encoding="utf-8")
    app.ingest("openai-deprecations", older, dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    result = app.ingest("openai-deprecations", FIXTURE, dt.datetime(2026, 6, 27, tzinfo=dt.UTC))
    assert len(result.changes) == 32 and deliveries(app) == []


def test_a_new_parser_reading_the_same_page_is_recorded_not_alerted(db_url: str, sink: WebhookSink) -> None:
    app = make_app(db_url, {"hook": sink.url()})
    poll(app, BASE, T0)

    def upgraded(doc: Document) -> list[Observation]:
        return [dataclasses.replace(obs, availability="available") for obs in _parse(doc)]

    v2 = dataclasses.replace(TOY, parser_version="2", parse_fn=upgraded)
    same_page = Document("toy", TOY.urls[0], json.dumps(BASE).encode(), T0 + dt.timedelta(hours=1))
    reread = app.poller.record_document(v2, TOY_SETTINGS, same_page)
    assert reread.outcome == "changed" and {c.kind for c in reread.changes} == {"availability"}
    assert deliveries(app) == []
    # The page's next real change is news again.
    edited = Document("toy", TOY.urls[0], json.dumps([deprecate(BASE[0]), *BASE[1:]]).encode(),
                      T0 + dt.timedelta(hours=2))
    assert app.poller.record_document(v2, TOY_SETTINGS, edited).changes
    assert len(deliveries(app)) == 1


def test_channel_urls_are_checked_at_start_up_without_showing_them() -> None:
    with pytest.raises(ConfigError) as caught:
        check_channels(parse({"channels": {"oncall-slack": {"url": "slack://${HOOK}"}}}, path=None,
                             environ={"HOOK": "T1JJ3T3L2/B0GUSTOKEN"}))
    message = str(caught.value)
    assert message.startswith("channels.oncall-slack.url: apprise cannot use this URL")
    assert "B0GUSTOKEN" not in message and "T1JJ3T3L2" not in message  # a slack:// "host" is a token too
    with pytest.raises(ConfigError, match=r"channels\.x\.url: apprise cannot use this URL"):
        check_channels(parse({"channels": {"x": {"url": "nosuchscheme://x"}}}, path=None, environ={}))
    off = parse({"channels": {"oncall-slack": {"url": "${SLACK_WEBHOOK_URL:-}"}}}, path=None, environ={})
    assert not off.channels["oncall-slack"].enabled  # an unset optional URL turns the channel off
    check_channels(off)  # nothing to check on a channel that is off


def test_a_configuration_without_the_channel_leaves_its_deliveries_waiting(db_url: str, sink: WebhookSink) -> None:
    app = make_app(db_url, {"hook": sink.url()})
    poll(app, BASE, T0)
    poll(app, [deprecate(BASE[0]), *BASE[1:]], T0 + dt.timedelta(hours=1))
    other = make_app(db_url, {"elsewhere": sink.url("/elsewhere")})  # another config file, a renamed channel
    assert dispatch_due(other, early=True).outcomes == ()
    assert [d.status for d in deliveries(app)] == ["pending"]
    assert dispatch_due(app).sent == 1 and sink.paths == ["/alerts"]
