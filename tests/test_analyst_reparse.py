"""`watcher reparse`: after a parser fix, the rebuilt history equals the history the
fixed parser would have written live; nothing is queued for delivery; a dry run
or a failure mid-way changes nothing; pruned documents bound what can be rebuilt."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, text
from sqlmodel import Session, col, select

from tests.analyst_support import catalog_source, churn, parse_catalog, record
from watcher.config import SourceSettings
from watcher.model import Document, Observation, ParseError
from watcher.poll.pipeline import Poller
from watcher.poll.replay import DERIVED_KINDS, ReplayError, reparse
from watcher.severity import SeverityPolicy
from watcher.store import documents
from watcher.store.engine import make_engine, read_session, write_session
from watcher.store.migrate import ensure_schema
from watcher.store.tables import ChangeRecord, Delivery, DocumentBlob, ObservationVersion, Run

SETTINGS = SourceSettings(name="toy-catalog", delist_after=2)
SNAPSHOTS = list(churn(seed=11, models=12, polls=60))


def buggy_parse(doc: Document) -> list[Observation]:
    """Version 1: drops every second row's shutdown date, and chokes on replacements naming two ids."""
    if b"gpt-5, gpt-5-mini" in doc.body:
        raise ParseError("cannot read replacement list")
    return [obs if index % 2 else _without_shutdown(obs) for index, obs in enumerate(parse_catalog(doc))]


def _without_shutdown(obs: Observation) -> Observation:
    import dataclasses

    return dataclasses.replace(obs, shutdown_on=None)


BUGGY = catalog_source("toy-catalog", buggy_parse, version="1")
FIXED = catalog_source("toy-catalog", parse_catalog, version="2")


def _queue_every_change(session: Session, run: Run, records: Sequence[ChangeRecord], _: Any) -> None:
    """Stands in for the alerts hook: one outbox row per change, in the poll's transaction."""
    now = dt.datetime.now(dt.UTC)
    for record_ in records:
        session.add(Delivery(dedupe_key=f"change-{record_.id}", channel="test", kind="digest", severity="info",
                             title="t", body_text="t", body_markdown="t", body_html="t",
                             next_attempt_at=now, created_at=now))


def _engine(db_url: str) -> Engine:
    engine = make_engine(db_url)
    ensure_schema(engine)
    return engine


def _history(engine: Engine, source: Any, snapshots: Sequence[tuple[dt.datetime, list[dict[str, Any]]]]) -> None:
    poller = Poller(engine=engine, hooks=(_queue_every_change,))
    for at, rows in snapshots:
        record(poller, source, SETTINGS, rows, at)


