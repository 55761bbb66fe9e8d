"""A source whose URLs render different subsets (OpenAI pricing's `.md` twin and HTML)
is compared like with like: falling back to the fuller rendering and back is no news."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import col, select

from sources.openai_pricing import SOURCE as PRICING
from watcher.config import SourceSettings
from watcher.model import Document, PriceKey, PriceUnit
from watcher.poll.pipeline import Poller
from watcher.poll.replay import reparse
from watcher.severity import SeverityPolicy
from watcher.store import polls
from watcher.store.engine import make_engine, read_session
from watcher.store.migrate import ensure_schema
from watcher.store.tables import ChangeRecord, Run

FIXTURES = Path(__file__).parent / "fixtures" / "openai_pricing"
MD_URL, HTML_URL = PRICING.urls
MD = (FIXTURES / "pricing-2026-06-27.md").read_bytes()
HTML = (FIXTURES / "pricing-page.html").read_bytes()
T0 = dt.datetime(2026, 6, 27, tzinfo=dt.UTC)
SETTINGS = SourceSettings(name="openai-pricing", delist_after=2)
SORA_VIDEO = PriceKey("video", PriceUnit.PER_SECOND, "standard", "720x1280")


def page(url: str, body: bytes, hours: int) -> Document:
    kind = "text/markdown" if url == MD_URL else "text/html"
    return Document(source="openai-pricing", url=url, body=body, fetched_at=T0 + dt.timedelta(hours=hours),
                    content_type=kind)


@pytest.fixture
def poller(db_url: str) -> Poller:
    engine = make_engine(db_url)
    ensure_schema(engine)
    return Poller(engine=engine)


def test_the_html_fallback_and_back_reports_nothing(poller: Poller) -> None:
    html_only = {"sora-2", "sora-2-pro", "gpt-image-1"}
    results = [poller.record_document(PRICING, SETTINGS, page(url, body, hour)) for hour, (url, body) in enumerate([
        (MD_URL, MD), (HTML_URL, HTML), (MD_URL, MD), (MD_URL, MD + b"\n"), (MD_URL, MD), (HTML_URL, HTML),
    ])]
    assert [r.outcome for r in results][:2] == ["baseline", "changed"]  # the HTML's extra rows are stored
    assert [c for r in results for c in r.changes] == []
    with read_session(poller.engine) as session:
        current = polls.current_versions(session, "openai-pricing")
    assert html_only <= current.keys()
    assert SORA_VIDEO in current["sora-2"].prices


def test_what_the_twin_stated_and_dropped_is_still_reported(poller: Poller) -> None:
    text = MD.decode()
    assert '["gpt-5-nano", 0.05, 0.005, 0.4],' in text
    dropped = text.replace('["gpt-5-nano", 0.05, 0.005, 0.4],', "").encode()
    poller.record_document(PRICING, SETTINGS, page(MD_URL, MD, 0))
    poller.record_document(PRICING, SETTINGS, page(HTML_URL, HTML, 1))
    result = poller.record_document(PRICING, SETTINGS, page(MD_URL, dropped, 2))
    # gpt-5-nano keeps its batch, flex and priority rows: only its standard prices went.
    assert {(c.model, c.kind) for c in result.changes} == {("gpt-5-nano", "price")}
    assert all(c.new is None and "/standard" in (c.field or "") for c in result.changes)
    assert len(result.changes) == 3


def test_reparse_compares_renderings_as_the_live_pipeline_does(poller: Poller) -> None:
    for hour, (url, body) in enumerate([(MD_URL, MD), (HTML_URL, HTML), (MD_URL, MD), (MD_URL, MD + b" ")]):
        poller.record_document(PRICING, SETTINGS, page(url, body, hour))
    source = dataclasses.replace(PRICING, parser_version="2")
    report = reparse(poller.engine, source, SETTINGS, SeverityPolicy())
    assert report.changes.after == 0 and report.versions.removed == 0
    with read_session(poller.engine) as session:
        assert session.exec(select(ChangeRecord)).all() == []


MARCH = "\n".join(line for line in MD.decode().splitlines()
                  if "gpt-5.5" not in line and '["gpt-5.4-mini", 1.5, 0.15, 9],' not in line).encode()
MARCH_AT, JUNE_AT = dt.datetime(2026, 3, 27, 4, 35, tzinfo=dt.UTC), dt.datetime(2026, 6, 27, 4, 35, tzinfo=dt.UTC)


def _changes(engine: object) -> list[tuple[object, ...]]:
    with read_session(engine) as session:  # type: ignore[arg-type]
        rows = session.exec(select(ChangeRecord.key, ChangeRecord.kind, ChangeRecord.field, ChangeRecord.old,  # type: ignore[call-overload]
                                   ChangeRecord.new, ChangeRecord.detected_at)
                            .where(ChangeRecord.kind != "source_health")).all()
    return sorted(tuple(r) for r in rows)


def test_a_directory_of_captures_records_what_polling_them_from_one_url_would(db_url: str, tmp_path: Path) -> None:
    """Issue 9 point 7: each capture's path is not a rendering of its own; its kind of document is."""
    from watcher.app import App
    from watcher.app.backfill import backfill
    from watcher.config import parse
    from watcher.poll.captures import discover

    folder = tmp_path / "captures"
    folder.mkdir()
    (folder / "2026-03-27T04:35:00Z.md").write_bytes(MARCH)
    (folder / "2026-06-27T04:35:00Z.md").write_bytes(MD)
    (folder / "2026-07-01T00-00-00Z.html").write_bytes(HTML)
    polled = Poller(engine=make_engine(f"sqlite:///{tmp_path / 'polled.db'}"))
    ensure_schema(polled.engine)
    for at, body, kind in ((MARCH_AT, MARCH, "text/markdown"), (JUNE_AT, MD, "text/markdown"),
                           (dt.datetime(2026, 7, 1, tzinfo=dt.UTC), HTML, "text/html")):
        polled.record_document(PRICING, SETTINGS, Document("openai-pricing", MD_URL, body, at, content_type=kind))
    expected = _changes(polled.engine)
    gained = {(key, kind) for key, kind, field, old, *_ in expected if old is None}
    assert {("gpt-5.5", "listed"), ("gpt-5.5-pro", "listed"), ("gpt-5.4-mini", "price")} <= gained

    app = App.create(parse({"sources": {"openai-pricing": {}}}, path=None, environ={}), db_url)
    rows = backfill(app, "openai-pricing", discover(folder), progress=lambda _: None)
    assert [r["outcome"] for r in rows] == ["baseline", "changed", "changed"]
    assert _changes(app.engine) == expected


