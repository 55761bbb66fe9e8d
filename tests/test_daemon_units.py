"""The daemon's parts on their own: schedule plans, crontab weekdays, /healthz's
judgement, sd_notify datagrams, the status server, the lease (both backends),
raw-document retention."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from tests.daemon_support import NotifySocket, wait_for
from watcher.config import ConfigError, RetentionSettings, SourceSettings
from watcher.daemon.health import liveness_problems, problems
from watcher.daemon.http import Reply, StatusServer, parse_listen
from watcher.daemon.lease import Lease, LeaseLost, holder_is_dead
from watcher.daemon.notify import Notifier
from watcher.daemon.schedule import crontab_weekdays, plan
from watcher.daemon.snapshot import Latest
from watcher.model import Document
from watcher.store import documents, polls
from watcher.store.engine import make_engine, read_session, write_session
from watcher.store.migrate import ensure_schema
from watcher.store.retention import prune_documents
from watcher.store.tables import DocumentBlob, Run

NOW = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


# --- schedule ---------------------------------------------------------------------------


def test_interval_plan_jitter_grace_and_staleness() -> None:
    p = plan(SourceSettings(name="s", every=H), NOW)
    assert (p.interval, p.jitter, p.misfire_grace_time, p.stale_after) == (H, dt.timedelta(minutes=5), 1800, 3 * H)
    small = plan(SourceSettings(name="s", every=dt.timedelta(seconds=20)), NOW)
    assert small.jitter == dt.timedelta(seconds=2) and small.misfire_grace_time == 10
    explicit = plan(SourceSettings(name="s", every=H, jitter=dt.timedelta(0), stale_after=2 * H), NOW)
    assert explicit.jitter == dt.timedelta(0) and explicit.stale_after == 2 * H
    with pytest.raises(ConfigError, match="sources.s.jitter"):
        plan(SourceSettings(name="s", every=H, jitter=2 * H), NOW)


def test_due_now_when_overdue_or_never_polled_else_one_interval_after_the_last_run() -> None:
    p = plan(SourceSettings(name="s", every=H), NOW)
    assert p.due(None, NOW) == NOW
    assert p.due(NOW - 2 * H, NOW) == NOW
    assert p.due(NOW - dt.timedelta(minutes=10), NOW) == NOW + dt.timedelta(minutes=50)
    cron = plan(SourceSettings(name="s", every=None, cron="23 */3 * * *"), NOW)
    assert cron.interval == 3 * H
    assert cron.due(NOW - 4 * H, NOW) == NOW and cron.due(NOW - H, NOW) is None  # the cron decides


def test_cron_fires_in_utc_with_crontab_weekdays() -> None:
    p = plan(SourceSettings(name="s", every=None, cron="0 9 * * 1-5", jitter=dt.timedelta(0)), NOW)
    friday = dt.datetime(2026, 7, 3, 10, 0, tzinfo=dt.UTC)
    fire = p.trigger.get_next_fire_time(None, friday)
    assert fire == dt.datetime(2026, 7, 6, 9, 0, tzinfo=dt.UTC)  # Monday, not Saturday
    assert crontab_weekdays("0") == crontab_weekdays("7") == "sun"
    assert crontab_weekdays("1-5") == "mon,tue,wed,thu,fri"
    assert crontab_weekdays("*/2") == "sun,tue,thu,sat"
    assert crontab_weekdays("sat,sun") == "sun,sat"
    with pytest.raises(ConfigError, match=r"sources.s.cron"):
        plan(SourceSettings(name="s", every=None, cron="99 * * * *"), NOW)
    with pytest.raises(ConfigError, match=r"sources.s.cron"):
        plan(SourceSettings(name="s", every=None, cron="0 0 * * 5-1"), NOW)


# --- health ------------------------------------------------------------------------------


def test_health_names_each_stale_source_and_waits_for_a_first_success() -> None:
    plans = {"a": plan(SourceSettings(name="a", every=H), NOW), "b": plan(SourceSettings(name="b", every=H), NOW)}
    fresh = {"a": NOW - H, "b": NOW - 2 * H}
    assert problems(NOW, scheduler_running=True, plans=plans, last_success=fresh, started_at=NOW - 9 * H) == []
    found = problems(NOW, scheduler_running=False, plans=plans, last_success={"a": NOW - 4 * H},
                     started_at=NOW - 5 * H)
    assert found == ["scheduler is not running", "a: last successful poll 4h ago (stale after 3h)",
                     "b: no successful poll yet (waiting for the first)"]
    # A restart shortly after the last good poll is ready at once: nothing has failed since.
    assert problems(NOW, scheduler_running=True, plans=plans, last_success=fresh, started_at=NOW - 60 * S) == []


S = dt.timedelta(seconds=1)


def test_health_is_unready_when_every_poll_since_start_failed_even_within_the_staleness_grace() -> None:
    plans = {"litellm": plan(SourceSettings(name="litellm", every=3 * H), NOW)}  # stale after 9h
    started = NOW - 10 * dt.timedelta(minutes=1)
    failing = Latest("failed", NOW - 60 * S, "api.example.com: ConnectError: All connection attempts failed",
                     failures=3, failing_since=started + S)
    # Succeeded an hour before this start (not stale): still unready, every poll since start failed.
    found = problems(NOW, scheduler_running=True, plans=plans, last_success={"litellm": NOW - H},
                     started_at=started, latest={"litellm": failing})
    assert found == [("litellm: no successful poll since start-up 10m ago (3 failed polls in a row): "
                      "api.example.com: ConnectError: All connection attempts failed")]
    # One success since start and the same failure later: a blip, not unready until stale.
    assert problems(NOW, scheduler_running=True, plans=plans, last_success={"litellm": started + 2 * S},
                    started_at=started, latest={"litellm": failing}) == []
    # A success newer than the failure read from the database wins.
    assert problems(NOW, scheduler_running=True, plans=plans, last_success={"litellm": NOW - S},
                    started_at=started, latest={"litellm": failing}) == []


def test_health_is_unready_while_a_source_is_refused_and_says_since_when() -> None:
    plans = {"openrouter": plan(SourceSettings(name="openrouter", every=H), NOW)}
    refused = Latest("refused", NOW - 60 * S, "parse lost 97% of rows (350 -> 9): refused",
                     failures=2, failing_since=NOW - H)
    found = problems(NOW, scheduler_running=True, plans=plans, last_success={"openrouter": NOW - 2 * H},
                     started_at=NOW - 3 * H, latest={"openrouter": refused})
    assert found == [("openrouter: refused since 2026-07-01T11:00:00Z (2 failed polls in a row; the guard keeps "
                      "the last good data until the source is fixed or accepted): parse lost 97% of rows "
                      "(350 -> 9): refused")]


def test_liveness_only_asks_whether_the_process_works() -> None:
    assert liveness_problems(scheduler_running=True, stopping=False) == []
    assert liveness_problems(scheduler_running=False, stopping=True) == []  # draining after SIGTERM
    assert liveness_problems(scheduler_running=False, stopping=False) == ["scheduler is not running"]


# --- sd_notify and the status server --------------------------------------------------------


def test_notify_sends_datagrams_and_honours_watchdog_pid() -> None:
    sock = NotifySocket()
    try:
        notifier = Notifier({"NOTIFY_SOCKET": sock.path, "WATCHDOG_USEC": "2000000"})
        assert notifier.watchdog_interval == 1.0
        notifier.ready("leader")
        notifier.reloading()
        notifier.watchdog()
        notifier.stopping()
        fields = wait_for("six notify fields", lambda: len(f := sock.fields()) >= 6 and f)
        assert fields[:2] == ["READY=1", "STATUS=leader"] and fields[2] == "RELOADING=1"
        assert fields[3].startswith("MONOTONIC_USEC=") and int(fields[3].split("=")[1]) > 0
        assert fields[4:6] == ["WATCHDOG=1", "STOPPING=1"]
    finally:
        sock.close()
    other = Notifier({"NOTIFY_SOCKET": "/nonexistent/sock", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"})
    assert other.watchdog_interval is None  # meant for another process
    other.ready()  # an unreachable socket is logged, not raised
    assert not Notifier({}).enabled


def test_status_server_answers_get_and_head_only() -> None:
    async def go() -> list[tuple[int, bytes]]:
        server = StatusServer("127.0.0.1:0", {"/healthz": lambda: Reply(503, b"unhealthy\nx: stale\n")})
        base = await server.start()

        def fetch(path: str, method: str = "GET") -> tuple[int, bytes]:
            request = urllib.request.Request(base + path, method=method)
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    return response.status, response.read()
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read()

        answers = [await asyncio.to_thread(fetch, path, method)
                   for path, method in (("/healthz", "GET"), ("/nope", "GET"), ("/healthz", "POST"))]
        await server.close()
        return answers

    assert asyncio.run(go()) == [(503, b"unhealthy\nx: stale\n"), (404, b"not found: try /metrics, /livez, /readyz or /healthz\n"),
                                 (405, b"GET only\n")]
    assert parse_listen("[::1]:9464") == ("::1", 9464)
    with pytest.raises(ValueError, match="daemon.listen"):
        parse_listen("localhost")


# --- lease -------------------------------------------------------------------------------


def test_lease_is_exclusive_fences_and_changes_hands_by_the_database_clock(db_url: str) -> None:
    engine = make_engine(db_url)
    ensure_schema(engine)
    # Long enough that a loaded machine cannot let it lapse between two statements.
    a, b = Lease(engine, seconds=3), Lease(engine, seconds=3)
    assert a.acquire_or_renew() and not b.acquire_or_renew()
    assert (a.epoch, b.epoch, a.held, b.held) == (1, None, True, False)
    with write_session(engine) as session:
        a.fence(session, 1)
    time.sleep(3.1)  # a stops renewing: expiry is judged by the database's clock
    assert not a.held and b.acquire_or_renew() and b.epoch == 2
    with pytest.raises(LeaseLost, match="epoch 1 is gone"), write_session(engine) as session:
        a.fence(session, 1)
    assert not a.acquire_or_renew()  # b holds a live lease
    b.release()
    assert a.acquire_or_renew() and a.epoch == 3
    with pytest.raises(LeaseLost), write_session(engine) as session:
        a.fence(session, None)  # work started without a lease never commits
    engine.dispose()


def test_a_fenced_transaction_rolls_back_its_writes(db_url: str) -> None:
    engine = make_engine(db_url)
    ensure_schema(engine)
    a = Lease(engine, seconds=30)
    assert a.acquire_or_renew()
    stale = a.epoch
    a.release()
    assert Lease(engine, seconds=30).acquire_or_renew()
    with pytest.raises(LeaseLost), write_session(engine) as session:
        session.add(Run(source="s", trigger="daemon", started_at=NOW, observed_at=NOW, outcome="unchanged"))
        session.flush()
        a.fence(session, stale)
    with read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(Run)).one() == 0
    engine.dispose()


def test_a_dead_local_holder_is_recognised_a_live_or_foreign_one_is_not() -> None:
    import socket
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    namespace = str(os.stat("/proc/self/ns/pid").st_ino)
    host = socket.gethostname()
    assert holder_is_dead(f"{host}:{namespace}:{child.pid}:abc")
    assert not holder_is_dead(f"{host}:{namespace}:{os.getppid()}:abc")  # alive
    assert not holder_is_dead(f"elsewhere:{namespace}:{child.pid}:abc")  # another host
    assert not holder_is_dead(f"{host}:1:{child.pid}:abc")  # another PID namespace
    assert not holder_is_dead("legacy-holder")


def test_renewal_waits_for_a_fenced_commit_on_postgres(db_url: str) -> None:
    """The fence's share lock holds a takeover back until the poll has committed."""
    if not db_url.startswith("postgresql"):
        pytest.skip("row locks: PostgreSQL (SQLite serialises writers anyway)")
    engine = make_engine(db_url)
    ensure_schema(engine)
    a, b = Lease(engine, seconds=1), Lease(engine, seconds=1)
    assert a.acquire_or_renew()
    taken: list[float] = []
    with write_session(engine) as session:
        a.fence(session, a.epoch)
        time.sleep(1.1)  # the lease expires while the poll is still committing

        def take() -> None:
            b.acquire_or_renew()
            taken.append(time.monotonic())

        thread = threading.Thread(target=take)
        thread.start()
        time.sleep(0.5)
        assert taken == []  # blocked by the share lock
        committed = time.monotonic()
    thread.join(5)
    assert taken and taken[0] >= committed and b.epoch == 2
    engine.dispose()


