"""Errors an operator can cause are one line that says what to do: the missing
PostgreSQL extra, the database that cannot be opened, the host a check failed
on, a config that cannot work (found when it is loaded, not at the first poll),
and a filter naming a source that does not exist."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.support import FIXTURES, run_watcher

MD = FIXTURES / "openai_deprecations" / "deprecations-2026-06-27.md"


def one_line_error(args: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = run_watcher(args, cwd=cwd, env=env)
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_postgresql_without_the_extra_names_the_pip_command(tmp_path: Path) -> None:
    # A psycopg that cannot be imported, first on the path: what a plain `pip install` leaves.
    fake = tmp_path / "site" / "psycopg"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'psycopg'\", name='psycopg')\n")
    line = one_line_error(["--db", "postgresql://watcher@127.0.0.1/watcher", "changes"], cwd=tmp_path,
                          env={"PYTHONPATH": str(tmp_path / "site")})
    assert line == ("watcher: PostgreSQL support is not installed: "
                    "pip install 'model-lifecycle-watcher[postgres]'")


@pytest.mark.parametrize("kind", ["directory", "not-a-database"])
def test_a_database_that_cannot_be_opened_is_named(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "history.db"
    if kind == "directory":
        path.mkdir()
    else:
        path.write_text("these are notes, not a database\n" * 100)
    line = one_line_error(["--db", str(path), "changes"], cwd=tmp_path)
    assert line.startswith(f"watcher: cannot open database sqlite:///{path}: ")
    assert ("unable to open database file" if kind == "directory" else "file is not a database") in line


def test_an_unreachable_postgresql_names_its_host_and_port(tmp_path: Path) -> None:
    port = closed_port()
    line = one_line_error(["--db", f"postgresql://watcher:s3cret-pw@127.0.0.1:{port}/watcher", "changes"],
                          cwd=tmp_path)
    assert line.startswith("watcher: cannot open database postgresql+psycopg://")
    assert f"127.0.0.1:{port}/watcher" in line and "s3cret-pw" not in line


def test_a_failing_check_names_the_host(tmp_path: Path) -> None:
    port = closed_port()
    config = tmp_path / "config.toml"
    config.write_text(f'[sources.openrouter]\nurl = "http://127.0.0.1:{port}/api/v1/models"\n[fetch]\nretries = 0\n')
    line = one_line_error(["-c", str(config), "--db", str(tmp_path / "w.db"), "check", "openrouter"], cwd=tmp_path)
    assert line.startswith("watcher: openrouter: fetch failed: 127.0.0.1: ")
    result = run_watcher(["-c", str(config), "--db", str(tmp_path / "w.db"), "poll", "openrouter"], cwd=tmp_path)
    assert result.returncode == 1
    assert "openrouter: failed, 0 changes (127.0.0.1: " in result.stderr


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('[sources.openrouter]\ncron = "99 * * * *"\n',
         "sources.openrouter.cron: Error validating expression '99'"),
        ('[sources.openrouter]\ncron = "0 0 30 2 *"\n', "sources.openrouter.cron: the expression never fires"),
        ('[sources.openrouter]\ncron = "0 0 * * funday"\n', "sources.openrouter.cron: day of week 'funday'"),
        ('[sources.openrouter]\nevery = "1m"\njitter = "5m"\n',
         "sources.openrouter.jitter: must be shorter than the interval (1m)"),
        ('[sources.my-gateway]\nurl = "http://127.0.0.1/models.json"\n',
         "sources.my-gateway: not a built-in source"),
        ('[sources.my-gateway]\ntype = "json-catalgo"\nurl = "http://127.0.0.1/x.json"\n',
         "sources.my-gateway.type: unknown source type 'json-catalgo' (known: json-catalog)"),
        ('[channels.oncall]\nurl = "hooks.slack.com/services/T000/B000/XXXX"\n',
         "channels.oncall.url: not a URL (expected scheme://"),
        ('[channels.oncall]\nurl = "json://127.0.0.1:99999/hook"\n',
         "channels.oncall.url: port 99999 is out of range 1-65535"),
    ],
)
def test_config_that_cannot_work_is_refused_when_loaded(tmp_path: Path, config: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(config)
    # `watcher sources` only reads the config: the same check `watcher run` makes.
    line = one_line_error(["-c", str(path), "--db", str(tmp_path / "w.db"), "sources"], cwd=tmp_path)
    assert line.startswith(f"watcher: {message}"), line


def test_the_shipped_config_loads() -> None:
    from watcher.config import load

    settings = load(Path(__file__).parents[1] / "config.toml", environ={})
    assert settings.sources["litellm"].cron


@pytest.mark.parametrize("command", [["changes"], ["asof", "2026-07-01"], ["upcoming"]])
def test_a_filter_naming_an_unknown_source_is_an_error(tmp_path: Path, command: list[str]) -> None:
    db = str(tmp_path / "w.db")
    result = run_watcher(["--db", db, "ingest", "openai-deprecations", str(MD), "--observed-at",
                          "2026-06-27T10:30:00Z"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    line = one_line_error(["--db", db, *command, "--source", "openai-deprecation"], cwd=tmp_path)
    assert line.startswith("watcher: --source 'openai-deprecation': no such source (configured: ")
    ok = run_watcher(["--db", db, *command, "--source", "openai-deprecations", "--format", "json"], cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr


def test_a_source_only_in_history_is_still_a_valid_filter(tmp_path: Path) -> None:
    db = str(tmp_path / "w.db")
    config = tmp_path / "config.toml"
    config.write_text('[sources.gw]\ntype = "json-catalog"\nurl = "http://127.0.0.1/c.json"\nid = "id"\n'
                      'items = "data"\n')
    capture = tmp_path / "c.json"
    capture.write_text('{"data": [{"id": "m-1"}, {"id": "m-2"}]}')
    result = run_watcher(["-c", str(config), "--db", db, "ingest", "gw", str(capture), "--observed-at",
                          "2026-06-27T10:30:00Z"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    config.write_text("")  # the source has left the config; its history has not
    result = run_watcher(["-c", str(config), "--db", db, "changes", "--source", "gw", "--format", "json"],
                         cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip().startswith("["), result.stderr
