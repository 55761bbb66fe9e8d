"""Alerts through the real `watcher` command in subprocesses: a process killed with
SIGKILL between the commit and the delivery (or in the middle of it) loses
nothing; `notify-test`, `outbox`, `deliver` and `silence` as an operator uses them."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from tests.alerts_support import SLACK_URL, FakeSlack, WebhookSink, sink, slack, slack_certificate  # noqa: F401 (fixtures)
from tests.support import Upstream, run_watcher
from watcher.store.engine import make_engine, read_session, write_session
from watcher.store.tables import Delivery

SECRET = "T0KEN-s3cr3t-4711"


def page(models: Sequence[str]) -> str:
    """OpenAI's deprecations page (Markdown twin) announcing `models`, shutting down in 2027."""
    rows = "\n".join(f"| 2027-03-01 | `{m}` | `gpt-5.5` |" for m in models)
    return ("# Deprecations\n\n### 2026-11-01: Legacy models\n\n"
            f"| Shutdown date | Model / system | Recommended replacement |\n| --- | --- | --- |\n{rows}\n")


V1 = ["gpt-3.5-turbo-0613", "babbage-002"]
V2 = [*V1, "gpt-4o-2024-05-13", "o1-mini", "gpt-x-1"]


def write_config(tmp_path: Path, upstream: Upstream, channels: dict[str, str], *, alerts: str = "",
                 send_timeout: str = "1s") -> Path:
    path = tmp_path / "config.toml"
    lines = [
        "[sources.openai-deprecations]", f'url = "{upstream.url("/deprecations.md")}"',
        "[sources.openai-pricing]", f'url = "{upstream.url("/pricing.md")}"',
        "[fetch]", "timeout = 20", "retries = 0",
        "[watchlist]", 'models = ["gpt-4o*"]',
        "[alerts]", f'send_timeout = "{send_timeout}"', alerts,
    ]
    for name, url in channels.items():
        lines += [f"[channels.{name}]", f'url = "{url}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def watcher(config: Path, db_url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_watcher(["--config", str(config), "--db", db_url, *args], env=env)


def start(config: Path, db_url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "watcher", "--config", str(config), "--db", db_url, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def rows(db_url: str) -> list[Delivery]:
    engine = make_engine(db_url)
    try:
        with read_session(engine) as session:
            return list(session.exec(select(Delivery).order_by(col(Delivery.id))))
    finally:
        engine.dispose()


def wait_for(condition: Callable[[], Any], seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def expire_claim(db_url: str, delivery_id: int) -> None:
    """Move a claim's deadline into the past, as a minute of waiting would."""
    engine = make_engine(db_url)
    try:
        with write_session(engine) as session:
            row = session.get(Delivery, delivery_id)
            assert row is not None
            row.next_attempt_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    finally:
        engine.dispose()


def baseline(config: Path, db_url: str, upstream: Upstream) -> None:
    upstream.set("/deprecations.md", page(V1), headers={"Content-Type": "text/markdown"})
    done = watcher(config, db_url, "poll", "openai-deprecations")
    assert done.returncode == 0, done.stderr
    upstream.set("/deprecations.md", page(V2), headers={"Content-Type": "text/markdown"})


def test_killed_after_the_commit_before_delivery_delivers_after_restart(
        db_url: str, upstream: Upstream, sink: WebhookSink, tmp_path: Path) -> None:
    config = write_config(tmp_path, upstream, {"hook": sink.url()})
    baseline(config, db_url, upstream)
    # `watcher poll` delivers once every source is polled: the second one hangs.
    upstream.set("/pricing.md", "never mind", delay=30)
    proc = start(config, db_url, "poll", "openai-deprecations", "openai-pricing")
    try:
        [queued] = wait_for(lambda: rows(db_url))  # committed, with its outbox row
        wait_for(lambda: any(path == "/pricing.md" for path, _ in upstream.requests))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert sink.attempts == 0 and queued.status == "pending"
    done = watcher(config, db_url, "deliver", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert [o["status"] for o in json.loads(done.stdout)] == ["sent"]
    assert len(sink.payloads) == 1  # nothing lost, nothing twice
    assert "3 models deprecated: shutdown 2027-03-01 (3)" in sink.payloads[0]["message"]


def test_killed_mid_send_sends_again_after_restart_at_most_one_duplicate(
        db_url: str, upstream: Upstream, sink: WebhookSink, tmp_path: Path) -> None:
    # A claim lasts send_timeout + 2 s: long enough that a loaded machine starting the
    # next `watcher deliver` cannot outlast it; its expiry is then made to happen below.
    config = write_config(tmp_path, upstream, {"hook": sink.url()}, send_timeout="60s")
    baseline(config, db_url, upstream)
    sink.hold.clear()  # the channel takes the message and does not answer
    proc = start(config, db_url, "poll", "openai-deprecations")
    try:
        assert sink.received.wait(20)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    [claimed] = rows(db_url)
    assert (claimed.status, claimed.attempts) == ("sending", 1)
    sink.hold.set()  # the killed process's message completes at the channel: the one duplicate
    # Another dispatcher leaves a fresh claim alone...
    early = watcher(config, db_url, "deliver", "--format", "json")
    assert early.returncode == 0 and json.loads(early.stdout) == []
    # ...and takes it over once it has expired: the claim's deadline passes.
    assert claimed.id is not None
    expire_claim(db_url, claimed.id)
    done = watcher(config, db_url, "deliver", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert [(o["status"], o["attempts"]) for o in json.loads(done.stdout)] == [("sent", 2)]
    assert len(sink.payloads) == 2 and sink.payloads[0] == sink.payloads[1]


def test_notify_test_prints_the_channels_answer_and_never_the_secret(
        sqlite_url: str, upstream: Upstream, sink: WebhookSink, slack: FakeSlack, tmp_path: Path) -> None:
    config = write_config(tmp_path, upstream, {"slack": SLACK_URL, "down": sink.url(f"/hooks/{SECRET}")})
    ok = watcher(config, sqlite_url, "notify-test", "slack", env=slack.environment())
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("slack: delivered in ") and "(as markdown)" in ok.stdout
    assert "answer: Sent Slack notification" in ok.stdout
    assert "Test message from Model Lifecycle Watcher" in slack.posts[0].payload["attachments"][0]["text"]
    sink.status = 500
    down = watcher(config, sqlite_url, "notify-test", "down")
    assert down.returncode == 1
    assert "down: NOT delivered" in down.stdout and "error=500" in down.stdout
    assert SECRET not in down.stdout + down.stderr
    unknown = watcher(config, sqlite_url, "notify-test", "nope")
    assert unknown.returncode == 2 and "no channel named 'nope' (channels: down, slack)" in unknown.stderr


def test_outbox_lists_failures_with_the_channels_answer_and_no_secret(
        sqlite_url: str, upstream: Upstream, sink: WebhookSink, tmp_path: Path) -> None:
    config = write_config(tmp_path, upstream, {"hook": sink.url(f"/hooks/{SECRET}")}, alerts="max_attempts = 2")
    baseline(config, sqlite_url, upstream)
    sink.status = 503
    polled = watcher(config, sqlite_url, "-v", "poll", "openai-deprecations")
    # Recorded, but not delivered: `watcher poll` says which delivery failed, and exits 1.
    assert polled.returncode == 1 and "deliveries: 0 sent, 1 failed (will retry), 0 dead" in polled.stderr
    assert "watcher: delivery 1 to hook failed (will retry): " in polled.stderr and "error=503" in polled.stderr
    listed = watcher(config, sqlite_url, "outbox", "--format", "json")
    [row] = json.loads(listed.stdout)
    assert (row["state"], row["attempts"], row["channel"]) == ("failed", 1, "hook")
    assert "error=503" in row["last_error"] and row["title"].startswith("CRITICAL: gpt-4o-2024-05-13 deprecated")
    again = watcher(config, sqlite_url, "-v", "deliver")
    assert again.returncode == 1
    dead = json.loads(watcher(config, sqlite_url, "outbox", "--state", "dead", "--format", "json").stdout)
    assert [(r["state"], r["attempts"]) for r in dead] == [("dead", 2)]
    for output in (polled.stdout, polled.stderr, listed.stdout, again.stdout, again.stderr):
        assert SECRET not in output
    sink.status = 200
    revived = watcher(config, sqlite_url, "deliver", "--retry-dead")
    assert revived.returncode == 0 and "1 dead deliveries pending again" in revived.stderr
    assert len(sink.payloads) == 1


def test_silences_hold_back_alerts_and_say_so(sqlite_url: str, upstream: Upstream, sink: WebhookSink,
                                              tmp_path: Path) -> None:
    config = write_config(tmp_path, upstream, {"hook": sink.url()})
    added = watcher(config, sqlite_url, "silence", "add", "--model", "gpt-x*", "--until", "2h",
                    "--reason", "known; migrating", "--format", "json")
    assert added.returncode == 0, added.stderr
    [silence] = json.loads(added.stdout)
    baseline(config, sqlite_url, upstream)
    assert watcher(config, sqlite_url, "poll", "openai-deprecations").returncode == 0
    [message] = sink.payloads
    assert "gpt-4o-2024-05-13" in message["message"] and "gpt-x-1" not in message["message"]
    listed = json.loads(watcher(config, sqlite_url, "silence", "list", "--format", "json").stdout)
    assert [(s["id"], s["state"], s["model"], s["held_changes"]) for s in listed] == [(silence["id"], "active", "gpt-x*", 1)]
    assert watcher(config, sqlite_url, "silence", "expire", str(silence["id"])).returncode == 0
    everything = json.loads(watcher(config, sqlite_url, "silence", "list", "--all", "--format", "json").stdout)
    assert [s["state"] for s in everything] == ["expired"]
    bad = watcher(config, sqlite_url, "silence", "add", "--model", "x", "--until", "2020-01-01", "--reason", "r")
    assert bad.returncode == 2 and "is not in the future" in bad.stderr


def test_an_unusable_channel_url_stops_start_up_naming_the_channel(
        sqlite_url: str, upstream: Upstream, tmp_path: Path) -> None:
    config = write_config(tmp_path, upstream, {"oncall-slack": "slack://${HOOK}"})
    env = {"HOOK": f"T1JJ3T3L2/{SECRET}"}
    for args in (("config", "check"), ("notify-test", "oncall-slack"), ("run",)):
        done = watcher(config, sqlite_url, *args, env=env)
        assert done.returncode == 1, args
        assert done.stderr.startswith("watcher: channels.oncall-slack.url: apprise cannot use this URL")
        assert SECRET not in done.stderr and done.stderr.count("\n") == 1
    # Query commands read the config without asking apprise (it costs more than the query).
    assert watcher(config, sqlite_url, "outbox", env=env).returncode == 0
    env["HOOK"] = "example.com/T1JJ3T3L2/" + SECRET
    good = write_config(tmp_path, upstream, {"oncall-slack": "json://${HOOK}"})
    done = watcher(good, sqlite_url, "config", "check", env=env)
    assert done.returncode == 0 and "1 of 1 channels enabled" in done.stdout and SECRET not in done.stdout


def test_a_channel_url_that_can_never_work_stops_every_command_naming_the_channel(
        sqlite_url: str, upstream: Upstream, tmp_path: Path) -> None:
    cases = {"json://127.0.0.1:99999/" + SECRET: "port 99999 is out of range 1-65535 (json://127.0.0.1:***/***)",
             "json:///" + SECRET: "no host to send to (json://***)",
             "mailtos://alerts:" + SECRET + "@:587": "no host to send to (mailtos://***)"}
    for url, said in cases.items():
        config = write_config(tmp_path, upstream, {"oncall": url})
        for args in (("poll", "openai-deprecations"), ("outbox",)):
            done = watcher(config, sqlite_url, *args)
            assert done.returncode == 1, (url, args, done.stderr)
            assert done.stderr == f"watcher: channels.oncall.url: {said}\n"
            assert SECRET not in done.stderr
    assert upstream.requests == []  # stopped before polling anything
