"""What a command loads (docs/architecture.md, "The command line"): `watcher --help` no
database, HTTP, web or alert library, and the query commands nothing of the write side,
the fetcher, the alerts or the web. Read from `python -X importtime`'s list of the
modules a real run imported; no timing is asserted (bench/startup.py measures those)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HELP_MUST_NOT_LOAD = frozenset({"sqlalchemy", "sqlmodel", "alembic", "httpx", "apprise", "selectolax", "fastapi",
                                "uvicorn", "jinja2", "pydantic", "asyncio"})
# selectolax: the sources' parsers load on first parse, not when the config reads their
# declarations; apscheduler: only a cron expression or a jitter of one's own needs it to be checked.
QUERY_MUST_NOT_LOAD = frozenset({"sqlmodel", "alembic", "httpx", "apprise", "fastapi", "uvicorn", "jinja2",
                                 "pydantic", "selectolax", "apscheduler"})
# On the embedded SQLite database these read through the standard library's sqlite3
# (watcher.store.reading): SQLAlchemy alone costs more than the rest of their start-up.
SQLITE_READS = [["changes", "--since", "1d"], ["history", "gpt-4o"], ["asof", "2026-01-05"], ["upcoming"],
                ["show", "gpt-4o"], ["sources"], ["outbox"]]
QUERIES = [["changes", "--since", "1d"], ["history", "gpt-4o"], ["asof", "2026-01-05"], ["upcoming"],
           ["show", "gpt-4o"], ["sources"], ["outbox"], ["silence", "list"], ["export", "change"],
           ["db", "stats"]]


def loaded(args: list[str], env: dict[str, str], cwd: Path) -> set[str]:
    """The top-level packages a `watcher` run imported."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "watcher", *args], capture_output=True,
                          text=True, env={**os.environ, **env}, cwd=cwd, timeout=120)
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    assert lines, done.stderr
    return {line.rsplit("|", 1)[1].strip().split(".")[0] for line in lines[1:]}


def test_help_loads_no_database_http_web_or_alert_library(tmp_path: Path) -> None:
    heavy = loaded(["--help"], {}, tmp_path) & HELP_MUST_NOT_LOAD
    assert not heavy, heavy


@pytest.fixture(scope="module")
def database_at_head(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("queries")
    (folder / "config.toml").write_text("")
    env = {"WATCHER_DB": str(folder / "watcher.db"), "WATCHER_CONFIG": str(folder / "config.toml")}
    upgraded = subprocess.run([sys.executable, "-m", "watcher", "db", "upgrade"], capture_output=True, text=True,
                              env={**os.environ, **env}, cwd=folder, timeout=120)
    assert upgraded.returncode == 0, upgraded.stderr
    return env


@pytest.mark.parametrize("args", QUERIES, ids=" ".join)
def test_a_query_loads_nothing_of_the_write_side_fetcher_alerts_or_web(args: list[str], tmp_path: Path,
                                                                     database_at_head: dict[str, str]) -> None:
    heavy = loaded([*args, "--format", "json"] if args[0] != "export" else args, database_at_head, tmp_path)
    assert not heavy & QUERY_MUST_NOT_LOAD, heavy & QUERY_MUST_NOT_LOAD


@pytest.mark.parametrize("args", SQLITE_READS, ids=" ".join)
def test_a_query_on_sqlite_loads_no_sqlalchemy(args: list[str], tmp_path: Path,
                                                database_at_head: dict[str, str]) -> None:
    heavy = loaded([*args, "--format", "json"], database_at_head, tmp_path) & {"sqlalchemy", "sqlmodel", "alembic"}
    assert not heavy, heavy


def test_the_daemon_process_runs_a_named_module_without_the_command_line(tmp_path: Path) -> None:
    """`watcher run` execs `python -m watcher.daemon.boot daemon …` (what `ps` shows): it
    loads the daemon's modules (here up to the config it cannot find), none of the CLI's."""
    import json

    from watcher.daemon.boot import command, environment

    options = {"config_path": str(tmp_path / "none.toml"), "db": None, "verbose": False, "log_format": "text"}
    argv = command("daemon", json.dumps(options))
    assert argv[argv.index("-m") + 1:argv.index("-m") + 3] == ["watcher.daemon.boot", "daemon"]
    done = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], capture_output=True, text=True,
                          env=environment(), cwd=tmp_path, timeout=120)
    said = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
    assert (done.returncode, said) == (1, [f"watcher: {tmp_path / 'none.toml'}: no such config file"])
    imported = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()[1:] if line.startswith("import time:")}
    assert "watcher.daemon.service" in imported
    assert not {name.split(".")[0] for name in imported} & {"typer", "click", "rich"}
    assert not any(name.startswith("watcher.cli") for name in imported)
    # On SQLite, none of SQLAlchemy's PostgreSQL dialect (2.4 MB resident, issue 13).
    assert not any(name.startswith("sqlalchemy.dialects.postgresql") for name in imported)
