"""The digest of a real LiteLLM release (1.97.0 → 1.98.0, trimmed to the rows of a
dozen models): one line per model and change, urgent first, counts that agree."""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
from pathlib import Path

from tests.support import FIXTURES, run_watcher
from tests.test_alerts_delivery import deliveries, make_app
from watcher.alerts.digest import build
from watcher.alerts.items import item
from watcher.model import Document
from watcher.store.engine import read_session
from watcher.store.polls import current_versions

PAIR = FIXTURES / "alerts"
# Detected 2026-06-01 (a late first install): some shutdowns are past, some ahead.
AT = dt.datetime(2026, 6, 1, 6, tzinfo=dt.UTC)


def _entries(text: str) -> list[list[str]]:
    blocks: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("- "):
            blocks.append([line])
        elif line.startswith("  ") and blocks:
            blocks[-1].append(line.strip())
    return blocks


def test_the_real_1_98_0_digest_says_each_model_and_change_once_with_counts_that_agree(
        sqlite_url: str, tmp_path: Path) -> None:
    app = make_app(sqlite_url, {"slack": "json://127.0.0.1:9/slack"}, watchlist=("gpt-4o*",),
                   alerts={"digest_max_items": 6})
    source, settings = app.source("litellm"), app.source_settings("litellm")
    for version, at in (("1.97.0", AT - dt.timedelta(days=7)), ("1.98.0", AT)):
        body = (PAIR / f"litellm-{version}-digest.json").read_bytes()
        result = app.poller.record_document(source, settings, Document("litellm", source.urls[0], body, at))
    [digest] = deliveries(app)
    changes = len(result.changes)
    assert changes == len(json.loads(digest.change_ids or "[]")) > 0

    shown = _entries(digest.body_text)
    # One line per model and change: never the same model saying the same thing twice.
    said = [(_name(block), tuple(line for line in block[1:-1] if not line.startswith("as: ")))
            for block in shown]
    assert len(said) == len(set(said)) == 6
    collapsed = [block for block in shown if "catalog entries" in block[0]]
    assert collapsed, "the fixture's models each appear under several catalog keys"
    for block in collapsed:
        n = int(re.search(r", (\d+) catalog entries", block[0]).group(1))  # type: ignore[union-attr]
        [keys] = [line for line in block if line.startswith("as: ")]
        assert len(keys.removeprefix("as: ").split(", ")) == n

    # The title, the "and N more" line and the command agree.
    more = int(re.search(r"\(\+(\d+) more\)$", digest.title).group(1))  # type: ignore[union-attr]
    tail = re.search(r"…and (\d+) more \((\d+) in all, (\d+) changes\)\. List all \3 changes: (.+)$",
                     digest.body_text, re.MULTILINE)
    assert tail is not None, digest.body_text
    assert int(tail.group(2)) == more + 1 == int(tail.group(1)) + len(shown)
    assert int(tail.group(3)) == changes and f"· {changes} changes ·" in digest.body_text
    args = shlex.split(tail.group(4))
    assert args[:2] == ["watcher", "changes"]
    listed = run_watcher(["--db", sqlite_url, *args[1:], "--format", "json"], cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == changes

    # Most urgent first: within a severity (and watched first), shutdowns ahead
    # (soonest first), then no date, then shutdowns past (most recent first).
    with read_session(app.engine) as session:
        versions = current_versions(session, "litellm")
    items = [item(r, versions.get(r.key), ("gpt-4o*",)) for r in result.changes]
    everything = build(items, kind="digest", today=AT.date(), max_items=100)
    assert [e.first.name for e in everything.entries[:6]] == [_name(block) for block in shown]
    past_seen = False
    for severity in ("critical", "warning"):
        for watched in (True, False):
            group = [e.days_left(AT.date()) for e in everything.entries
                     if e.severity.value == severity and e.watched is watched]
            ahead = [d for d in group if d is not None and d >= 0]
            past = [d for d in group if d is not None and d < 0]
            nodate = [d for d in group if d is None]
            assert group == sorted(ahead) + nodate + sorted(past, reverse=True)
            past_seen = past_seen or bool(past and ahead)
    assert past_seen  # the case the order is about is in the fixture


def _name(block: list[str]) -> str:
    return block[0].split(" ")[2]
