"""Metrics an SRE can alert on, from a real `watcher run`: outcomes per alert
channel, failures in a row per source, whether the last reload was accepted,
shutdowns as timestamps; a scrape that `promtool check metrics` finds clean and
an example rules file `promtool check rules` accepts (when promtool is installed)."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.daemon_support import (
    CHANGED_MD,
    DEPRECATIONS_MD,
    PATH,
    SOURCE,
    Db,
    WebhookSink,
    free_port,
    wait_for,
    watcher_process,
)
from tests.support import Upstream

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "docs" / "prometheus-rules.yml"
PROMTOOL = shutil.which("promtool")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    server = WebhookSink()
    yield server
    server.close()


def config_text(upstream: Upstream, sink: WebhookSink, port: int, down: int) -> str:
    return f"""
[sources.{SOURCE}]
every = "1s"
url = "{upstream.url(PATH)}"
[watchlist]
models = ["o3-2025-04-16"]
[channels.hook]
url = "json://127.0.0.1:{sink.port}/hook"
[channels.down]
url = "json://127.0.0.1:{down}/hook"
[alerts]
retry_after = "1h"
[fetch]
timeout = 5
retries = 0
[daemon]
listen = "127.0.0.1:{port}"
deliver_every = "1s"
"""


@pytest.mark.slow
def test_metrics_name_the_channel_the_failing_source_and_the_reload(
        tmp_path: Path, upstream: Upstream, sink: WebhookSink, sqlite_url: str) -> None:
    upstream.set(PATH, DEPRECATIONS_MD)
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(config_text(upstream, sink, port, closed_port()))
    with watcher_process(config, sqlite_url, listen=port) as watcher:
        watcher.wait_log(f"poll {SOURCE}: baseline")
        assert watcher.metric("watcher_config_last_reload_successful") == 1
        assert (watcher.metric("watcher_config_last_reload_success_timestamp_seconds") or 0) > 1.7e9
        # Set from the database snapshot the poll's commit kicks off: wait for it, then the exact value.
        shutdown = f'watcher_shutdown_timestamp_seconds{{model="o3-2025-04-16",source="{SOURCE}"}}'
        wait_for("the shutdown in the metrics", lambda: watcher.metric(shutdown) is not None)
        assert watcher.metric(shutdown) == 1_796_947_200  # 2026-12-11T00:00:00Z
        assert watcher.metric('watcher_delivery_attempts_total{channel="down",outcome="dead"}') == 0

        sent = 'watcher_delivery_attempts_total{channel="hook",outcome="sent"}'
        pending = 'watcher_delivery_attempts_total{channel="down",outcome="pending"}'
        # The first round's "now watching" hello, one per channel, goes out before the
        # page changes: polls and dispatch passes both run every second, so a change
        # polled before the first pass would go out in the same pass as the hello.
        # (Counters only grow, and a shutdown reminder may follow: wait for at least, then count rows.)
        wait_for("the hello sent to each channel",
                 lambda: (watcher.metric(sent) or 0) >= 1 and (watcher.metric(pending) or 0) >= 1)
        upstream.set(PATH, CHANGED_MD)  # one change: one more delivery per channel
        wait_for("the change sent to each channel",
                 lambda: (watcher.metric(sent) or 0) >= 2 and (watcher.metric(pending) or 0) >= 2)
        rows = [(d.kind, d.channel, d.status) for d in Db(sqlite_url).deliveries() if d.kind != "reminder"]
        assert sorted(rows) == [("digest", "down", "pending"), ("digest", "hook", "sent"),
                                ("watching", "down", "pending"), ("watching", "hook", "sent")]
        assert watcher.metric('watcher_delivery_attempts_total{channel="hook",outcome="pending"}') == 0

        upstream.set(PATH, "down", status=503)
        wait_for("two failures in a row", lambda: (watcher.metric(
            f'watcher_source_consecutive_failures{{source="{SOURCE}"}}') or 0) >= 2)

        config.write_text(config.read_text() + '\n[sources.nope]\nevery = "soon"\n')
        watcher.signal(signal.SIGHUP)
        watcher.wait_log("rejected, still running the previous configuration")
        wait_for("the rejection in the metrics", lambda: watcher.metric("watcher_config_last_reload_successful") == 0)

        scrape = tmp_path / "scrape.txt"
        scrape.write_text(watcher.get("/metrics")[1])
        assert watcher.stop() == 0
    if PROMTOOL is not None:
        with scrape.open("rb") as body:
            lint = subprocess.run([PROMTOOL, "check", "metrics"], stdin=body, capture_output=True, text=True,
                                  check=False, timeout=60)
        assert lint.returncode == 0 and lint.stdout.strip() == "" and lint.stderr.strip() == "", lint


@pytest.mark.skipif(PROMTOOL is None, reason="promtool is not installed (Debian: apt-get install prometheus)")
def test_the_example_rules_file_is_valid() -> None:
    assert PROMTOOL is not None
    result = subprocess.run([PROMTOOL, "check", "rules", str(RULES)], capture_output=True, text=True, check=False,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 10 rules found" in result.stdout


def test_the_rules_only_use_metrics_the_watcher_exports() -> None:
    import re

    from watcher.daemon.metrics import Metrics

    exported = {line.split()[2] for line in Metrics().exposition().decode().splitlines()
                if line.startswith("# TYPE")}
    exported |= {f"{name}_total" for name in exported} | {"up"}
    used = set(re.findall(r"\b(watcher_[a-z_]+|up)\b(?=[{\[\s)]|$)", RULES.read_text(), re.MULTILINE))
    assert used and used <= exported, used - exported
