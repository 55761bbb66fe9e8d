"""A time is stored one way (`watcher.store.times`), whichever path writes or reads it:
SQLAlchemy's column type, or the query commands' SQL text on the standard library's sqlite3."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from watcher.store import times
from watcher.store.engine import make_engine
from watcher.store.migrate import ensure_schema
from watcher.store.relations import RUN
from watcher.store.sql import rows
from watcher.store.values import aware_time

AT = dt.datetime(2026, 3, 1, 5, 35, 0, 123456, tzinfo=ZoneInfo("Europe/Paris"))  # 04:35 UTC


def test_both_paths_store_and_read_a_time_alike(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'watcher.db'}")
    ensure_schema(engine)
    with engine.begin() as connection:  # written through the column type
        connection.execute(insert(RUN), [{"source": "s", "trigger": "poll", "started_at": AT, "observed_at": AT,
                                          "outcome": "changed", "changes": 0}])
        assert connection.execute(select(RUN.c.started_at)).scalar_one() == AT
    engine.dispose()
    with sqlite3.connect(tmp_path / "watcher.db") as connection:  # read and bound as text, without SQLAlchemy
        stored = connection.execute("SELECT started_at FROM run").fetchone()[0]
        assert stored == times.sqlite_text(AT) == "2026-03-01 04:35:00.123456"
        assert aware_time(stored) == AT and times.read(stored).tzinfo is dt.UTC
        assert list(rows(connection, "SELECT count(*) FROM run WHERE started_at = :at", {"at": AT})) == [(1,)]


def test_a_naive_time_is_refused_on_both_paths(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'watcher.db'}")
    ensure_schema(engine)
    naive = AT.replace(tzinfo=None)
    with pytest.raises(Exception, match="naive datetime"), engine.begin() as connection:
        connection.execute(insert(RUN), [{"source": "s", "trigger": "poll", "started_at": naive,
                                          "observed_at": naive, "outcome": "changed", "changes": 0}])
    engine.dispose()
    with sqlite3.connect(tmp_path / "watcher.db") as connection, pytest.raises(ValueError, match="naive datetime"):
        list(rows(connection, "SELECT count(*) FROM run WHERE started_at = :at", {"at": naive}))


@pytest.mark.parametrize("at", [
    dt.datetime(1900, 1, 1, tzinfo=dt.UTC),
    dt.datetime(1960, 5, 1, 12, 0, 0, 500000, tzinfo=dt.UTC),
    times.EPOCH - dt.timedelta(microseconds=1),
    times.EPOCH,
    AT,
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
])
def test_a_compact_time_reads_as_the_same_text_in_sql_and_back_as_the_same_time(at: dt.datetime) -> None:
    """What the history's views show (`TEXT_OF_MICROS`, SQLite's arithmetic, which truncates
    toward zero) is the text every other table stores; and the integer reads back exactly."""
    micros = times.micros(at)
    shown = sqlite3.connect(":memory:").execute(f"SELECT {times.TEXT_OF_MICROS.format(micros=':m')}",
                                               {"m": micros}).fetchone()[0]
    assert shown == times.sqlite_text(at)
    assert times.read(micros) == at
    assert sqlite3.connect(":memory:").execute(f"SELECT {times.TEXT_OF_MICROS.format(micros='NULL')}").fetchone() == (
        None,)
