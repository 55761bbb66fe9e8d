"""The spine's commands as a user runs them: ingest of archived captures, changes
in every format, history, check, and clear one-line errors."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from tests.support import FIXTURES, run_watcher

MD = FIXTURES / "openai_deprecations" / "deprecations-2026-06-27.md"
HTML = FIXTURES / "openai_deprecations" / "deprecations-2025-11-13.html"


def watcher(db: str, *args: str) -> tuple[int, str, str]:
    result = run_watcher(["--db", db, *args])
    return result.returncode, result.stdout, result.stderr


@pytest.fixture
def ingested(db_url: str, tmp_path: Path) -> str:
    later = tmp_path / "later.md"
    # A third capture: OpenAI postpones codex-mini-latest again (they edit past rows).
    later.write_text(MD.read_text().replace("| 2026-02-12    | `codex-mini-latest`", "| 2026-03-12    | `codex-mini-latest`"))
    for path, when in ((HTML, "2025-11-13T09:00:00Z"), (MD, "2026-06-27T10:30:00Z"), (later, "2026-06-28T08:00:00Z")):
        code, _, err = watcher(db_url, "ingest", "openai-deprecations", str(path), "--observed-at", when)
        assert code == 0, err
    return db_url


def test_ingest_then_changes_json_lists_each_change_once_at_capture_time(ingested: str) -> None:
    code, out, _ = watcher(ingested, "changes", "--format", "json")
    assert code == 0
    changes = json.loads(out)
    assert changes, "the 2026 capture differs from the 2025 one"
    required = {"detected_at", "source", "provider", "model", "key", "kind", "field", "old", "new", "severity"}
    assert all(required <= set(c) for c in changes)
    assert {c["detected_at"] for c in changes} == {"2026-06-27T10:30:00Z", "2026-06-28T08:00:00Z"}
    identities = [(c["key"], c["kind"], c["field"], c["detected_at"]) for c in changes]
    assert len(identities) == len(set(identities))
    sora = [c for c in changes if c["model"] == "sora-2"]
    assert [(c["kind"], c["detected_at"]) for c in sora] == [("listed", "2026-06-27T10:30:00Z")]
    assert "shutdown 2026-09-24" in sora[0]["new"] and "replacement ---" in sora[0]["new"]
    codex = [c for c in changes if c["model"] == "codex-mini-latest" and c["kind"] == "shutdown_date"]
    assert [(c["old"], c["new"], c["detected_at"]) for c in codex] == [
        ("2026-02-12", "2026-03-12", "2026-06-28T08:00:00Z"),
    ]


def test_changes_filters_and_formats(ingested: str) -> None:
    _, out, _ = watcher(ingested, "changes", "--model", "sora-2*", "--format", "ndjson")
    models = {json.loads(line)["model"] for line in out.splitlines()}
    assert models == {"sora-2", "sora-2-pro", "sora-2-2025-10-06", "sora-2-2025-12-08", "sora-2-pro-2025-10-06"}
    _, out, _ = watcher(ingested, "changes", "--kind", "shutdown_date", "--since", "2026-06-28", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["model"], r["new"]) for r in rows] == [("codex-mini-latest", "2026-03-12")]
    _, out, _ = watcher(ingested, "changes", "--source", "openrouter", "--format", "json")
    assert json.loads(out) == []
    code, _, err = watcher(ingested, "changes", "--kind", "bogus")
    assert code == 2 and "expected one of" in err


def test_history_shows_every_version_of_a_model(ingested: str) -> None:
    _, out, _ = watcher(ingested, "history", "codex-mini-latest", "--format", "json")
    versions = json.loads(out)
    assert [(v["shutdown_on"], v["valid_from"], v["valid_to"]) for v in versions] == [
        ("2026-02-12", "2026-06-27T10:30:00Z", "2026-06-28T08:00:00Z"),
        ("2026-03-12", "2026-06-28T08:00:00Z", None),
    ]
    # Aliases find their snapshot: gpt-4-turbo-preview points to gpt-4-0125-preview.
    _, out, _ = watcher(ingested, "history", "gpt-4-turbo-preview", "--format", "json")
    assert {v["model"] for v in json.loads(out)} == {"gpt-4-0125-preview"}


def test_reingesting_the_same_capture_is_unchanged_and_stores_nothing_new(ingested: str, tmp_path: Path) -> None:
    code, out, err = watcher(ingested, "ingest", "openai-deprecations", str(MD), "--observed-at", "2026-07-01T00:00:00Z")
    assert code == 0 and "changed" in err  # differs from the latest capture (the codex edit)
    code, out, err = watcher(ingested, "ingest", "openai-deprecations", str(MD), "--observed-at", "2026-07-02T00:00:00Z")
    assert code == 0 and "unchanged" in err and json.loads(out) == []


def test_check_prints_observations_and_stores_nothing(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'w.db'}"
    code, out, err = watcher(db, "check", "openai-deprecations", "--file", str(MD), "--format", "json")
    assert code == 0 and "136 rows" in err
    rows = json.loads(out)
    assert len(rows) == 136
    # A stored poll would be a silent baseline (no changes): look for runs and versions instead.
    for table in ("run", "document", "observation_version", "change"):
        code, out, _ = watcher(db, "export", table, "--format", "json")
        assert code == 0 and json.loads(out) == [], table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "openai-deprecations", "--file", "/nonexistent/page.md"], "cannot read"),
        (["check", "no-such-source", "--file", str(MD)], "unknown source 'no-such-source'"),
        (["check", "openai-deprecations", "--file", str(FIXTURES / "openai_deprecations" / "error-page.html")], "cannot parse"),
        (["ingest", "openai-deprecations", str(MD), "--observed-at", "yesterday-ish"], "not a time"),
        (["--config", "/nonexistent/config.toml", "changes"], "no such config file"),
        (["--db", "mysql://x@y/z", "changes"], "unsupported database"),
        (["--db", "postgresql://u:pw@db:port/x", "changes"], "not a database URL"),
        (["changes", "--format", "xml"], "'xml' is not one of 'table', 'json', 'csv', 'ndjson'"),
        (["changes", "--no-such-option"], "no such option: --no-such-option"),
        (["changes", "--limit", "-1"], "invalid value for '--limit'"),
        (["history"], "watcher history: missing argument"),
        (["no-such-command"], "no such command 'no-such-command'"),
        (["export", "no_such_table"], "no table or view 'no_such_table'"),
        (["asof", "soon"], "not a time"),
        (["ingest", "openai-deprecations", str(FIXTURES / "json_catalog")], "no capture time in the name"),
        (["notify-test", "no-such-channel"], "no channel named 'no-such-channel'"),
    ],
)
def test_bad_input_is_one_clear_line_and_nonzero_exit(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_watcher(["--db", f"sqlite:///{tmp_path / 'w.db'}", *args] if args[0] != "--db" else args,
                         cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_bad_config_key_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[sources.openai-deprecations]\nevry = "1h"\n')
    result = run_watcher(["--config", str(config), "sources"], cwd=tmp_path)
    assert result.returncode == 1
    assert "sources.openai-deprecations.evry: unknown key" in result.stderr
    config.write_text('[storage\nurl = "x"\n')
    result = run_watcher(["--config", str(config), "sources"], cwd=tmp_path)
    assert result.returncode == 1 and "not valid TOML" in result.stderr


def test_db_upgrade_is_idempotent(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'w.db'}"
    code, out, _ = watcher(db, "db", "upgrade")
    assert code == 0 and "upgraded empty ->" in out
    code, out, _ = watcher(db, "db", "upgrade")
    assert code == 0 and "already at revision" in out
    assert "free space" not in out  # a new file has none


def test_db_upgrade_says_how_much_of_the_file_a_moved_table_left_free(tmp_path: Path) -> None:
    """0013 copies the history's tables: the space the old ones held stays in the file."""
    from tests.migration_support import record_releases
    from watcher.store.engine import make_engine
    from watcher.store.migrate import upgrade

    db = f"sqlite:///{tmp_path / 'w.db'}"
    engine = make_engine(db)
    upgrade(engine, "0012")
    record_releases(engine)
    engine.dispose()
    code, out, _ = watcher(db, "db", "upgrade")
    assert code == 0 and "upgraded 0012 -> 0013" in out
    amount = re.search(r": ([0-9.]+) (kB|MB) of the file is free space", out)
    assert amount and float(amount[1]) > 0 and "VACUUM" in out, out