def test_backfilling_older_captures_keeps_the_live_verdicts(db_url: str, tmp_path: Path) -> None:
    """Older captures merged under a live history never re-mark its believed and refused runs."""
    from watcher.app import App
    from watcher.app.backfill import backfill
    from watcher.config import parse
    from watcher.poll.captures import discover

    app = App.create(parse({"sources": {"openai-pricing": {}}}, path=None, environ={}), db_url)
    source, settings = app.source("openai-pricing"), app.source_settings("openai-pricing")
    # The page as the watcher first saw it live: most of its price rows gone from the March one.
    lines = MD.decode().splitlines()
    price_rows = [i for i, line in enumerate(lines) if line.lstrip().startswith('["')]
    small = "\n".join(line for i, line in enumerate(lines) if i not in price_rows[15:]).encode()
    live = [app.poller.record_document(source, settings, page(MD_URL, small, 24 * 30 * 4)),
            app.poller.record_document(source, settings, page(MD_URL, b"<html>error</html>", 24 * 30 * 4 + 1)),
            app.poller.record_document(source, settings, page(MD_URL, small + b"\n", 24 * 30 * 4 + 2))]
    assert [r.outcome for r in live] == ["baseline", "refused", "unchanged"]
    folder = tmp_path / "captures"
    folder.mkdir()
    (folder / "2026-03-27T04:35:00Z.md").write_bytes(MARCH)
    rows = backfill(app, "openai-pricing", discover(folder), progress=lambda _: None)
    assert [(r["outcome"], r["how"]) for r in rows] == [("baseline", "merged")]
    with read_session(app.engine) as session:
        outcomes = [o for o in session.exec(select(Run.outcome).where(Run.trigger == "poll").order_by(col(Run.observed_at)))]
        state = polls.source_state(session, "openai-pricing")
    # Judged afresh against the fuller March page, the first live poll would look like a collapse and be
    # refused, freezing the live source; it was believed live, so it stays believed: its losses are changes.
    assert outcomes == ["changed", "refused", "unchanged"]
    assert state.state == "ok"
    removed = [c for c in _changes(app.engine) if c[1] == "price" and c[4] is None]
    assert len(removed) > 50