# --- retention -------------------------------------------------------------------------------


def test_retention_prunes_old_bodies_beyond_the_newest_kept_never_the_current_one(db_url: str) -> None:
    engine = make_engine(db_url)
    ensure_schema(engine)
    day = dt.timedelta(days=1)
    with write_session(engine) as session:
        for n in range(6):  # one new body every 10 days; the newest first seen 5 days ago
            at = NOW - (55 - 10 * n) * day
            body = f"body {n}".encode()
            digest = polls.content_hash(body)
            documents.store_document(session, Document("s", "u", body, at), digest, at)
            polls.add_run(session, Run(source="s", trigger="daemon", started_at=at, observed_at=at,
                                       outcome="changed", content_hash=digest))
        # The oldest body is seen again today (a page flapped back): it is recent, not old.
        polls.add_run(session, Run(source="s", trigger="daemon", started_at=NOW, observed_at=NOW, outcome="refused",
                                   content_hash=polls.content_hash(b"body 0")))
    settings = RetentionSettings(documents_max_age=20 * day, documents_keep=2)
    with write_session(engine) as session:
        result = prune_documents(session, settings, NOW)
    with read_session(engine) as session:
        kept = {documents.load_document(session, sha) for sha in session.exec(select(DocumentBlob.sha256))}
        runs = session.exec(select(func.count()).select_from(Run)).one()

    assert result.documents == 3 and result.kept == 3
    assert kept == {b"body 0", b"body 4", b"body 5"}
    assert runs == 7  # history is never pruned
    engine.dispose()


