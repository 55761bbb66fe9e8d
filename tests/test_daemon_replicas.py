"""Two (then three) `watcher run` replicas on one PostgreSQL: exactly one leads;
when it is SIGKILLed another takes over within the lease time; a leader frozen
mid-poll (SIGSTOP) loses the lease and, thawed, cannot commit (fencing epoch);
every change is detected once and delivered once, to a loopback webhook."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.daemon_support import (
    CHANGED_MD,
    DEPRECATIONS_MD,
    PATH,
    SOURCE,
    Db,
    WatcherProcess,
    WebhookSink,
    free_port,
    postgres_schema,
    wait_for,
    write_config,
)
from tests.support import PG_ENV, Upstream

pytestmark = pytest.mark.slow

LEASE_SECONDS = 4  # renewals every lease/3 must not lapse on a loaded 2-core machine


@pytest.fixture
def pg_url() -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} not set")
    with postgres_schema(base) as url:
        yield url


def replica(tmp_path: Path, tag: str, upstream: Upstream, sink: WebhookSink, db_url: str) -> WatcherProcess:
    port = free_port()
    directory = tmp_path / tag
    directory.mkdir()
    config = write_config(directory / "config.toml", {SOURCE: {"every": "1s", "url": upstream.url(PATH)}}, extra=f"""
[daemon]
listen = "127.0.0.1:{port}"
lease_seconds = {LEASE_SECONDS}
deliver_every = "1s"

[fetch]
timeout = 10
retries = 0

[channels.hook]
url = "json://127.0.0.1:{sink.port}/hook"

[[routes]]
name = "everything"
channels = ["hook"]
""")
    return WatcherProcess(config, db_url, listen=port)


def leaders(*replicas: WatcherProcess) -> list[WatcherProcess] | None:
    """The replicas reporting watcher_leader 1, once every one of them answers."""
    values = [r.metric("watcher_leader") for r in replicas]
    if any(v is None for v in values):
        return None
    return [r for r, v in zip(replicas, values) if v == 1]


def shutdown_changes(db: Db) -> list[tuple[str | None, str | None]]:
    return [(c.old, c.new) for c in db.changes("shutdown_date")]


def test_one_leader_failover_fencing_and_each_change_delivered_once(
        tmp_path: Path, upstream: Upstream, pg_url: str) -> None:
    upstream.set(PATH, DEPRECATIONS_MD)
    sink = WebhookSink()
    db = Db(pg_url)  # the schema exists first, as ExecStartPre=`watcher db upgrade` makes sure
    a = replica(tmp_path, "a", upstream, sink, pg_url)
    b = replica(tmp_path, "b", upstream, sink, pg_url)
    c: WatcherProcess | None = None
    try:
        # Exactly one leader, and it stays that way.
        first = wait_for("both replicas up, one leading", lambda: (found := leaders(a, b)) is not None and found)
        assert len(first) == 1
        leader, standby = first[0], (b if first[0] is a else a)
        for _ in range(5):
            assert leaders(a, b) == [leader]
            time.sleep(0.2)
        lease = db.lease()
        assert lease is not None and f":{leader.pid}:" in lease.holder
        wait_for("the baseline", lambda: db.runs())
        assert f"poll {SOURCE}" not in standby.log()  # a standby never polls

        upstream.set(PATH, CHANGED_MD)
        wait_for("the change", lambda: shutdown_changes(db))
        # Killed between the webhook's answer and the outbox commit, a sender's
        # claim must expire before the message goes again (at least once, by
        # design): wait for the row, not the post, so the kill tests failover.
        # The first round's "now watching" hello, then the change: both sent, once each.
        wait_for("its delivery marked sent",
                 lambda: [(d.kind, d.status) for d in db.deliveries()] == [("watching", "sent"), ("digest", "sent")])
        assert len(sink.posts) == 2

        # SIGKILL the leader: the standby takes over once the lease expires.
        leader.kill()
        wait_for("a new leader", lambda: leaders(standby) == [standby])
        leader = standby
        c = replica(tmp_path, "c", upstream, sink, pg_url)
        wait_for("the third replica up", lambda: leaders(leader, c) == [leader])

        # Freeze the leader mid-poll: c takes over once the lease expires (by the
        # database clock), polls, commits; the thawed leader's poll is fenced.
        asked = len(upstream.requests)
        upstream.set(PATH, DEPRECATIONS_MD, delay=1.5)
        wait_for("a poll in flight", lambda: len(upstream.requests) > asked)
        leader.signal(signal.SIGSTOP)
        wait_for("c leading", lambda: c is not None and c.metric("watcher_leader") == 1)
        wait_for("c's poll committed", lambda: len(shutdown_changes(db)) == 2)
        leader.signal(signal.SIGCONT)
        leader.wait_log("discarded, no longer the leader")
        # The webhook has the message before the sender records it as sent: wait for the rows.
        wait_for("every delivery marked sent",
                 lambda: len(deliveries := db.deliveries()) == 3 and {d.status for d in deliveries} == {"sent"})
        # A duplicate could only come from a later dispatch pass: wait for two more of c's.
        passes = c.metric('watcher_job_runs_total{job="deliver",outcome="ok"}') or 0.0
        wait_for("two more dispatch passes",
                 lambda: (c.metric('watcher_job_runs_total{job="deliver",outcome="ok"}') or 0.0) >= passes + 2)

        assert shutdown_changes(db) == [("2026-12-11", "2027-01-15"), ("2027-01-15", "2026-12-11")]
        deliveries = db.deliveries()
        assert len(sink.posts) == len(deliveries) == 3 and {d.status for d in deliveries} == {"sent"}
        assert [d.kind for d in deliveries] == ["watching", "digest", "digest"]
        assert leaders(leader, c) == [c]
        wait_for("the outbox in c's metrics", lambda: c.metric('watcher_deliveries{status="sent"}') == 3)
        assert c.metric("watcher_oldest_pending_delivery_age_seconds") == 0
        assert c.stop() == 0 and leader.stop() == 0
    finally:
        for process in (a, b, c):
            if process is not None:
                process.signal(signal.SIGCONT) if process.proc.poll() is None else None
                process.kill()
        sink.close()
        db.close()
