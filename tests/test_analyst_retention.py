"""Retention prunes raw documents by age and count per source, never the one behind a
source's latest successful poll, never structured history; `db prune` and
`db stats` on the command line."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import select

from tests.analyst_support import catalog_source, record
from tests.support import run_watcher
from watcher.config import RetentionSettings, SourceSettings
from watcher.poll.pipeline import Poller
from watcher.store.engine import make_engine, read_session, write_session
from watcher.store.migrate import ensure_schema
from watcher.store.retention import prunable, prune_documents
from watcher.store.stats import database_stats
from watcher.store.tables import ChangeRecord, DocumentBlob, ObservationVersion, Run

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def _engine(db_url: str) -> Engine:
    engine = make_engine(db_url)
    ensure_schema(engine)
    return engine


def _polls(engine: Engine, name: str, days: list[int]) -> None:
    """One changed poll (a new body) per listed day before NOW, each followed by an unchanged one."""
    source, settings = catalog_source(name), SourceSettings(name=name)
    poller = Poller(engine=engine)
    for n, day in enumerate(sorted(days, reverse=True)):
        rows = [{"id": f"{name}-model", "model": f"{name}-model", "status": "active", "input": str(n + 1)}]
        record(poller, source, settings, rows, NOW - day * DAY)
        record(poller, source, settings, rows, NOW - day * DAY + dt.timedelta(hours=1))


def _counts(engine: Engine) -> dict[str, int]:
    with read_session(engine) as session:
        return {name: int(session.exec(select(func.count()).select_from(t)).one())  # as analysts name them
                for name, t in (("run", Run), ("observation_version", ObservationVersion), ("change", ChangeRecord),
                                ("document", DocumentBlob))}


def _docs(engine: Engine, source: str) -> set[dt.datetime]:
    """When each kept document of `source` was first seen."""
    with read_session(engine) as session:
        return set(session.exec(select(DocumentBlob.first_seen_at).where(DocumentBlob.source == source)))


def test_documents_are_pruned_by_age_beyond_the_newest_few_per_source(db_url: str) -> None:
    engine = _engine(db_url)
    _polls(engine, "cat-a", list(range(10, 310, 10)))  # 30 bodies, one every 10 days
    _polls(engine, "cat-b", [250, 200])  # 2 old bodies: the keep count protects them
    before = _counts(engine)
    settings = RetentionSettings(documents_max_age=100 * DAY, documents_keep=5)
    with write_session(engine) as session:
        result = prune_documents(session, settings, NOW)
    assert _docs(engine, "cat-a") == {NOW - d * DAY for d in range(10, 101, 10)}  # last seen within 100 days
    assert len(_docs(engine, "cat-b")) == 2
    assert result.documents == 20 and result.kept == 12
    after = _counts(engine)
    assert after["document"] == before["document"] - 20
    assert {k: v for k, v in after.items() if k != "document"} == {k: v for k, v in before.items() if k != "document"}

    with write_session(engine) as session:
        keep_fewer = dataclasses.replace(settings, documents_keep=2)
        prune_documents(session, keep_fewer, NOW)
    assert len(_docs(engine, "cat-a")) == 10 and len(_docs(engine, "cat-b")) == 2


def test_the_body_behind_the_latest_successful_poll_is_never_pruned(db_url: str) -> None:
    engine = _engine(db_url)
    _polls(engine, "cat-a", [300, 200])
    source = catalog_source("cat-a")
    poller = Poller(engine=engine)
    for day in range(100, 0, -10):  # failing ever since
        poller.record_failure(source, SourceSettings(name="cat-a"), error="HTTP 503", url="u", http_status=503,
                              at=NOW - day * DAY)
    with read_session(engine) as session:
        doomed, total = prunable(session, RetentionSettings(documents_max_age=30 * DAY, documents_keep=0), NOW)
    assert total == 2 and len(doomed) == 1
    assert doomed[0].last_seen < NOW - 250 * DAY


def test_never_means_never(db_url: str) -> None:
    engine = _engine(db_url)
    _polls(engine, "cat-a", [400, 300])
    with read_session(engine) as session:
        assert prunable(session, RetentionSettings(documents_max_age=None, documents_keep=0), NOW)[0] == []


def test_stats_count_rows_and_bytes_per_table_and_source(db_url: str) -> None:
    engine = _engine(db_url)
    _polls(engine, "cat-a", [30, 20, 10])
    _polls(engine, "cat-b", [5])
    counts = _counts(engine)
    with engine.connect() as connection:
        rows = database_stats(connection)
    tables = {r["table"]: r for r in rows if r["source"] is None}
    assert tables["(database)"]["bytes"] > 0
    for name, count in counts.items():
        assert tables[name]["rows"] == count
        assert tables[name]["bytes"] and tables[name]["bytes_from"]
    per_source = {(r["table"], r["source"]): r for r in rows if r["source"] is not None}
    assert per_source[("document", "cat-a")]["rows"] == 3 and per_source[("document", "cat-b")]["rows"] == 1
    assert per_source[("run", "cat-a")]["rows"] == 6
    with read_session(engine) as session:
        stored = session.exec(select(func.sum(func.length(DocumentBlob.body))).where(DocumentBlob.source == "cat-a")).one()
    assert per_source[("document", "cat-a")]["bytes"] == stored


def test_db_prune_and_db_stats_on_the_command_line(sqlite_url: str, tmp_path: Path) -> None:
    engine = _engine(sqlite_url)
    now = dt.datetime.now(dt.UTC)
    source, settings = catalog_source("cat-a"), SourceSettings(name="cat-a")
    for n, days in enumerate((400, 300, 200, 1)):
        record(Poller(engine=engine), source, settings,
               [{"id": "m", "model": "m", "status": "active", "input": str(n + 1)}], now - days * DAY)
    config = tmp_path / "config.toml"
    config.write_text('[storage.retention]\ndocuments_max_age = "180d"\ndocuments_keep = 1\n', encoding="utf-8")

    def watcher(*args: str) -> Any:
        done = run_watcher(["--config", str(config), "--db", sqlite_url, *args], cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return done

    dry = watcher("db", "prune", "--dry-run", "--format", "json")
    assert [(r["source"], r["documents"]) for r in json.loads(dry.stdout)] == [("cat-a", 3)]
    assert "would prune 3 of 4" in dry.stderr and len(_docs(engine, "cat-a")) == 4
    done = watcher("db", "prune", "--format", "json")
    assert "pruned 3 of 4" in done.stderr and len(_docs(engine, "cat-a")) == 1
    stats = json.loads(watcher("db", "stats", "--format", "json").stdout)
    assert {(r["table"], r["source"], r["rows"]) for r in stats} >= {("document", None, 1), ("run", "cat-a", 4)}
    assert "table" in watcher("db", "stats", "--format", "csv").stdout.splitlines()[0]


def test_a_backfilled_older_archive_does_not_displace_the_latest_body(db_url: str) -> None:
    # The archive is inserted after the live poll (a higher run id) but speaks for an older
    # time: the body to protect is the live poll's, as the pipeline means "latest".
    engine = _engine(db_url)
    source, settings = catalog_source("cat-a"), SourceSettings(name="cat-a")
    poller = Poller(engine=engine)
    record(poller, source, settings, [{"id": "m", "model": "m", "status": "active", "input": "2"}], NOW - 100 * DAY)
    record(poller, source, settings, [{"id": "m", "model": "m", "status": "active", "input": "1"}], NOW - 300 * DAY)
    with read_session(engine) as session:
        doomed, total = prunable(session, RetentionSettings(documents_max_age=30 * DAY, documents_keep=0), NOW)
    assert total == 2
    assert [d.last_seen for d in doomed] == [NOW - 300 * DAY]
