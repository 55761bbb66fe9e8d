"""`watcher run` as a real subprocess against a loopback upstream: it polls on
schedule, talks to systemd and Prometheus, reloads on SIGHUP, drains on SIGTERM,
and a `kill -9` mid-poll loses nothing and duplicates nothing."""

from __future__ import annotations

import datetime as dt
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.daemon_support import (
    CHANGED_MD,
    DEPRECATIONS_MD,
    PATH,
    QUICK_FETCH,
    SOURCE,
    Db,
    NotifySocket,
    free_port,
    wait_for,
    watcher_process,
    write_config,
)
from tests.support import FIXTURES, Upstream

pytestmark = pytest.mark.slow

PRICING = "openai-pricing"
PRICING_MD = (FIXTURES / "openai_pricing" / "pricing-2026-06-27.md").read_text(encoding="utf-8")


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Db]:
    database = Db(sqlite_url)
    yield database
    database.close()


@pytest.fixture
def notify() -> Iterator[NotifySocket]:
    sock = NotifySocket()
    yield sock
    sock.close()


def source(upstream: Upstream, path: str = PATH, every: str = "1s", **more: str) -> dict[str, str]:
    return {"every": every, "url": upstream.url(path), **more}


def test_polls_on_schedule_and_reports_to_systemd_and_prometheus(
        tmp_path: Path, upstream: Upstream, sqlite_url: str, db: Db, notify: NotifySocket) -> None:
    upstream.set(PATH, DEPRECATIONS_MD)
    port = free_port()
    config = write_config(tmp_path / "config.toml", {SOURCE: source(upstream, stale_after="2s")},
                          extra=f'{QUICK_FETCH}[watchlist]\nmodels = ["o3-2025-04-16"]\n'
                                f'[daemon]\nlisten = "127.0.0.1:{port}"\n')
    env = {"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"}
    with watcher_process(config, sqlite_url, env=env, listen=port) as watcher:
        wait_for("4 polls", lambda: len(db.runs()) >= 4)
        runs = db.runs()
        assert [r.outcome for r in runs[:4]] == ["baseline", "unchanged", "unchanged", "unchanged"]
        assert all(r.trigger == "daemon" for r in runs)
        gaps = [(b.started_at - a.started_at).total_seconds() for a, b in zip(runs[:4], runs[1:4])]
        assert all(gap > 0.8 for gap in gaps), gaps  # every 1s, jitter at most 0.1s (late is load, not a bug)

        fields = notify.fields()
        assert "READY=1" in fields and fields.count("WATCHDOG=1") >= 2
        assert watcher.get("/healthz") == (200, "ok: leader (epoch 1), 1 sources fresh\n")
        assert watcher.metric("watcher_leader") == 1
        assert watcher.metric(f'watcher_polls_total{{outcome="baseline",source="{SOURCE}"}}') == 1
        last = watcher.metric(f'watcher_last_success_timestamp_seconds{{source="{SOURCE}"}}')
        assert last is not None and last >= runs[0].started_at.timestamp()
        shutdown = dt.datetime(2026, 12, 11, tzinfo=dt.UTC).timestamp()
        assert watcher.metric(f'watcher_shutdown_timestamp_seconds{{model="o3-2025-04-16",source="{SOURCE}"}}') \
            == shutdown
        assert watcher.metric(f'watcher_source_consecutive_failures{{source="{SOURCE}"}}') == 0
        assert watcher.metric("watcher_config_last_reload_successful") == 1
        assert watcher.metric('watcher_deliveries{status="pending"}') == 0
        assert watcher.metric("watcher_oldest_pending_delivery_age_seconds") == 0
        assert (watcher.metric("process_resident_memory_bytes") or 0) > 10_000_000

        # The upstream breaks: past its staleness limit the source makes /healthz fail, with the reason.
        upstream.set(PATH, "down", status=503)
        _status, body = wait_for("503", lambda: (r := watcher.get("/healthz"))[0] == 503 and r)
        assert f"{SOURCE}: last successful poll" in body and "stale after 2s" in body
        upstream.set(PATH, DEPRECATIONS_MD)
        wait_for("healthy again", lambda: watcher.get("/healthz")[0] == 200)
        assert watcher.stop() == 0
    assert "STOPPING=1" in notify.fields()


