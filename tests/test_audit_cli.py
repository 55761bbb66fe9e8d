"""`watcher audit` end to end: the real command on the fixture repository, against a
database holding OpenAI's real deprecations page and a small catalog (SQLite, and
PostgreSQL where it is set up), with the clock fixed at 2026-08-25."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.audit_support import TODAY, make_repo, populate, write_config
from tests.support import FIXTURES, run_watcher

# (location, as written, model, level, days left, shutdown): exactly these, nothing else.
EXPECTED = {
    (".env.example:1", "gpt-4", "openai/gpt-4-0613", "warning", 59, "2026-10-23"),
    (".env.example:2", "sora-2", "openai/sora-2", "error", 30, "2026-09-24"),
    ("app/video.py:4", "sora-2", "openai/sora-2", "error", 30, "2026-09-24"),
    ("app/video.py:5", "videos.create", "openai/Videos API", "error", 30, "2026-09-24"),
    ("app/video.py:5", "sora-2-pro", "openai/sora-2-pro", "error", 30, "2026-09-24"),
    ("app/video.py:6", "videos.createAndPoll", "openai/Videos API", "error", 30, "2026-09-24"),
    ("config/settings.yaml:2", "sora-2-2025-10-06", "openai/sora-2-2025-10-06", "error", 30, "2026-09-24"),
    ("config/settings.yaml:3", "openai/sora-2-pro", "openai/sora-2-pro", "error", 30, "2026-09-24"),
    ("config/settings.yaml:4", "azure/sora-2", "openai/sora-2 via azure", "warning", 143, "2027-01-15"),
    ("config/settings.yaml:8", "gpt-image-0", "openai/gpt-image-0", "warning", None, None),
    ("docs/notes.md:3", "gpt-4-32k", "openai/gpt-4-32k", "error", -445, "2025-06-06"),
    ("docs/notes.md:4", "sora-2-pro-2025-10-06", "openai/sora-2-pro-2025-10-06", "error", 30, "2026-09-24"),
    ("logs/keep.log:1", "sora-2-pro", "openai/sora-2-pro", "error", 30, "2026-09-24"),
    ("web/webhooks.ts:2", "video.completed", "openai/Videos API", "error", 30, "2026-09-24"),
    ("web/webhooks.ts:3", "/videos", "openai/Videos API", "error", 30, "2026-09-24"),
    ("web/webhooks.ts:4", "video.failed", "openai/Videos API", "error", 30, "2026-09-24"),
}


def _world(db: str, tmp_path: Path) -> dict[str, Any]:
    populate(db)
    return {"db": db, "repo": make_repo(tmp_path / "repo"), "config": write_config(tmp_path / "config.toml")}


@pytest.fixture
def any_world(db_url: str, tmp_path: Path) -> dict[str, Any]:
    """On SQLite and on PostgreSQL (`--db` pointing at a shared server)."""
    return _world(db_url, tmp_path)


@pytest.fixture
def world(sqlite_url: str, tmp_path: Path) -> dict[str, Any]:
    """The options and exit codes do not depend on the database: SQLite only, to keep the suite quick."""
    return _world(sqlite_url, tmp_path)


def audit(world: dict[str, Any], *args: str, cwd: Path | None = None) -> Any:
    return run_watcher(["--config", str(world["config"]), "--db", world["db"], "audit", "--today", TODAY.isoformat(),
                        *args], cwd=cwd or world["repo"])


def _rows(report: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {(f["location"], f["written"], f["model"], f["level"], f["days_left"], f["shutdown_on"])
            for f in report["findings"]}


def test_finds_exactly_the_expected_uses_with_days_left_on_a_fixed_clock(any_world: dict[str, Any]) -> None:
    world = any_world
    result = audit(world, "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert _rows(report) == EXPECTED
    assert report["today"] == "2026-08-25" and report["fail_within_days"] == 30 and report["failing"] == 13
    assert report["data_as_of"] == "2026-08-24T06:00:00Z"
    sora = next(f for f in report["findings"] if f["location"] == "app/video.py:4")
    assert sora["replacement"] == "---" and sora["status"] == "deprecated" and sora["column"] == 10
    assert sora["shutdown_source"] == "openai-deprecations"
    # The catalog that disagrees is noted; the countdown stays the provider's.
    assert sora["notes"] == "example-catalog says openai/sora-2 shuts down 2026-10-01; openai says 2026-09-24"
    azure = next(f for f in report["findings"] if f["written"] == "azure/sora-2")
    assert azure["notes"] == "openai's own API shuts it down 2026-09-24"
    image = next(f for f in report["findings"] if f["written"] == "gpt-image-0")
    assert image["notes"] == "example-catalog says it shuts down 2026-12-01; openai has announced no date"
    assert "1 failing" not in result.stderr and "13 failing the gate" in result.stderr


def test_all_adds_known_models_with_no_announced_end(world: dict[str, Any]) -> None:
    report = json.loads(audit(world, "--format", "json", "--all").stdout)
    extra = _rows(report) - EXPECTED
    assert extra == {("config/settings.yaml:6", "gpt-4o-mini", "openai/gpt-4o-mini", "note", None, None)}


def test_sarif_validates_against_the_2_1_0_schema(any_world: dict[str, Any], tmp_path: Path) -> None:
    world = any_world
    baseline = tmp_path / "baseline.json"
    assert audit(world, "--write-baseline", str(baseline), "docs").returncode == 0
    out = tmp_path / "audit.sarif"
    result = audit(world, "--format", "sarif", "--output", str(out), "--baseline", str(baseline))
    assert result.returncode == 1 and result.stdout == ""
    log = json.loads(out.read_text(encoding="utf-8"))
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    run = log["runs"][0]
    results = run["results"]
    assert len(results) == len(EXPECTED)
    by_place = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                 r["locations"][0]["physicalLocation"]["region"]["startLine"], r["properties"]["written"]): r
                for r in results}
    sora = by_place[("app/video.py", 4, "sora-2")]
    assert sora["level"] == "error" and sora["ruleId"] == "model-shutdown-due"
    assert sora["locations"][0]["physicalLocation"]["region"] == {"startLine": 4, "startColumn": 10, "endColumn": 16}
    assert "30 days left" in sora["message"]["text"] and "no replacement" in sora["message"]["text"]
    assert run["tool"]["driver"]["rules"][sora["ruleIndex"]]["id"] == sora["ruleId"]
    assert by_place[("config/settings.yaml", 4, "azure/sora-2")]["level"] == "warning"
    suppressed = {k for k, r in by_place.items() if r.get("suppressions")}
    assert suppressed == {("docs/notes.md", 3, "gpt-4-32k"), ("docs/notes.md", 4, "sora-2-pro-2025-10-06")}
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == world["repo"].resolve().as_uri() + "/"
    # One fingerprint per finding, and the same one on every run.
    fingerprints = [r["partialFingerprints"]["watcherAuditFinding/v1"] for r in results]
    assert len(set(fingerprints)) == len(results)
    again = json.loads(audit(world, "--format", "json").stdout)
    assert sorted(f["fingerprint"] for f in again["findings"]) == sorted(fingerprints)


def test_a_sarif_log_breaking_the_schema_is_caught() -> None:
    """The schema test can fail: a result without a message is not SARIF."""
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "r"}]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate(bad)


def test_exit_codes_clean_within_window_and_usage_errors(world: dict[str, Any], tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "app.py").write_text('MODEL = "gpt-4o-mini"  # no announced end\n', encoding="utf-8")
    result = audit(world, "--format", "json", str(clean))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["findings"] == []

    # config/ holds sora-2 snapshots 30 days from shutdown: inside a 30-day window, outside a 29-day one.
    assert audit(world, "--format", "json", "--fail-within", "30d", "config").returncode == 1
    outside = audit(world, "--format", "json", "--fail-within", "29d", "config")
    assert outside.returncode == 0, outside.stderr
    assert {f["level"] for f in json.loads(outside.stdout)["findings"]} == {"warning"}
    # Severity is configurable: warnings fail too when asked.
    assert audit(world, "--format", "json", "--fail-within", "29d", "--fail-on", "warning", "config").returncode == 1

    for args, words in (
        (["--fail-within", "soon"], "not a duration"),
        (["--today", "25/08/2026"], "expected YYYY-MM-DD"),
        (["--fail-on", "fatal"], "--fail-on"),
        (["--format", "xml"], "--format"),
        (["no-such-dir"], "no-such-dir"),
        (["--baseline", str(tmp_path / "missing.json")], "no such baseline file"),
    ):
        result = audit(world, *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert words in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_config_sets_the_window_and_the_level(world: dict[str, Any], tmp_path: Path) -> None:
    world["config"] = write_config(tmp_path / "strict.toml", fail_within="29d", fail_on="warning")
    assert audit(world, "config").returncode == 1  # warnings fail
    world["config"] = write_config(tmp_path / "lenient.toml", fail_within="29d")
    assert audit(world, "config").returncode == 0
    world["config"] = write_config(tmp_path / "bad.toml", fail_on="fatal")
    result = audit(world, "config")
    assert result.returncode == 2 and "audit.fail_on: 'fatal' is not one of error, warning, note" in result.stderr


def test_baseline_accepts_known_findings_until_the_date_moves_earlier(world: dict[str, Any], tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    written = audit(world, "--write-baseline", str(baseline))
    assert written.returncode == 0 and "16 findings accepted" in written.stderr
    accepted = audit(world, "--format", "json", "--baseline", str(baseline))
    assert accepted.returncode == 0, accepted.stderr
    assert all(f["baselined"] for f in json.loads(accepted.stdout)["findings"])

    # Accepted when sora-2 was due later: the provider moving it earlier is news again.
    document = json.loads(baseline.read_text(encoding="utf-8"))
    for entry in document["accepted"]:
        if entry["model"] == "openai/sora-2":
            entry["shutdown_on"] = "2026-12-31"
    baseline.write_text(json.dumps(document), encoding="utf-8")
    moved = audit(world, "--format", "json", "--baseline", str(baseline))
    assert moved.returncode == 1
    news = {f["location"] for f in json.loads(moved.stdout)["findings"] if not f["baselined"]}
    assert news == {".env.example:2", "app/video.py:4"}

    # A new use of a doomed model is not covered by the baseline.
    assert audit(world, "--write-baseline", str(baseline)).returncode == 0
    (world["repo"] / "app" / "more.py").write_text('FALLBACK = "sora-2-pro"\n', encoding="utf-8")
    fresh = audit(world, "--format", "json", "--baseline", str(baseline))
    assert fresh.returncode == 1
    assert {f["location"] for f in json.loads(fresh.stdout)["findings"] if not f["baselined"]} == {"app/more.py:1"}

    baseline.write_text("{not json", encoding="utf-8")
    broken = audit(world, "--baseline", str(baseline))
    assert broken.returncode == 2 and "not a baseline" in broken.stderr


def test_an_empty_database_is_an_error_not_a_clean_pass(tmp_path: Path, sqlite_url: str) -> None:
    repo = make_repo(tmp_path / "repo")
    result = run_watcher(["--db", sqlite_url, "audit"], cwd=repo)
    assert result.returncode == 2 and "no observations yet" in result.stderr


def test_unlisted_product_is_said_on_stderr(world: dict[str, Any], tmp_path: Path) -> None:
    config = tmp_path / "products.toml"
    config.write_text('[audit.patterns]\n"Widgets API" = ["widgets.create"]\n', encoding="utf-8")
    world["config"] = config
    result = audit(world, "--format", "json", "web")
    assert result.returncode == 0
    assert "audit.patterns: no source lists 'Widgets API'" in result.stderr
    assert json.loads(result.stdout)["findings"] == []  # without the Videos API patterns: nothing in web/


def test_the_shipped_pre_commit_hook_runs_on_the_files_being_committed(world: dict[str, Any]) -> None:
    import shlex

    import yaml

    root = Path(__file__).resolve().parent.parent
    (hook,) = yaml.safe_load((root / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    program, command, *options = shlex.split(hook["entry"])
    assert (program, command, hook["language"]) == ("watcher", "audit", "python")
    # pre-commit appends the staged file names to the entry.
    staged = ["config/settings.yaml", "web/webhooks.ts"]
    run = run_watcher(["--config", str(world["config"]), "--db", world["db"], command, *options, "--today",
                       TODAY.isoformat(), *staged], cwd=world["repo"])
    assert run.returncode == 1 and "sora-2-2025-10-06" in run.stdout and "video.completed" in run.stdout
    clean = run_watcher(["--config", str(world["config"]), "--db", world["db"], command, *options, "--today",
                         TODAY.isoformat(), "app/generated_client.py"], cwd=world["repo"])
    assert clean.returncode == 1  # named explicitly, an ignored file is still checked


def test_the_documented_config_is_valid() -> None:
    import re
    import tomllib

    from watcher.config import parse

    docs = (Path(__file__).resolve().parent.parent / "docs" / "audit.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```toml\n(.*?)```", docs, re.DOTALL) if "[audit]" in b)
    settings = parse(tomllib.loads(block), path=None).audit
    assert settings.patterns["Videos API"][0] == "/videos" and settings.fail_on == "error"
