"""A source whose URLs render different subsets (OpenAI pricing's `.md` twin and HTML)
is compared like with like: falling back to the fuller rendering and back is no news."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import select

from sources.openai_pricing import SOURCE as PRICING
from watcher.config import SourceSettings
from watcher.model import Document, PriceKey, PriceUnit
from watcher.pipeline import Poller
from watcher.replay import reparse
from watcher.severity import SeverityPolicy
from watcher.store import polls
from watcher.store.engine import make_engine, read_session
from watcher.store.migrate import ensure_schema
from watcher.store.tables import ChangeRecord

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