def test_sighup_adds_removes_and_rejects_a_bad_config(
        tmp_path: Path, upstream: Upstream, sqlite_url: str, db: Db, notify: NotifySocket) -> None:
    upstream.set(PATH, DEPRECATIONS_MD)
    upstream.set("/pricing.md", PRICING_MD)
    config = tmp_path / "config.toml"
    write_config(config, {SOURCE: source(upstream)})
    with watcher_process(config, sqlite_url, env={"NOTIFY_SOCKET": notify.path}) as watcher:
        watcher.wait_log(f"poll {SOURCE}: baseline")

        write_config(config, {SOURCE: source(upstream), PRICING: source(upstream, "/pricing.md")})
        watcher.signal(signal.SIGHUP)
        watcher.wait_log("configuration reloaded")
        watcher.wait_log(f"poll {PRICING}: baseline")
        fields = notify.fields()
        reloading = fields.index("RELOADING=1")
        assert fields[reloading + 1].startswith("MONOTONIC_USEC=") and "READY=1" in fields[reloading:]

        config.write_text(f'[sources.{SOURCE}]\nevry = "1h"\n', encoding="utf-8")
        watcher.signal(signal.SIGHUP)
        watcher.wait_log("rejected, still running the previous configuration")
        assert f"sources.{SOURCE}.evry: unknown key" in watcher.log()
        polled = len(db.runs(PRICING))
        wait_for("the old config still polling", lambda: len(db.runs(PRICING)) >= polled + 2)

        write_config(config, {SOURCE: source(upstream)})
        watcher.signal(signal.SIGHUP)
        watcher.wait_log("configuration reloaded", count=2)
        assert f"added: -; removed: {PRICING}; rescheduled: -" in watcher.log()
        polled = len(db.runs(PRICING))
        seen = len(db.runs())
        wait_for("the kept source still polling", lambda: len(db.runs()) >= seen + 2)
        assert len(db.runs(PRICING)) <= polled + 1  # at most one already in flight at the reload
        assert watcher.stop() == 0


def test_sigterm_during_a_poll_drains_it_and_exits_0(
        tmp_path: Path, upstream: Upstream, sqlite_url: str, db: Db) -> None:
    upstream.set(PATH, DEPRECATIONS_MD)
    config = write_config(tmp_path / "config.toml", {SOURCE: source(upstream)})
    with watcher_process(config, sqlite_url) as watcher:
        watcher.wait_log(f"poll {SOURCE}: baseline")
        asked = len(upstream.requests)
        upstream.set(PATH, CHANGED_MD, delay=2.0)
        wait_for("a poll in flight", lambda: len(upstream.requests) > asked)
        signalled = time.monotonic()
        watcher.signal(signal.SIGTERM)
        assert watcher.stop() == 0
        assert time.monotonic() - signalled > 1.0  # it waited for the slow answer
        assert "draining 1 in-flight job(s): source:openai-deprecations" in watcher.log()
    runs = db.runs()
    assert runs[-1].outcome == "changed" and all(r.finished_at is not None for r in runs)
    assert [(c.model, c.old, c.new) for c in db.changes("shutdown_date")] == [
        ("o3-2025-04-16", "2026-12-11", "2027-01-15")]


def test_sigterm_while_a_fetch_waits_to_retry_stops_at_once(
        tmp_path: Path, upstream: Upstream, sqlite_url: str, db: Db) -> None:
    upstream.set(PATH, "busy", status=503, headers={"Retry-After": "3000"})
    config = write_config(tmp_path / "config.toml", {SOURCE: source(upstream)},
                          extra="[fetch]\ntimeout = 5\nretries = 3\nretry_after_cap = 5000\n")
    with watcher_process(config, sqlite_url) as watcher:
        watcher.wait_log(f"fetch {SOURCE}: HTTP 503, retry 1/3")
        watcher.signal(signal.SIGTERM)
        # Without the stop's wake-up the drain would sit in the 3000 s backoff.
        assert watcher.stop(timeout=30) == 0
        assert "HTTP 503; not retried: the watcher is stopping" in watcher.log()
    assert [r.outcome for r in db.runs()] == ["failed"]


def test_kill_9_mid_poll_then_restart_redoes_the_poll_once(
        tmp_path: Path, upstream: Upstream, sqlite_url: str, db: Db) -> None:
    upstream.set(PATH, DEPRECATIONS_MD)
    config = write_config(tmp_path / "config.toml", {SOURCE: source(upstream)})
    with watcher_process(config, sqlite_url) as watcher:
        watcher.wait_log(f"poll {SOURCE}: baseline")
        upstream.set(PATH, CHANGED_MD, delay=3.0)
        asked = len(upstream.requests)
        wait_for("a poll in flight", lambda: len(upstream.requests) > asked)
        before = db.runs()
        watcher.kill()
    assert db.runs() == before and db.changes() == []
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    upstream.set(PATH, CHANGED_MD)
    restarted = dt.datetime.now(dt.UTC)
    with watcher_process(config, sqlite_url) as watcher:
        # The dead holder's lease is not waited out: same host, its PID is gone.
        watcher.wait_log(f"poll {SOURCE}: changed")
        seen = len(db.runs())
        wait_for("two more polls", lambda: len(db.runs()) >= seen + 2)
        assert watcher.stop() == 0
    changed = [r for r in db.runs() if r.outcome == "changed"]
    assert len(changed) == 1 and changed[0].started_at >= restarted
    assert [(c.model, c.new) for c in db.changes()] == [("o3-2025-04-16", "2027-01-15")]
    assert db.versions(current=True) == 136
