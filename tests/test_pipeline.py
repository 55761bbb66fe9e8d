"""The pipeline on a real database (SQLite file and PostgreSQL): baseline, changes,
unchanged short-circuit, guard refusals, debounced delisting, source health."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from typing import cast

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from sources.base import BuiltinSource
from watcher.config import SourceSettings
from watcher.model import Document, Observation, ParseError, PriceKey, Status
from watcher.money import to_decimal
from watcher.poll.pipeline import OutOfOrderError, Poller
from watcher.store import polls
from watcher.store.engine import make_engine, read_session
from watcher.store.migrate import ensure_schema
from watcher.store.tables import ChangeRecord, DocumentBlob, ObservationVersion, Run

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _parse(doc: Document) -> list[Observation]:
    try:
        rows = json.loads(doc.body)
    except ValueError as exc:
        raise ParseError("not JSON") from exc
    return [
        Observation(
            key=row["id"], provider="openai", model=row["id"],
            status=Status(row["status"]) if row.get("status") else None,
            shutdown_on=dt.date.fromisoformat(row["shutdown"]) if row.get("shutdown") else None,
            prices={PriceKey("input"): cast(Decimal, to_decimal(row["price"]))} if "price" in row else {},
        )
        for row in rows
    ]


SOURCE = BuiltinSource(name="toy", urls=("http://127.0.0.1/toy",), parser_version="1", parse_fn=_parse)
SETTINGS = SourceSettings(name="toy", delist_after=2)


def doc(rows: list[dict[str, str]], at: dt.datetime) -> Document:
    return Document(source="toy", url="http://127.0.0.1/toy", body=json.dumps(rows).encode(), fetched_at=at)


@pytest.fixture
def poller(db_url: str) -> Poller:
    engine = make_engine(db_url)
    ensure_schema(engine)
    return Poller(engine=engine)


def count(poller: Poller, table: type) -> int:
    with read_session(poller.engine) as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


ROWS = [{"id": "sora-2", "status": "active", "price": "0.10"}, {"id": "gpt-4o", "status": "active", "price": "2.50"},
        {"id": "o1", "status": "active", "price": "15"}]


def test_first_poll_is_a_silent_baseline(poller: Poller) -> None:
    result = poller.record_document(SOURCE, SETTINGS, doc(ROWS, T0))
    assert result.outcome == "baseline" and result.rows == 3 and result.changes == ()
    assert count(poller, ObservationVersion) == 3
    assert count(poller, DocumentBlob) == 1


def test_field_changes_carry_old_and_new(poller: Poller) -> None:
    poller.record_document(SOURCE, SETTINGS, doc(ROWS, T0))
    changed = [dict(ROWS[0], status="deprecated", shutdown="2026-09-24"), ROWS[1], dict(ROWS[2], price="12.5")]
    result = poller.record_document(SOURCE, SETTINGS, doc(changed, T0 + dt.timedelta(hours=1)))
    found = {(c.model, c.kind, c.old, c.new) for c in result.changes}
    assert found == {
        ("sora-2", "status", "active", "deprecated"),
        ("sora-2", "shutdown_date", None, "2026-09-24"),
        ("o1", "price", "15", "12.5"),
    }
    assert all(c.detected_at == T0 + dt.timedelta(hours=1) for c in result.changes)
    with read_session(poller.engine) as session:
        versions = session.exec(select(ObservationVersion).where(ObservationVersion.key == "sora-2")
                                .order_by(col(ObservationVersion.valid_from))).all()
    assert [(v.status, v.valid_to) for v in versions] == [
        ("active", T0 + dt.timedelta(hours=1)), ("deprecated", None)]


def test_unchanged_body_records_only_a_run(poller: Poller) -> None:
    poller.record_document(SOURCE, SETTINGS, doc(ROWS, T0))
    before = (count(poller, ObservationVersion), count(poller, DocumentBlob), count(poller, ChangeRecord))
    result = poller.record_document(SOURCE, SETTINGS, doc(ROWS, T0 + dt.timedelta(hours=1)))
    assert result.outcome == "unchanged"
    assert (count(poller, ObservationVersion), count(poller, DocumentBlob), count(poller, ChangeRecord)) == before
    assert count(poller, Run) == 2


def test_an_unchanged_body_or_a_304_reads_no_versions_and_parses_nothing(
        poller: Poller, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13: a body the source last believed, with no absence pending, changes nothing,
    so the source's current versions are not read (and no earlier body is parsed again)."""
    parses: list[Document] = []

    def counted_parse(document: Document) -> list[Observation]:
        parses.append(document)
        return _parse(document)

    # A source with partial renderings: a parsed body is judged beside its rendering's earlier parse.
    source = dataclasses.replace(SOURCE, parse_fn=counted_parse, partial_renderings=True)
    poller.record_document(source, SETTINGS, doc(ROWS, T0))
    reads: list[str] = []
    real = polls.current_versions

    def counted_read(session: Session, name: str) -> dict[str, Observation]:
        reads.append(name)
        return real(session, name)

    monkeypatch.setattr(polls, "current_versions", counted_read)
    parses.clear()
    same = poller.record_document(source, SETTINGS, doc(ROWS, T0 + dt.timedelta(hours=1)))
    not_modified = poller.record_not_modified(source, SETTINGS, url="http://127.0.0.1/toy",
                                              at=T0 + dt.timedelta(hours=2))
    assert (same.outcome, not_modified.outcome, reads, parses) == ("unchanged", "not_modified", [], [])
    # A changed body still reads them, and diffs against them.
    changed = poller.record_document(source, SETTINGS, doc([dict(ROWS[0], price="0.20"), *ROWS[1:]],
                                                           T0 + dt.timedelta(hours=3)))
    assert reads == ["toy"] and len(parses) == 2  # the new body, and the rendering's earlier one
    assert [(c.model, c.old, c.new) for c in changed.changes] == [("sora-2", "0.1", "0.2")]


