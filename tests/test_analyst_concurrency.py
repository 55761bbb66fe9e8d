"""Reading while writing: a second connection reads consistent states while polls
commit (SQLite in WAL mode, PostgreSQL): never half a poll, never going back, and
one read transaction keeps one snapshot however many polls commit meanwhile."""

from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import Connection, Engine, text

from tests.analyst_support import T0, catalog_source, record
from watcher.config import SourceSettings
from watcher.poll.pipeline import Poller
from watcher.store.engine import make_engine
from watcher.store.migrate import ensure_schema

ROWS = 40
POLLS = 40
SOURCE = catalog_source("busy")
SETTINGS = SourceSettings(name="busy")


def _snapshot(connection: Connection) -> tuple[int, set[str], int]:
    """Current rows, their distinct input prices, and the runs recorded, in one statement."""
    row = connection.execute(text(
        "SELECT (SELECT COUNT(*) FROM current_models WHERE source = 'busy'),"
        " (SELECT MIN(prices) FROM current_models WHERE source = 'busy'),"
        " (SELECT MAX(prices) FROM current_models WHERE source = 'busy'),"
        " (SELECT COUNT(*) FROM run WHERE source = 'busy')")).one()
    return int(row[0]), {row[1], row[2]}, int(row[3])


def _writer(engine: Engine, progress: list[int]) -> None:
    poller = Poller(engine=engine)
    for n in range(1, POLLS + 1):  # every poll reprices every row: ROWS versions closed and opened
        rows = [{"id": f"m{i:02d}", "model": f"m{i:02d}", "status": "active", "input": str(n)} for i in range(ROWS)]
        record(poller, SOURCE, SETTINGS, rows, T0 + dt.timedelta(hours=n))
        progress.append(n)
        time.sleep(0.005)


def test_a_reader_sees_whole_polls_while_they_commit(db_url: str) -> None:
    writer_engine = make_engine(db_url)
    ensure_schema(writer_engine)
    record(Poller(engine=writer_engine), SOURCE, SETTINGS,
           [{"id": f"m{i:02d}", "model": f"m{i:02d}", "status": "active", "input": "0"} for i in range(ROWS)], T0)
    reader_engine = make_engine(db_url)
    progress: list[int] = []
    failures: list[BaseException] = []

    def write() -> None:
        try:
            _writer(writer_engine, progress)
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    reads, runs_seen, held = 0, 0, 0
    try:
        while thread.is_alive() or reads < 5:
            with reader_engine.connect() as connection:  # autocommit-per-block reads
                count, prices, runs = _snapshot(connection)
                connection.rollback()
            assert count == ROWS, "a reader saw a poll half-applied"
            assert len(prices) == 1, f"rows from two different polls at once: {prices}"
            assert runs >= runs_seen, "the history went back in time"
            runs_seen, reads = runs, reads + 1

            # One read transaction: one snapshot, whatever commits meanwhile.
            options = {"isolation_level": "REPEATABLE READ"} if reader_engine.dialect.name == "postgresql" else {}
            with reader_engine.connect().execution_options(**options) as connection:
                first = _snapshot(connection)
                before = len(progress)
                deadline = time.monotonic() + 0.5
                while len(progress) == before and thread.is_alive() and time.monotonic() < deadline:
                    time.sleep(0.002)
                if len(progress) > before:
                    held += 1
                assert _snapshot(connection) == first
                connection.rollback()
    finally:
        thread.join()
    assert not failures, failures
    assert reads >= 5 and held >= 3, (reads, held)
    with reader_engine.connect() as connection:
        count, prices, runs = _snapshot(connection)
    assert (count, runs) == (ROWS, POLLS + 1) and prices == {f'{{"input/per_1m_tokens/standard":"{POLLS}"}}'}
    reader_engine.dispose()
    writer_engine.dispose()
