"""A `format = "json"` channel: the digest's change rows as JSON, for machines."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.alerts_support import (
    WebhookSink,
    sink,  # noqa: F401 (fixture)
)
from tests.support import run_watcher
from tests.test_alerts_delivery import BASE, EVIL, T0, deprecate, poll
from tests.test_alerts_render import assert_inert
from watcher.alerts.dispatch import dispatch_due
from watcher.app import App
from watcher.config import ConfigError, parse
from watcher.store.queries_changes import CHANGE_FIELDS


def _app(db_url: str, channels: dict[str, dict[str, str]]) -> App:
    raw = {"channels": channels, "watchlist": {"models": ["gpt-4o*"]}}
    return App.create(parse(raw, path=None, environ={}), db_url)


def test_a_json_channel_gets_the_change_rows_as_watcher_changes_prints_them(
        db_url: str, sink: WebhookSink, tmp_path: Path) -> None:
    app = _app(db_url, {"tickets": {"url": sink.url("/tickets?+X-Team=oncall"), "format": "json"},
                        "chat": {"url": sink.url("/chat")}})
    poll(app, BASE, T0)
    result = poll(app, [deprecate(BASE[0]), {"id": "o1", "availability": EVIL}, BASE[2]],
                  T0 + dt.timedelta(hours=1))
    assert dispatch_due(app).sent == 2
    document = sink.payloads[sink.paths.index("/tickets")]
    chat = sink.payloads[sink.paths.index("/chat")]
    assert sink.headers[sink.paths.index("/tickets")]["X-Team"] == "oncall"  # `+Name=value`: a header
    assert document["schema"] == "watcher.alert/1" and document["kind"] == "digest"
    assert document["route"] == "all" and document["severity"] == "critical"
    assert document["title"] == chat["title"]  # the same message, for machines
    assert document["command"].startswith("watcher changes --source toy --since ")
    assert document["entries"] == 2 and document["change_count"] == len(result.changes) == 4
    assert document["headline"] == ["1 model deprecated: shutdown " + deprecate(BASE[0])["shutdown"] + " (1)",
                                    "1 availability change"]
    rows = document["changes"]
    assert [list(row) for row in rows] == [list(CHANGE_FIELDS)] * 4
    listed = run_watcher(["--db", db_url, "changes", "--source", "toy", "--format", "json"], cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    by_id = {row["id"]: row for row in json.loads(listed.stdout)}
    for row in rows:
        if row["model"] == "o1":  # the hostile value: inert, otherwise the same
            assert_inert(row["new"])
            assert row["new"] != by_id[row["id"]]["new"]
            assert {k: v for k, v in row.items() if k != "new"} == {
                k: v for k, v in by_id[row["id"]].items() if k != "new"}
        else:
            assert row == by_id[row["id"]]
    assert_inert(json.dumps(document, ensure_ascii=False))


def test_json_format_is_checked_at_load() -> None:
    with pytest.raises(ConfigError, match=r"channels\.x\.format: one of text, json, got 'yaml'"):
        parse({"channels": {"x": {"url": "json://h/x", "format": "yaml"}}}, path=None, environ={})
    with pytest.raises(ConfigError, match=r'channels\.x\.url: format "json" posts to json://.* not slack://'):
        parse({"channels": {"x": {"url": "slack://T1/B2/C3", "format": "json"}}}, path=None, environ={})