# --- the shipped service files ------------------------------------------------------------------

SYSTEMD = Path(__file__).parent.parent / "systemd"


def test_the_service_example_config_loads_with_its_credentials(tmp_path: Path) -> None:
    from watcher.config import load

    (tmp_path / "slack-webhook").write_text("https://hooks.slack.com/services/T000/B000/XXXXXXXX\n")
    (tmp_path / "smtp-password").write_text("s3cret-pass\n")
    unit = (SYSTEMD / "model-watcher.service").read_text()
    loaded = {line.split("=", 1)[1].split(":", 1)[0] for line in unit.splitlines() if line.startswith("LoadCredential=")}
    assert loaded == {"slack-webhook", "smtp-password"}
    env = {"CREDENTIALS_DIRECTORY": str(tmp_path)}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        settings = load(SYSTEMD / "config.example.toml")
    assert settings.channels["oncall-email"].url.reveal().startswith("mailtos://alerts:s3cret-pass@")
    assert "s3cret" not in str(settings.channels["oncall-email"].url)
    assert settings.daemon.listen == "127.0.0.1:9464"


def test_the_unit_sandbox_scores_at_most_2() -> None:
    import re
    import shutil
    import subprocess

    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed")
    out = subprocess.run(["systemd-analyze", "security", "--offline=true", str(SYSTEMD / "model-watcher.service")],
                         capture_output=True, text=True, timeout=30).stdout
    score = re.search(r"Overall exposure level for model-watcher.service: ([\d.]+)", out)
    assert score is not None, out[-500:]
    assert float(score.group(1)) <= 2.0


def test_the_schema_check_reads_the_head_without_alembic(db_url: str) -> None:
    import subprocess
    import sys

    from watcher.store.migrate import _head_from_files, head_revision

    assert _head_from_files() == head_revision()
    engine = make_engine(db_url)
    ensure_schema(engine)  # creates it
    engine.dispose()
    probe = ("import sys; from watcher.store.engine import make_engine; from watcher.store.migrate import "
             f"ensure_schema; ensure_schema(make_engine({db_url!r})); print('alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"  # a daemon at head never loads Alembic (~10 MB)