def test_an_earlier_rendering_that_cannot_be_read_back_does_not_fail_the_poll(poller: Poller) -> None:
    source = dataclasses.replace(SOURCE, partial_renderings=True)
    poller.record_document(source, SETTINGS, doc(ROWS, T0))
    second = doc([dict(ROWS[0], price="0.20"), *ROWS[1:]], T0 + dt.timedelta(hours=1))
    poller.record_document(source, SETTINGS, second)
    with Session(poller.engine) as session:  # the first body's row deleted by hand: the second's base
        blob = session.get(DocumentBlob, polls.content_hash(second.body))
        assert blob is not None and blob.compression == "zstd-delta" and blob.base is not None
        session.delete(session.get(DocumentBlob, blob.base))
        session.commit()

    third = poller.record_document(source, SETTINGS, doc([dict(ROWS[0], price="0.30"), *ROWS[1:]],
                                                         T0 + dt.timedelta(hours=2)))
    assert third.outcome == "changed" and [(c.old, c.new) for c in third.changes] == [("0.2", "0.3")]


def test_reordered_rows_are_no_change(poller: Poller) -> None:
    poller.record_document(SOURCE, SETTINGS, doc(ROWS, T0))
    result = poller.record_document(SOURCE, SETTINGS, doc(list(reversed(ROWS)), T0 + dt.timedelta(hours=1)))
    assert result.outcome == "unchanged" and result.changes == ()
    assert count(poller, ObservationVersion) == 3


def test_delisting_needs_consecutive_misses_and_a_return_resets(poller: Poller) -> None:
    poller.record_document(SOURCE, SETTINGS, doc(ROWS, T0))
    without_o1 = ROWS[:2]
    first = poller.record_document(SOURCE, SETTINGS, doc(without_o1, T0 + dt.timedelta(hours=1)))
    assert first.changes == ()  # one miss: not believed yet
    back = poller.record_document(SOURCE, SETTINGS, doc(ROWS, T0 + dt.timedelta(hours=2)))
    assert back.changes == ()  # it came back: the flap cost nothing
    poller.record_document(SOURCE, SETTINGS, doc(without_o1, T0 + dt.timedelta(hours=3)))
    # The same body again: no parse, but the pending absence ages and is now believed.
    second = poller.record_document(SOURCE, SETTINGS, doc(without_o1, T0 + dt.timedelta(hours=4)))
    assert second.outcome == "changed"  # a run that delists records a change (issue 12)
    assert [(c.model, c.kind) for c in second.changes] == [("o1", "delisted")]
    with read_session(poller.engine) as session:
        assert "o1" not in polls.current_versions(session, "toy")


