"""A body cut short is never believed (issue 9, point 6).

The real 2026-06-27 Markdown served cut at 80% with a matching Content-Length
ended inside its last table row (``| 2024-01-04 | `text-davinci-001` | … | `g``):
that row was parsed as `replacement: gpt-3.5-turbo-instruct → g`, and the rows
after the cut were delisted two polls later. A cut body is an incomplete
document: the parse is refused as truncated, in either rendering, and nothing
is recorded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest

from sources.openai_deprecations import parse
from tests.daemon_support import Db
from tests.support import FIXTURES, Upstream
from watcher.app import App
from watcher.config import BUILTIN_SOURCE_NAMES
from watcher.config import parse as parse_config
from watcher.model import Document, ParseError
from watcher.poll.fetch import Fetcher
from watcher.poll.pipeline import PollResult

SOURCE = "openai-deprecations"
HERE = FIXTURES / "openai_deprecations"
MD = (HERE / "deprecations-2026-06-27.md").read_bytes()
HTML = (HERE / "deprecations-2026-site.html").read_bytes()
HTML_2025 = (HERE / "deprecations-2025-11-13.html").read_bytes()
FETCHED = dt.datetime(2026, 6, 27, 12, 0, tzinfo=dt.UTC)
# Where the real 80% cut ended: mid-cell in the replacement of text-davinci-001.
DAVINCI_ROW = b"| 2024-01-04    | `text-davinci-001` | $20.00 / 1M tokens     | `g"


def run(body: bytes) -> int:
    return len(parse(Document(SOURCE, "https://x/deprecations", body, FETCHED)))


def cut(body: bytes, percent: int) -> bytes:
    return body[: len(body) * percent // 100]


def test_the_complete_renderings_are_believed() -> None:
    assert run(MD) == run(HTML) == 136
    assert run(HTML_2025) == 76


def test_the_real_80_percent_cut_is_refused_not_read_as_replacement_g() -> None:
    at = MD.index(DAVINCI_ROW) + len(DAVINCI_ROW)
    with pytest.raises(ParseError, match=r"Markdown: truncated: the body ends inside a table row"):
        run(MD[:at])


@pytest.mark.parametrize("percent", [50, 80, 99])
def test_markdown_cut_at_50_80_99_percent_is_refused(percent: int) -> None:
    with pytest.raises(ParseError, match="Markdown: truncated"):
        run(cut(MD, percent))


def test_markdown_cut_anywhere_but_a_line_end_is_refused() -> None:
    line_ends = {i + 1 for i, byte in enumerate(MD) if byte == ord("\n")}
    reasons: dict[int, str] = {}
    for at in range(100, len(MD), 97):
        if at in line_ends:
            continue
        with pytest.raises(ParseError) as refused:
            run(MD[:at])
        reasons[at] = str(refused.value)
    # Before the first announced row there is nothing to believe anyway; after it, always "truncated".
    first_row = MD.index(b"| Dec 11, 2026")
    assert [at for at, reason in reasons.items() if at > first_row and "truncated" not in reason] == []
    assert len(reasons) > 200


def test_a_last_row_without_its_closing_pipe_or_a_table_ending_after_its_header() -> None:
    head = b"### 2026-06-11: GPT-5\n\n| Shutdown date | Model / system | Recommended replacement |\n| --- | --- | --- |\n"
    row = b"| Dec 11, 2026 | `gpt-5-2025-08-07` | `gpt-5.5` |\n"
    assert run(head + row) == 1
    with pytest.raises(ParseError, match="no closing pipe"):
        run(head + row + b"| Dec 11, 2026 | `o3-2025-04-16` | `gpt-5.5`\n")
    with pytest.raises(ParseError, match="after a table's header"):
        run(head + row + b"\n### 2026-06-12: More\n\n| Shutdown date | Model / system |\n| --- | --- |\n")


@pytest.mark.parametrize("body", [HTML, HTML_2025], ids=["2026-site", "2025"])
def test_html_ending_inside_an_open_table_is_refused(body: bytes) -> None:
    last_row = body.rindex(b"<tr")
    with pytest.raises(ParseError, match=r"HTML: truncated: the body ends inside an open <table>"):
        run(body[: last_row + 10])


def test_a_whole_html_page_mentioning_a_table_in_a_script_is_believed() -> None:
    script = b'<script>self.__next_f.push([1,"<table class=\\"x\\">"])</script>'
    assert run(HTML.replace(b"</body>", script + b"</body>")) == 136


@pytest.mark.parametrize("percent", [50, 80, 99])
def test_html_cut_short_is_refused(percent: int) -> None:
    with pytest.raises(ParseError, match="HTML: truncated"):
        run(cut(HTML, percent))


# --- through a real poll: served cut short with a matching Content-Length -----------


@pytest.fixture
def app(db_url: str, upstream: Upstream) -> Iterator[App]:
    raw = {"sources": {**{name: {"enabled": False} for name in BUILTIN_SOURCE_NAMES},
                       SOURCE: {"url": upstream.url("/deprecations.md"), "delist_after": 2}}}
    application = App.create(parse_config(raw, path=None, environ={}), db_url)
    yield application
    application.engine.dispose()


def poll(app: App) -> PollResult:
    async def go() -> PollResult:
        async with Fetcher(dataclasses.replace(app.settings.fetch, timeout=30.0)) as fetcher:
            return await app.poll(SOURCE, fetcher, trigger="daemon")

    return asyncio.run(go())


def test_a_body_served_cut_short_is_refused_every_time_and_nothing_is_recorded(
        app: App, upstream: Upstream, db_url: str) -> None:
    db = Db(db_url)
    upstream.set("/deprecations.md", MD, headers={"Content-Type": "text/markdown"})
    assert poll(app).outcome == "baseline"
    versions = db.versions()
    for percent in (50, 80, 99, 80, 80):  # 80% again: the delisting debounce would have fired
        body = cut(MD, percent)
        upstream.set("/deprecations.md", body, headers={"Content-Type": "text/markdown",
                                                         "Content-Length": str(len(body))})
        result = poll(app)
        assert result.outcome == "refused" and "truncated" in (result.error or ""), (percent, result)
        assert db.versions() == versions
    assert {c.kind for c in db.changes(source=SOURCE)} <= {"source_health"}
    upstream.set("/deprecations.md", MD, headers={"Content-Type": "text/markdown"})
    assert poll(app).outcome == "unchanged"
    assert db.changes("delisted", source=SOURCE) == [] and db.changes("replacement", source=SOURCE) == []
    db.close()
