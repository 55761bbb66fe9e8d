"""The command line as an operator meets it: --version, shell completion, help that
reads as prose, journald priorities and JSON log lines."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.daemon_support import DEPRECATIONS_MD, SOURCE, wait_for, write_config
from tests.support import Upstream, run_watcher
from watcher import __version__

COMMANDS = ["poll", "check", "ingest", "changes", "history", "sources", "asof", "upcoming", "export", "reparse",
            "show", "outbox", "deliver", "notify-test", "run", "db", "db upgrade", "db stats", "db prune",
            "silence", "silence add", "silence list", "silence expire"]


def test_version() -> None:
    result = run_watcher(["--version"])
    assert result.returncode == 0 and result.stdout == f"watcher {__version__}\n"


def test_shell_completion_script_and_completions() -> None:
    # Typer names the shell by the processes above it (shellingham), not by an argument: run
    # it from bash, as a user does, not from whatever started the test run (a CI runner, a
    # detached job, with no shell above it: "Shell  not supported").
    # (`; exit`: a lone command would replace bash instead of running under it.)
    script = subprocess.run(["bash", "-c", f"{shlex.quote(sys.executable)} -m watcher --show-completion; exit $?"],
                            capture_output=True, text=True, check=False, timeout=60)
    assert script.returncode == 0 and "complete " in script.stdout and "_WATCHER_COMPLETE" in script.stdout.upper()
    env = {"_WATCHER_COMPLETE": "complete_bash", "COMP_WORDS": "watcher cha", "COMP_CWORD": "1"}
    result = subprocess.run([sys.executable, "-m", "watcher"], capture_output=True, text=True, check=False,
                            env={**os.environ, **env}, timeout=60)
    assert result.stdout.split() == ["changes"], result.stderr


def test_the_command_list_reads_as_whole_sentences() -> None:
    result = run_watcher(["--help"], env={"COLUMNS": "100"})
    assert result.returncode == 0
    listing = result.stdout.split("Commands:", 1)[1]
    assert "..." not in listing  # nothing cut mid-sentence
    flat = " ".join(listing.split())
    assert "poll Poll sources once now, record what they say, and print the changes found." in flat
    assert "run Run the service in the foreground: poll every source on schedule, deliver alerts, " in flat


@pytest.mark.parametrize("command", COMMANDS)
def test_help_placeholders_are_words_not_types(command: str) -> None:
    result = run_watcher([*command.split(), "--help"], env={"COLUMNS": "100"})
    assert result.returncode == 0, result.stderr
    assert not re.search(r"<(str|int|path|list\[[a-z]+\]|int range)>", result.stdout), result.stdout
    assert "{" not in result.stdout.splitlines()[0]  # the usage line: `SOURCE PATH`, not `{source} {file}`


def test_json_log_lines(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[sources.openrouter]\nurl = "http://127.0.0.1:9/api"\n[fetch]\nretries = 0\n')
    result = run_watcher(["--log-format", "json", "-v", "-c", str(config), "--db", str(tmp_path / "w.db"),
                          "poll", "openrouter"], cwd=tmp_path)
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    fetch = [r for r in records if r["logger"] == "watcher.poll.fetch"]
    assert fetch and fetch[0]["level"] == "info" and "127.0.0.1:9" in fetch[0]["message"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", r["time"]) for r in records)
    bad = run_watcher(["--log-format", "yaml", "changes"], cwd=tmp_path)
    assert bad.returncode == 2 and "invalid value for '--log-format'" in bad.stderr


@pytest.mark.slow
def test_under_journald_every_line_carries_its_priority(tmp_path: Path, upstream: Upstream, sqlite_url: str) -> None:
    upstream.set("/deprecations.md", DEPRECATIONS_MD)
    config = write_config(tmp_path / "config.toml", {SOURCE: {"every": "1h", "url": upstream.url("/deprecations.md")}})
    log_path = tmp_path / "journal-stream.log"
    with log_path.open("wb") as log:
        stat = os.fstat(log.fileno())
        # What systemd sets when stderr is connected to the journal: that stream's device and inode.
        env = {**os.environ, "JOURNAL_STREAM": f"{stat.st_dev}:{stat.st_ino}", "PYTHONUNBUFFERED": "1"}
        env.pop("NOTIFY_SOCKET", None)
        proc = subprocess.Popen([sys.executable, "-m", "watcher", "--config", str(config), "--db", sqlite_url, "run"],
                                stdout=log, stderr=log, env=env, cwd=tmp_path)
    try:
        wait_for("the first poll", lambda: f"poll {SOURCE}: baseline" in log_path.read_text())
        config.write_text(config.read_text() + "\n[sources.nope]\nevery = \"soon\"\n")
        proc.send_signal(signal.SIGHUP)
        wait_for("the rejected reload", lambda: "rejected" in log_path.read_text())
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = log_path.read_text().splitlines()
    assert lines and all(re.match(r"<[0-7]>", line) for line in lines), lines
    [rejected] = [line for line in lines if "rejected" in line]
    assert rejected.startswith("<3>ERROR watcher.daemon: reload of ")  # `journalctl -p err` finds it
    assert any(line.startswith(f"<6>INFO watcher.daemon: poll {SOURCE}: baseline") for line in lines), lines
    assert not re.match(r"<\d>\d{4}-", lines[0])  # journald stamps lines itself


def test_a_redirected_stderr_gets_no_priority_prefix(tmp_path: Path) -> None:
    # JOURNAL_STREAM inherited from a unit, but stderr redirected to a file: that file is not the journal.
    result = run_watcher(["-v", "--db", str(tmp_path / "w.db"), "changes", "--format", "json"],
                         env={"JOURNAL_STREAM": "8:12345"}, cwd=tmp_path)
    assert result.returncode == 0
    assert not any(re.match(r"<\d>", line) for line in result.stderr.splitlines())
