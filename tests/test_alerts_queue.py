"""Queuing, the parts the other alert tests do not pin: what a health alert ends,
silences by any name of a row, keys and counts, nothing queued without channels."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from sqlmodel import select

from tests.alerts_support import (
    WebhookSink,
    sink,  # noqa: F401 (fixture)
)
from tests.test_alerts_delivery import (
    BASE,
    T0,
    TOY,
    TOY_SETTINGS,
    _parse,
    deliveries,
    deprecate,
    make_app,
    poll,
)
from watcher.alerts import silences
from watcher.alerts.items import fingerprint, item
from watcher.alerts.queue import OutboxHook, dedupe_key
from watcher.app import App
from watcher.config import parse
from watcher.model import ChangeKind, Document, Observation, ParseError
from watcher.store.engine import read_session, write_session
from watcher.store.tables import ChangeRecord, Run

H = dt.timedelta(hours=1)


def _fail(app: App, at: dt.datetime) -> None:
    app.poller.record_failure(TOY, TOY_SETTINGS, error="HTTP 503", url=TOY.urls[0], http_status=503, at=at)


def test_a_second_failure_streak_with_the_same_error_is_news_again(db_url: str, sink: WebhookSink) -> None:
    app = make_app(db_url, {"hook": sink.url()})
    poll(app, BASE, T0)
    for n in range(1, 4):
        _fail(app, T0 + n * H)
    poll(app, BASE, T0 + 4 * H)  # recovered (same body: unchanged)
    for n in range(5, 8):
        _fail(app, T0 + n * H)
    titles = [d.title for d in deliveries(app)]
    assert titles == ["WARNING: source toy failing: HTTP 503", "WARNING: source toy recovered",
                      "WARNING: source toy failing: HTTP 503"]
    assert len({d.dedupe_key for d in deliveries(app)}) == 3
    assert {d.kind for d in deliveries(app)} == {"health"}


def _with_aliases(doc: Document) -> list[Observation]:
    return [dataclasses.replace(obs, aliases=("chatgpt-4o-latest",), source_id=f"openai/{obs.key}")
            if obs.key == "gpt-4o" else obs for obs in _parse(doc)]


def test_a_silence_holds_a_row_by_any_of_its_names(db_url: str, sink: WebhookSink) -> None:
    source = dataclasses.replace(TOY, parse_fn=_with_aliases)
    app = make_app(db_url, {"hook": sink.url()})

    def poll_aliased(rows: list[dict[str, str]], at: dt.datetime) -> None:
        app.poller.record_document(source, TOY_SETTINGS, Document("toy", TOY.urls[0], json.dumps(rows).encode(), at))

    poll_aliased(BASE, T0)
    for n, name in enumerate(["chatgpt-4o*", "openai/gpt-4o"], start=1):
        with write_session(app.engine) as session:
            held = silences.add(session, model=name, source="toy", until=T0 + 100 * H, reason="r", now=T0)
        poll_aliased([deprecate(BASE[0], availability=f"v{n}"), *BASE[1:]], T0 + n * H)
        with read_session(app.engine) as session:
            latest = session.exec(select(ChangeRecord).where(ChangeRecord.model == "gpt-4o")
                                  .order_by(ChangeRecord.id.desc())).first()  # type: ignore[union-attr]
        assert latest is not None and latest.silence_id == held.id
        with write_session(app.engine) as session:
            silences.expire(session, held.id or 0, T0 + n * H + dt.timedelta(minutes=1))
    assert deliveries(app) == []
    # Another source's silence does not hold it.
    with write_session(app.engine) as session:
        silences.add(session, model="gpt-4o", source="elsewhere", until=T0 + 100 * H, reason="r", now=T0)
    poll_aliased([deprecate(BASE[0], availability="v3"), *BASE[1:]], T0 + 3 * H)
    assert len(deliveries(app)) == 1


def test_without_an_enabled_channel_changes_are_recorded_and_nothing_queued(db_url: str) -> None:
    app = App.create(parse({"channels": {"off": {"url": "${HOOK:-}"}}}, path=None, environ={}), db_url)
    poll(app, BASE, T0)
    result = poll(app, [deprecate(BASE[0]), *BASE[1:]], T0 + H)
    assert len(result.changes) == 3 and deliveries(app) == []


def test_dedupe_keys_name_kind_and_channel_and_ignore_order() -> None:
    key = dedupe_key("digest", "hook", ["b", "a"])
    assert key == dedupe_key("digest", "hook", ["a", "b"]) and key.startswith("digest:hook:")
    assert len(key.split(":")[2]) == 40
    assert len({key, dedupe_key("digest", "other", ["a", "b"]), dedupe_key("reminder", "hook", ["a", "b"]),
                dedupe_key("digest", "hook", ["a"])}) == 4


def test_requeuing_the_same_run_counts_duplicates_and_adds_nothing(db_url: str, sink: WebhookSink) -> None:
    app = make_app(db_url, {"a": sink.url("/a"), "b": sink.url("/b")})
    poll(app, BASE, T0)
    result = poll(app, [deprecate(BASE[0]), *BASE[1:]], T0 + H)
    assert len(deliveries(app)) == 2
    hook = next(h for h in app.hooks if isinstance(h, OutboxHook))
    with write_session(app.engine) as session:
        run = session.get(Run, result.run_id)
        records = list(session.exec(select(ChangeRecord).where(ChangeRecord.run_id == result.run_id)))
        assert run is not None
        items = [item(r, None, ()) for r in records]
        assert all(fingerprint(i, "x") != fingerprint(i, "y") for i in items)
        hook(session, run, records, {})
    assert len(deliveries(app)) == 2


def test_a_source_failing_before_its_first_success_says_it_recovered(db_url: str, sink: WebhookSink) -> None:
    app = make_app(db_url, {"hook": sink.url()})
    for n in range(3):
        _fail(app, T0 + n * H)
    result = poll(app, [deprecate(BASE[0]), *BASE[1:]], T0 + 3 * H)
    assert result.outcome == "baseline"
    assert [d.title for d in deliveries(app)] == ["WARNING: source toy failing: HTTP 503",
                                                  "WARNING: source toy recovered"]


def test_queue_items_says_what_it_added_and_what_was_there(db_url: str, sink: WebhookSink) -> None:
    from watcher.alerts.queue import queue_items

    app = make_app(db_url, {"a": sink.url("/a"), "b": sink.url("/b")})
    poll(app, BASE, T0)
    result = poll(make_app(db_url, {}), [deprecate(BASE[0]), *BASE[1:]], T0 + H)  # recorded, not queued
    items = [item(r, None, ()) for r in result.changes]
    now = T0 + 2 * H
    with write_session(app.engine) as session:
        first = queue_items(session, app.settings, items, kind="digest", today=now.date(),
                            anchor=lambda i: "x", now=now)
        again = queue_items(session, app.settings, items, kind="digest", today=now.date(),
                            anchor=lambda i: "x", now=now)
        other = queue_items(session, app.settings, items, kind="digest", today=now.date(),
                            anchor=lambda i: "y", now=now)
    assert (len(first.deliveries), first.duplicates) == (2, 0)
    assert (again.deliveries, again.duplicates) == ((), 2)
    assert (len(other.deliveries), other.duplicates) == (2, 0)  # another anchor: other news
    assert [(d.channel, d.created_at, d.next_attempt_at, d.status) for d in deliveries(app)][:2] == [
        ("a", now, now, "pending"), ("b", now, now, "pending")]


def _breakable(doc: Document) -> list[Observation]:
    if doc.body == b"broken":
        raise ParseError("no table found")
    return _parse(doc)


def test_a_refusal_repeated_a_day_later_is_delivered_again(db_url: str, sink: WebhookSink) -> None:
    source = dataclasses.replace(TOY, parse_fn=_breakable)
    app = make_app(db_url, {"hook": sink.url()})

    def poll_body(body: bytes, at: dt.datetime) -> str:
        return app.poller.record_document(source, TOY_SETTINGS, Document("toy", TOY.urls[0], body, at)).outcome

    assert poll_body(json.dumps(BASE).encode(), T0) == "baseline"
    assert [poll_body(b"broken", T0 + n * H) for n in (1, 2, 25, 26)] == ["refused"] * 4
    titles = [d.title for d in deliveries(app)]
    assert titles == ["WARNING: source toy refused: parse error: no table found"] * 2  # now, and a day later
    assert "still refused since" in deliveries(app)[1].body_text


def test_a_reread_that_ends_a_failure_streak_still_says_recovered(db_url: str, sink: WebhookSink) -> None:
    app = make_app(db_url, {"hook": sink.url()})
    poll(app, BASE, T0)
    for n in range(1, 4):
        _fail(app, T0 + n * H)
    upgraded = dataclasses.replace(TOY, parser_version="2")
    same_page = Document("toy", TOY.urls[0], json.dumps(BASE).encode(), T0 + 4 * H)
    assert app.poller.record_document(upgraded, TOY_SETTINGS, same_page).outcome in ("changed", "unchanged")
    assert [d.title for d in deliveries(app)] == ["WARNING: source toy failing: HTTP 503",
                                                  "WARNING: source toy recovered"]


def test_what_each_kind_of_change_is_anchored_on(db_url: str, sink: WebhookSink) -> None:
    from watcher.alerts.queue import _anchors, _ended_versions

    app = make_app(db_url, {"hook": sink.url()}, alerts={"flapping_changes": 0})
    many = [{"id": f"m{n:03d}"} for n in range(501)]  # more keys than one IN (…) chunk
    poll(app, many, T0)
    result = poll(app, [{**row, "availability": "ga"} for row in many], T0 + H)
    assert len(result.changes) == 501
    with read_session(app.engine) as session:
        run = session.get(Run, result.run_id)
        assert run is not None
        ended = _ended_versions(session, run, sorted(row["id"] for row in many))
        assert len(ended) == 501 and len(set(ended.values())) == 501
        row_item = item(result.changes[0], None, ())
        anchor = _anchors(session, run, [row_item])
        assert anchor(row_item) == f"ends:{ended[row_item.key]}"
        derived = dataclasses.replace(row_item, kind=ChangeKind.DISAGREEMENT)
        assert anchor(derived) == f"run:{run.id}"  # derived news: its own run, even about a row of this source
        other = dataclasses.replace(row_item, source="elsewhere")
        assert anchor(other) == f"run:{run.id}"
        health = dataclasses.replace(row_item, kind=ChangeKind.SOURCE_HEALTH)
        assert anchor(health).startswith("after-run:")
