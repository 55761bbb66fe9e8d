"""A refusal never freezes a source silently (issue 9 point 2): the alert previews what
would have been reported and repeats at most once per `refused_alert_every`; `watcher
accept` believes the refused body once; `watcher sources` shows the refused state."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlmodel import select

from tests.alerts_support import (
    WebhookSink,
    sink,  # noqa: F401 (fixture)
)
from tests.analyst_support import catalog_doc, catalog_source
from tests.support import Upstream, run_watcher
from watcher.config import SourceSettings
from watcher.poll.pipeline import AcceptError, Poller
from watcher.store import polls
from watcher.store.engine import make_engine, read_session
from watcher.store.migrate import ensure_schema
from watcher.store.tables import ChangeRecord, Run

MODELS = ["gpt-3.5-turbo-0613", "babbage-002", "davinci-002", "gpt-4-0613", "o1-mini", "gpt-4o-2024-05-13"]
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def page(models: Sequence[str], header: str = "Recommended replacement") -> str:
    rows = "\n".join(f"| 2027-03-01 | `{m}` | `gpt-5.5` |" for m in models)
    return ("# Deprecations\n\n### 2026-11-01: Legacy models\n\n"
            f"| Shutdown date | Model / system | {header} |\n| --- | --- | --- |\n{rows}\n")


def config(tmp_path: Path, upstream: Upstream, sink: WebhookSink) -> Path:
    path = tmp_path / "config.toml"
    path.write_text("\n".join([
        "[sources.openai-deprecations]", f'url = "{upstream.url("/deprecations.md")}"',
        "[fetch]", "timeout = 20", "retries = 0",
        "[channels.hook]", f'url = "{sink.url()}"',
    ]) + "\n", encoding="utf-8")
    return path


def test_a_refused_source_is_shown_alerted_with_a_preview_and_accepted_once(
        sqlite_url: str, tmp_path: Path, upstream: Upstream, sink: WebhookSink) -> None:
    cfg = config(tmp_path, upstream, sink)

    def watcher(*args: str) -> tuple[int, str, str]:
        done = run_watcher(["--config", str(cfg), "--db", sqlite_url, *args])
        return done.returncode, done.stdout, done.stderr

    def news() -> list[str]:
        """Messages sent, past the one 'now watching' greeting of a fresh install."""
        return [p["message"] for p in sink.payloads if "now watching" not in p["title"]]

    md = {"Content-Type": "text/markdown"}
    upstream.set("/deprecations.md", page(MODELS), headers=md)
    assert watcher("poll")[0] == 0
    # A redesign renames the column: every row would lose its replacement.
    upstream.set("/deprecations.md", page(MODELS, header="Successor"), headers=md)
    code, _, err = watcher("poll")
    assert code == 1 and "refused" in err
    assert len(news()) == 1
    alert = news()[0]
    assert "would report 6 changes: 6 replacements removed: gpt-3.5-turbo-0613, babbage-002" in alert
    # Polled again the same day: still refused, no second alert.
    assert watcher("poll")[0] == 1
    assert len(news()) == 1

    code, out, _ = watcher("sources", "--format", "json")
    [state] = [row for row in json.loads(out) if row["source"] == "openai-deprecations"]
    assert state["state"] == "refused" and state["since"] is not None and "replacement" in state["last_error"]

    code, out, err = watcher("accept", "openai-deprecations", "--format", "json")
    assert code == 0, err
    accepted = json.loads(out)
    assert sorted(c["kind"] for c in accepted) == ["replacement"] * 6 + ["source_health"]
    assert len(news()) == 2 and "accepted mass change" in news()[1]

    code, out, err = watcher("accept", "openai-deprecations")
    assert code == 0 and "not refused, nothing to accept" in err
    assert len(news()) == 2
    code, out, _ = watcher("sources", "--format", "json")
    assert [row["state"] for row in json.loads(out) if row["source"] == "openai-deprecations"] == ["ok"]
    # The accepted body polled again is simply unchanged.
    code, _, err = watcher("poll")
    assert code == 0 and "unchanged" in err
    engine = make_engine(sqlite_url)
    with read_session(engine) as session:
        kinds = list(session.exec(select(ChangeRecord.kind).where(ChangeRecord.kind == "replacement")))
    engine.dispose()
    assert len(kinds) == 6  # recorded once


def test_the_refusal_alert_repeats_daily_never_more(db_url: str) -> None:
    engine = make_engine(db_url)
    ensure_schema(engine)
    poller = Poller(engine=engine)
    source = catalog_source()
    settings = SourceSettings(name=source.name, refused_alert_every=dt.timedelta(days=1))
    rows = [{"id": f"m{i}", "input": "1"} for i in range(5)]
    poller.record_document(source, settings, catalog_doc(source.name, rows, T0))
    shrunk = rows[:1]
    alerts = []
    for hours in (1, 2, 23, 25, 26, 49):
        result = poller.record_document(source, settings,
                                        catalog_doc(source.name, shrunk, T0 + dt.timedelta(hours=hours)))
        assert result.outcome == "refused"
        alerts += [(hours, c.note) for c in result.changes]
    assert [h for h, _ in alerts] == [1, 25, 49]
    assert "would report 4 changes: 4 rows delisted: m1, m2, m3, m4" in (alerts[0][1] or "")
    assert (alerts[1][1] or "").startswith("still refused since 2026-03-01 01:00Z")
    with read_session(engine) as session:
        state = polls.source_state(session, source.name)
    assert (state.state, state.since) == ("refused", T0 + dt.timedelta(hours=1))


def test_source_states(db_url: str) -> None:
    engine = make_engine(db_url)
    ensure_schema(engine)
    poller = Poller(engine=engine)
    source = catalog_source()
    settings = SourceSettings(name=source.name)

    def state() -> tuple[str, dt.datetime | None]:
        with read_session(engine) as session:
            found = polls.source_state(session, source.name)
        return found.state, found.since

    assert state() == ("new", None)
    poller.record_failure(source, settings, error="HTTP 503", url="u", at=T0)
    assert state() == ("failing", T0)
    rows = [{"id": f"m{i}", "input": "1"} for i in range(5)]
    poller.record_document(source, settings, catalog_doc(source.name, rows, T0 + dt.timedelta(hours=1)))
    assert state() == ("ok", T0 + dt.timedelta(hours=1))
    poller.record_failure(source, settings, error="HTTP 503", url="u", at=T0 + dt.timedelta(hours=2))
    poller.record_document(source, settings, catalog_doc(source.name, [], T0 + dt.timedelta(hours=3)))
    poller.record_failure(source, settings, error="HTTP 503", url="u", at=T0 + dt.timedelta(hours=4))
    assert state() == ("refused", T0 + dt.timedelta(hours=3))
    with pytest.raises(AcceptError, match="cannot be believed: parse yielded no rows"):
        poller.accept(source, settings, at=T0 + dt.timedelta(hours=5))
    with read_session(engine) as session:
        assert session.exec(select(Run).where(Run.trigger == "accept")).first() is None
