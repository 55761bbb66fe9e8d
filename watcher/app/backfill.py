"""Backfill: record a directory of archived captures, oldest first.

Captures newer than anything the source recorded go through the live pipeline
one by one, exactly like `watcher ingest FILE`. Captures *older* than the
source's recorded history (archives from before the day the watcher was
installed) cannot simply be appended to SCD-2 history: they are stored as runs
and the source's history is replayed from the oldest of them (see
`watcher.poll.replay`), in one transaction, so versions and changes read as if the
watcher had been running all along. A capture whose time is already recorded
is skipped, so an interrupted backfill can be run again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from watcher.app import App, read_capture, severity_policy
from watcher.poll.captures import Capture
from watcher.poll.replay import replay
from watcher.store import documents, polls, rebuild
from watcher.store.engine import read_session, write_session
from watcher.store.tables import Run
from watcher.store.values import iso_time

Progress = Callable[[str], None]


def backfill(app: App, name: str, captures: Sequence[Capture], *, progress: Progress) -> list[dict[str, Any]]:
    """Ingest `captures` (oldest first) into source `name`; one result row per capture."""
    source = app.source(name)  # fail on an unknown source before reading anything
    with read_session(app.engine) as session:
        recorded = rebuild.observation_times(session, name)
        latest = polls.latest_observed_at(session, name)
    rows: list[dict[str, Any]] = []
    fresh = [c for c in captures if c.observed_at not in recorded]
    for capture in captures:
        if capture.observed_at in recorded:
            rows.append(_row(capture, "skipped", None, None, "already recorded"))
    older = [c for c in fresh if latest is not None and c.observed_at < latest]
    newer = [c for c in fresh if latest is None or c.observed_at >= latest]
    total, done = len(fresh), 0
    if older:
        progress(f"{name}: {len(older)} captures are older than its history (latest run "
                 f"{iso_time(latest) if latest else '-'}): storing them and rebuilding its history")
        rows += _merge(app, name, older)
        done = len(older)
        progress(f"[{done}/{total}] merged {len(older)} older captures")
    for capture in newer:
        result = app.ingest(source.name, capture.path, capture.observed_at)
        done += 1
        progress(f"[{done}/{total}] {iso_time(capture.observed_at)} {capture.path.name}: {result.outcome}, "
                 f"{result.rows} rows, {len(result.changes)} changes")
        rows.append(_row(capture, result.outcome, result.rows, len(result.changes), "ingested"))
    return sorted(rows, key=lambda r: r["observed_at"])


def _merge(app: App, name: str, captures: Sequence[Capture]) -> list[dict[str, Any]]:
    """Store older captures as runs, then replay the source from the oldest: one transaction."""
    source = app.source(name)
    ids: list[tuple[Capture, int]] = []
    with write_session(app.engine) as session:
        for capture in captures:
            doc = read_capture(name, capture.path, capture.observed_at)
            digest = polls.content_hash(doc.body)
            documents.store_document(session, doc, digest, capture.observed_at)
            run = polls.add_run(session, Run(
                source=name, trigger="ingest", started_at=capture.observed_at, finished_at=capture.observed_at,
                observed_at=capture.observed_at, outcome="changed", url=doc.url, http_status=200,
                bytes=len(doc.body), content_hash=digest, parser_version=source.parser_version))
            assert run.id is not None
            ids.append((capture, run.id))
        replay(session, source, app.source_settings(name), severity_policy(app.settings),
               require_from=captures[0].observed_at, merged={run_id for _, run_id in ids})
        runs = rebuild.runs_by_id(session, [i for _, i in ids])
        return [_row(capture, runs[run_id].outcome, runs[run_id].rows, runs[run_id].changes, "merged")
                for capture, run_id in ids]


def _row(capture: Capture, outcome: str, rows: int | None, changes: int | None, how: str) -> dict[str, Any]:
    return {"observed_at": iso_time(capture.observed_at), "file": str(capture.path), "outcome": outcome,
            "rows": rows, "changes": changes, "how": how}
