"""Storage an operator can trust: replicas starting together on a fresh database
all succeed and create the schema once (PostgreSQL: an advisory lock around
migrations); a SQLite commit is on disk when it returns (synchronous=FULL)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def start_together(db_url: str, args: list[str], cwd: Path, n: int = 3) -> list[subprocess.CompletedProcess[str]]:
    procs = [subprocess.Popen([sys.executable, "-m", "watcher", "--db", db_url, *args], cwd=cwd, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
             for _ in range(n)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


@pytest.mark.slow
def test_three_db_upgrades_at_once_on_a_fresh_database_all_succeed(db_url: str, tmp_path: Path) -> None:
    results = start_together(db_url, ["db", "upgrade"], tmp_path)
    assert [r.returncode for r in results] == [0, 0, 0], [r.stderr for r in results]
    outputs = sorted(r.stdout.split(": ", 1)[1].strip() for r in results)
    # Exactly one created the schema; the others waited for it and found it done.
    assert outputs[-1].startswith("upgraded empty -> "), outputs
    assert all(o.startswith("already at revision ") for o in outputs[:-1]), outputs


@pytest.mark.slow
def test_three_first_starts_at_once_create_the_schema_once(db_url: str, tmp_path: Path) -> None:
    results = start_together(db_url, ["changes", "--format", "json"], tmp_path)
    assert [r.returncode for r in results] == [0, 0, 0], [r.stderr for r in results]
    assert all(r.stdout.strip() == "[]" for r in results)


def test_sqlite_commits_are_durable_when_they_return(sqlite_url: str) -> None:
    from watcher.store.engine import make_engine

    engine = make_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    engine.dispose()


def test_a_database_with_tables_but_no_migration_history_is_refused_untouched(tmp_path: Path) -> None:
    """Judged under the migration lock (so a first start beside another sees a whole schema or
    none): someone else's database is refused, and nothing of ours is created in it."""
    import sqlite3

    from sqlalchemy import inspect

    from watcher.store.engine import make_engine
    from watcher.store.migrate import SchemaOutOfDateError, ensure_schema

    path = tmp_path / "theirs.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    engine = make_engine(f"sqlite:///{path}")
    with pytest.raises(SchemaOutOfDateError, match=r"tables \(invoices\) but no migration history"):
        ensure_schema(engine)
    assert inspect(engine).get_table_names() == ["invoices"]
    engine.dispose()
