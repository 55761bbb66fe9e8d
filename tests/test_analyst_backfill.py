"""Backfill: `watcher ingest SOURCE DIR` places captures in time by their names or a
manifest, records them oldest first with progress, skips what is already
recorded, and merges archives older than the recorded history as if the watcher
had been running then."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from tests.support import FIXTURES, run_watcher
from watcher.app import App
from watcher.config import parse
from watcher.poll.captures import CaptureError, discover, time_from_name
from watcher.store.engine import read_session
from watcher.store.tables import ChangeRecord, ObservationVersion, Run

UTC = dt.UTC
CAPTURES = FIXTURES / "openai_deprecations"
# Three real captures of OpenAI's page: 76 rows, then 136, then the same facts as HTML.
A = ("deprecations-2025-11-13.html", "2025-11-13.html", dt.datetime(2025, 11, 13, tzinfo=UTC))
B = ("deprecations-2026-06-27.md", "2026-06-27T04:35:00Z.md", dt.datetime(2026, 6, 27, 4, 35, tzinfo=UTC))
C = ("deprecations-2026-site.html", "2026-07-01T00-00-00Z.html", dt.datetime(2026, 7, 1, tzinfo=UTC))


@pytest.mark.parametrize(("name", "expected"), [
    ("2026-03-27T04:35:00Z.md", dt.datetime(2026, 3, 27, 4, 35, tzinfo=UTC)),
    ("2026-03-27T04-35-00Z.html", dt.datetime(2026, 3, 27, 4, 35, tzinfo=UTC)),
    ("2026-03-27.md", dt.datetime(2026, 3, 27, tzinfo=UTC)),
    ("deprecations-2026-03-27T04:35:07.250Z.md", dt.datetime(2026, 3, 27, 4, 35, 7, 250000, tzinfo=UTC)),
    ("2026-03-27T06:35:00+02:00.json", dt.datetime(2026, 3, 27, 4, 35, tzinfo=UTC)),
    ("2026-03-27T0435Z.md", dt.datetime(2026, 3, 27, 4, 35, tzinfo=UTC)),
    ("notes.md", None),
    ("2026-13-45.md", None),
])
def test_capture_times_come_from_file_names(name: str, expected: dt.datetime | None) -> None:
    assert time_from_name(name) == expected


def _dir(tmp_path: Path, *captures: tuple[str, str, dt.datetime]) -> Path:
    folder = tmp_path / "captures"
    folder.mkdir(exist_ok=True)
    for fixture, name, _ in captures:
        shutil.copy(CAPTURES / fixture, folder / name)
    return folder


def test_a_directory_is_ordered_by_time_and_a_manifest_wins(tmp_path: Path) -> None:
    folder = _dir(tmp_path, C, A, B)
    assert [(c.path.name, c.observed_at) for c in discover(folder)] == [(n, t) for _, n, t in (A, B, C)]
    (folder / "manifest.csv").write_text("file,observed_at\n2025-11-13.html,2025-11-14T10:00:00Z\n", encoding="utf-8")
    assert [(c.path.name, c.observed_at) for c in discover(folder)] == [
        ("2025-11-13.html", dt.datetime(2025, 11, 14, 10, tzinfo=UTC))]
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps([{"file": "captures/2026-07-01T00-00-00Z.html", "observed_at": "2026-07-02"},
                                    {"file": "captures/2025-11-13.html", "observed_at": "2025-11-13"}]), encoding="utf-8")
    assert [c.observed_at.day for c in discover(manifest)] == [13, 2]


def test_unplaceable_captures_are_refused_by_name(tmp_path: Path) -> None:
    folder = _dir(tmp_path, A)
    (folder / "latest.html").write_text("x", encoding="utf-8")
    with pytest.raises(CaptureError, match="latest.html"):
        discover(folder)
    (folder / "latest.html").unlink()
    (folder / "2025-11-13T00:00:00Z.md").write_text("x", encoding="utf-8")
    with pytest.raises(CaptureError, match="both taken"):
        discover(folder)


def test_ingest_a_directory_oldest_first_with_progress_then_skip_on_rerun(db_url: str, tmp_path: Path) -> None:
    folder = _dir(tmp_path, A, B, C)
    done = run_watcher(["--db", db_url, "ingest", "openai-deprecations", str(folder), "--format", "json"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["observed_at"], r["outcome"], r["how"]) for r in rows] == [
        ("2025-11-13T00:00:00Z", "baseline", "ingested"), ("2026-06-27T04:35:00Z", "changed", "ingested"),
        ("2026-07-01T00:00:00Z", "unchanged", "ingested")]
    assert "[1/3]" in done.stderr and "[3/3]" in done.stderr
    again = run_watcher(["--db", db_url, "ingest", "openai-deprecations", str(folder), "--format", "json"], cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert {r["outcome"] for r in json.loads(again.stdout)} == {"skipped"}


def test_a_single_file_needs_its_time_and_a_directory_must_not_get_one(sqlite_url: str, tmp_path: Path) -> None:
    folder = _dir(tmp_path, A)
    single = run_watcher(["--db", sqlite_url, "ingest", "openai-deprecations", str(folder / A[1])], cwd=tmp_path)
    assert single.returncode == 2 and "--observed-at is required" in single.stderr
    both = run_watcher(["--db", sqlite_url, "ingest", "openai-deprecations", str(folder), "--observed-at", "2026-01-01"],
                       cwd=tmp_path)
    assert both.returncode == 2 and "carry their own times" in both.stderr


def _history(app: App) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    v, c = ObservationVersion, ChangeRecord
    with read_session(app.engine) as session:
        versions = session.exec(select(v.key, v.status, v.shutdown_on, v.replacement, v.valid_from, v.valid_to)  # type: ignore[call-overload]
                                .order_by(v.key, v.valid_from)).all()
        changes = session.exec(select(c.key, c.kind, c.field, c.old, c.new, c.detected_at)  # type: ignore[call-overload]
                               .where(c.kind != "source_health").order_by(c.detected_at, c.key, c.kind, c.field)).all()
    return [tuple(r) for r in versions], [tuple(r) for r in changes]


def test_archives_older_than_the_history_are_merged_as_if_watched_then(db_url: str, tmp_path: Path) -> None:
    settings = parse({}, path=None)
    reference = App.create(settings, f"sqlite:///{tmp_path / 'reference.db'}")
    for fixture, _, at in (A, B, C):
        reference.ingest("openai-deprecations", CAPTURES / fixture, at)

    live = App.create(settings, db_url)
    live.ingest("openai-deprecations", CAPTURES / C[0], C[2])  # installed in July: its baseline
    lines: list[str] = []
    from watcher.app.backfill import backfill

    rows = backfill(live, "openai-deprecations", discover(_dir(tmp_path, A, B, C)), progress=lines.append)
    assert [(r["outcome"], r["how"]) for r in rows] == [
        ("baseline", "merged"), ("changed", "merged"), ("skipped", "already recorded")]
    assert any("older than its history" in line for line in lines)
    assert _history(live) == _history(reference)
    with read_session(live.engine) as session:
        runs = session.exec(select(Run.observed_at, Run.outcome).order_by(col(Run.observed_at))).all()
    assert [o for _, o in runs] == ["baseline", "changed", "unchanged"]


def test_a_backfill_records_changes_and_queues_no_delivery(db_url: str, tmp_path: Path) -> None:
    """Both paths: captures older than the history (merged) and newer ones (ingested), with a channel on."""
    from watcher.app import read_capture
    from watcher.app.backfill import backfill
    from watcher.store.tables import Delivery

    settings = parse({"channels": {"hook": {"url": "json://127.0.0.1:9/hook"}}}, path=None, environ={})
    app = App.create(settings, db_url)
    name = "openai-deprecations"
    app.poller.record_document(app.source(name), app.source_settings(name), read_capture(name, CAPTURES / B[0], B[2]))
    later = ("deprecations-2025-11-13.html", "2026-07-02T00:00:00Z.html", dt.datetime(2026, 7, 2, tzinfo=UTC))
    rows = backfill(app, name, discover(_dir(tmp_path, A, later)), progress=lambda _: None)
    assert [(r["how"], r["changes"] > 0) for r in rows] == [("merged", False), ("ingested", True)]
    with read_session(app.engine) as session:
        changes = session.exec(select(ChangeRecord.kind).where(ChangeRecord.detected_at > B[2])).all()
        queued = session.exec(select(Delivery)).all()
    assert changes and queued == []


def test_a_single_file_older_than_the_history_is_merged_like_a_directorys(sqlite_url: str, tmp_path: Path) -> None:
    folder = _dir(tmp_path, A, B)
    newer = run_watcher(["--db", sqlite_url, "ingest", "openai-deprecations", str(folder / B[1]),
                         "--observed-at", B[2].isoformat()], cwd=tmp_path)
    assert newer.returncode == 0, newer.stderr
    older = run_watcher(["--db", sqlite_url, "ingest", "openai-deprecations", str(folder / A[1]),
                         "--observed-at", A[2].isoformat(), "--format", "json"], cwd=tmp_path)
    assert older.returncode == 0, older.stderr
    assert [(r["outcome"], r["how"]) for r in json.loads(older.stdout)] == [("baseline", "merged")]
    assert "older than its history" in older.stderr