def _derived(engine: Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Versions and derived changes, without ids: what must match between two histories."""
    v, c = ObservationVersion, ChangeRecord
    with read_session(engine) as session:
        versions = session.exec(select(v.key, v.status, v.shutdown_on, v.replacement, v.price_set, v.aliases,  # type: ignore[call-overload, misc]
                                       v.valid_from, v.valid_to).order_by(v.key, v.valid_from)).all()
        changes = session.exec(select(c.key, c.kind, c.field, c.old, c.new, c.severity, c.detected_at)  # type: ignore[call-overload]
                               .where(c.kind.in_(DERIVED_KINDS))  # type: ignore[attr-defined]
                               .order_by(c.detected_at, c.key, c.kind, c.field)).all()
    return [tuple(r) for r in versions], [tuple(r) for r in changes]


def _count(engine: Engine, table: type) -> int:
    with read_session(engine) as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


def test_reparse_rebuilds_what_the_fixed_parser_would_have_written_live(db_url: str, tmp_path: Any) -> None:
    live = _engine(db_url)
    _history(live, BUGGY, SNAPSHOTS)
    with read_session(live) as session:
        refused = session.exec(select(func.count()).select_from(Run).where(Run.outcome == "refused")).one()
    assert refused > 0, "the buggy parser must have refused some polls"

    reference = _engine(f"sqlite:///{tmp_path / 'reference.db'}")
    _history(reference, FIXED, SNAPSHOTS)
    assert _derived(live) != _derived(reference)

    outbox = _count(live, Delivery)
    report = reparse(live, FIXED, SETTINGS, SeverityPolicy())
    assert _derived(live) == _derived(reference)
    assert _count(live, Delivery) == outbox  # history, not news: nothing queued
    assert report.runs == len(SNAPSHOTS) and not report.partial and not report.dry_run
    assert report.changes.added > 0 and report.versions.after == _count(reference, ObservationVersion)
    with read_session(live) as session:
        runs = session.exec(select(Run).order_by(col(Run.id))).all()
        assert {r.parser_version for r in runs} == {"2"}
        assert not [r for r in runs if r.outcome == "refused"]
    assert report.outcomes_changed == refused

    # The next live poll of the same body is "unchanged": the rebuilt state is the current one.
    again = Poller(engine=live).record_document(FIXED, SETTINGS, Document(
        "toy-catalog", "u", json.dumps(SNAPSHOTS[-1][1]).encode(), SNAPSHOTS[-1][0] + dt.timedelta(hours=1)))
    assert again.outcome == "unchanged" and again.changes == ()


def test_a_dry_run_reports_and_changes_nothing(db_url: str) -> None:
    engine = _engine(db_url)
    _history(engine, BUGGY, SNAPSHOTS[:30])
    before = _derived(engine)
    report = reparse(engine, FIXED, SETTINGS, SeverityPolicy(), dry_run=True)
    assert report.dry_run and (report.versions.removed or report.versions.added)
    assert _derived(engine) == before
    rows = {r["measure"]: r for r in report.rows()}
    assert rows["versions"]["before"] == report.versions.before == rows["versions"]["after"] - report.versions.added + report.versions.removed


def test_a_failure_mid_way_leaves_the_history_as_it_was(db_url: str) -> None:
    engine = _engine(db_url)
    _history(engine, FIXED, SNAPSHOTS[:30])
    before = _derived(engine), _count(engine, Run)
    calls = []

    def breaks(doc: Document) -> list[Observation]:
        calls.append(doc)
        if len(calls) == 5:
            raise RuntimeError("parser bug")
        return parse_catalog(doc)

    with pytest.raises(RuntimeError):
        reparse(engine, catalog_source("toy-catalog", breaks, version="3"), SETTINGS, SeverityPolicy())
    assert (_derived(engine), _count(engine, Run)) == before


def test_pruned_documents_bound_the_rebuild_and_history_before_is_kept(db_url: str) -> None:
    engine = _engine(db_url)
    _history(engine, BUGGY, SNAPSHOTS)
    cut = SNAPSHOTS[30][0]
    v = ObservationVersion
    with write_session(engine) as session:  # retention pruned every body last seen before `cut`
        old = select(Run.content_hash).where(Run.observed_at < cut)
        recent = select(Run.content_hash).where(Run.observed_at >= cut)
        documents.delete_documents(session, session.exec(select(DocumentBlob.sha256).where(
            DocumentBlob.sha256.in_(old), DocumentBlob.sha256.not_in(recent))).all())  # type: ignore[attr-defined]
        versions_before = session.exec(select(v.key, v.valid_from, v.valid_to, v.shutdown_on)).all()  # type: ignore[type-var]
    report = reparse(engine, FIXED, SETTINGS, SeverityPolicy())
    start = report.replayed_from
    assert report.partial and start is not None and start <= cut
    with read_session(engine) as session:
        runs = session.exec(select(Run).order_by(col(Run.observed_at))).all()
        kept = set(session.exec(select(DocumentBlob.sha256)).all())
        versions_after = session.exec(select(v.key, v.valid_from, v.valid_to, v.shutdown_on)).all()  # type: ignore[type-var]
        current = session.exec(select(func.count()).select_from(v).where(v.valid_to.is_(None))).one()  # type: ignore[union-attr]
    # It starts right after the last run whose document is gone, and every later one was replayed.
    before = [r for r in runs if r.observed_at < start and r.content_hash]
    assert before and before[-1].content_hash not in kept
    assert all(r.content_hash in kept and r.parser_version == "2" for r in runs if r.observed_at >= start and r.content_hash)
    assert all(r.parser_version == "1" for r in before)
    # What ended before the start is history kept as it was.
    assert sorted(x for x in versions_after if x[2] is not None and x[2] < start) == \
        sorted(x for x in versions_before if x[2] is not None and x[2] < start)
    assert current == len({row["id"] for row in SNAPSHOTS[-1][1]})


def test_nothing_to_rebuild_when_no_document_is_kept(db_url: str) -> None:
    engine = _engine(db_url)
    _history(engine, FIXED, SNAPSHOTS[:5])
    with write_session(engine) as session:
        session.exec(delete(DocumentBlob))
    with pytest.raises(ReplayError, match="no raw documents"):
        reparse(engine, FIXED, SETTINGS, SeverityPolicy())


def test_reparse_on_the_command_line_reports_before_and_after(sqlite_url: str, tmp_path: Any) -> None:
    from sources.registry import builtin
    from tests.support import FIXTURES, run_watcher

    engine = _engine(sqlite_url)
    source = builtin("openai-deprecations")
    for name, day in (("deprecations-2025-11-13.html", 13), ("deprecations-2026-06-27.md", 27)):
        Poller(engine=engine).record_document(source, SourceSettings(name=source.name), Document(
            source.name, f"https://x/{name}", (FIXTURES / "openai_deprecations" / name).read_bytes(),
            dt.datetime(2026, 6, day, tzinfo=dt.UTC), content_type="text/markdown" if name.endswith(".md") else "text/html"))
    with engine.begin() as connection:  # as if an older parser had written it: stale versions
        connection.execute(text("UPDATE run SET parser_version = 'old'"))
        connection.execute(text("DELETE FROM change_record WHERE kind = 'listed' AND id % 2 = 0"))
    done = run_watcher(["--db", sqlite_url, "reparse", "openai-deprecations", "--format", "json"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {r["measure"]: r for r in json.loads(done.stdout)}
    assert rows["changes"]["added"] > 0 and rows["changes"]["removed"] == 0
    assert rows["versions"]["before"] == rows["versions"]["after"]
    assert "rebuilt 2 runs" in done.stderr


def test_a_history_polled_live_and_rebuilt_by_reparse_is_identical(db_url: str) -> None:
    """One poll step (issue 9 point 8): every outcome a live poll can record (baseline, changed,
    unchanged, not_modified, a delisting on an unchanged body, refusals, an accepted mass change)
    is what reparse rebuilds from the same bodies, run by run."""
    engine = _engine(db_url)
    poller = Poller(engine=engine)
    step = dt.timedelta(hours=1)
    snapshots = list(churn(seed=5, models=12, polls=40))
    at = snapshots[-1][0]
    for when, rows in snapshots:
        record(poller, FIXED, SETTINGS, rows, when)
        if when.hour % 7 == 3:
            poller.record_not_modified(FIXED, SETTINGS, url="u", at=when + step / 2)
        if when.hour % 11 == 5:
            record(poller, FIXED, SETTINGS, [], when + step / 3)  # an error page: refused
    last = snapshots[-1][1]
    # Every row loses its input price: refused, then a person accepts it.
    unpriced = [dict(row, input=None) for row in last]
    assert record(poller, FIXED, SETTINGS, unpriced, at + step) == "refused"
    assert poller.accept(FIXED, SETTINGS, at=at + 2 * step) is not None
    # A row missing twice, the second time on the same body: delisted by an unchanged body.
    assert record(poller, FIXED, SETTINGS, unpriced[1:], at + 3 * step) == "unchanged"  # one miss: pending
    assert record(poller, FIXED, SETTINGS, unpriced[1:], at + 4 * step) == "changed"  # believed: a change

    def outcomes() -> list[tuple[Any, ...]]:
        with read_session(engine) as session:
            return [tuple(r) for r in session.exec(select(Run.observed_at, Run.trigger, Run.outcome, Run.rows,  # type: ignore[call-overload]
                                                          Run.error).order_by(Run.observed_at, Run.id))]

    live, live_outcomes = _derived(engine), outcomes()
    assert {o[2] for o in live_outcomes} >= {"baseline", "changed", "unchanged", "not_modified", "refused"}
    report = reparse(engine, FIXED, SETTINGS, SeverityPolicy())
    assert report.outcomes_changed == 0
    assert _derived(engine) == live
    assert outcomes() == live_outcomes