def test_guard_refuses_empty_and_shrunken_parses_without_touching_history(poller: Poller) -> None:
    poller.record_document(SOURCE, SETTINGS, doc(ROWS, T0))
    empty = poller.record_document(SOURCE, SETTINGS, doc([], T0 + dt.timedelta(hours=1)))
    assert empty.outcome == "refused" and "no rows" in (empty.error or "")
    assert [c.kind for c in empty.changes] == ["source_health"]
    shrunk = poller.record_document(SOURCE, SETTINGS, doc(ROWS[:1], T0 + dt.timedelta(hours=2)))
    assert shrunk.outcome == "refused" and shrunk.changes == ()  # one alert per streak
    broken = poller.record_document(SOURCE, SETTINGS, Document("toy", "u", b"<html>oops", T0 + dt.timedelta(hours=3)))
    assert broken.outcome == "refused" and "not JSON" in (broken.error or "")
    assert count(poller, ObservationVersion) == 3
    assert count(poller, DocumentBlob) == 4  # the evidence is kept
    recovered = poller.record_document(SOURCE, SETTINGS, doc(ROWS, T0 + dt.timedelta(hours=4)))
    assert [(c.kind, c.old, c.new) for c in recovered.changes] == [("source_health", "failing", "ok")]
    with read_session(poller.engine) as session:
        kinds = session.exec(select(ChangeRecord.kind)).all()
    assert "delisted" not in kinds


DATED = [dict(row, shutdown=f"2026-09-2{i}") for i, row in enumerate(ROWS)]


def test_guard_refuses_a_parse_where_a_fact_vanishes_from_most_rows(poller: Poller) -> None:
    """A renamed column or moved field: every row still there, each silently losing one fact."""
    poller.record_document(SOURCE, SETTINGS, doc(DATED, T0))
    undated = [{k: v for k, v in row.items() if k != "shutdown"} for row in DATED]
    layout = poller.record_document(SOURCE, SETTINGS, doc(undated, T0 + dt.timedelta(hours=1)))
    assert layout.outcome == "refused" and "shutdown date of 3 of the 3 rows" in (layout.error or "")
    assert [c.kind for c in layout.changes] == ["source_health"]
    unpriced = [{k: v for k, v in row.items() if k != "price"} for row in DATED]
    assert poller.record_document(SOURCE, SETTINGS, doc(unpriced, T0 + dt.timedelta(hours=2))).outcome == "refused"
    with read_session(poller.engine) as session:
        current = polls.current_versions(session, "toy")
        kinds = session.exec(select(ChangeRecord.kind)).all()
    assert all(obs.shutdown_on is not None and obs.prices for obs in current.values())
    assert set(kinds) == {"source_health"}
    # One row losing its date is an edit, believed at once.
    edited = [DATED[0], DATED[1], undated[2]]
    result = poller.record_document(SOURCE, SETTINGS, doc(edited, T0 + dt.timedelta(hours=3)))
    assert result.outcome == "changed"
    assert {(c.model, c.kind, c.new) for c in result.changes} >= {("o1", "shutdown_date", None)}


def test_failures_alert_once_after_threshold_and_once_on_recovery(poller: Poller) -> None:
    poller.record_document(SOURCE, SETTINGS, doc(ROWS, T0))
    results = [poller.record_failure(SOURCE, SETTINGS, error="HTTP 503", url="u", http_status=503,
                                     at=T0 + dt.timedelta(hours=i)) for i in range(1, 6)]
    assert [len(r.changes) for r in results] == [0, 0, 1, 0, 0]
    assert results[2].changes[0].new == "failing: HTTP 503"
    ok = poller.record_document(SOURCE, SETTINGS, doc(ROWS, T0 + dt.timedelta(hours=7)))
    assert [(c.kind, c.new) for c in ok.changes] == [("source_health", "ok")]
    assert count(poller, ObservationVersion) == 3


def test_archives_must_be_ingested_oldest_first(poller: Poller) -> None:
    poller.record_document(SOURCE, SETTINGS, doc(ROWS, T0), check_order=True)
    with pytest.raises(OutOfOrderError, match="older than the recorded history"):
        poller.record_document(SOURCE, SETTINGS, doc(ROWS[:2], T0 - dt.timedelta(days=1)), check_order=True)


def test_two_pollers_of_one_source_never_collide(poller: Poller) -> None:
    # A manual `watcher poll` beside the daemon: the second waits for the first and
    # then finds the body already recorded, instead of both writing a current version.
    import threading
    import time

    def slow_commit(*_: object) -> None:
        time.sleep(0.3)  # both have read the current versions; the first holds its writes open

    racing = dataclasses.replace(poller, hooks=(slow_commit,))
    poller.record_document(SOURCE, SETTINGS, doc(ROWS, T0))
    changed = doc([dict(ROWS[0], status="deprecated"), *ROWS[1:]], T0 + dt.timedelta(hours=1))
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            outcomes.append(racing.record_document(SOURCE, SETTINGS, changed).outcome)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(outcomes) == ["changed", "unchanged"]
    with read_session(poller.engine) as session:
        kinds = session.exec(select(ChangeRecord.kind)).all()
    assert kinds == ["status"]
