"""Source health against real upstream faults on loopback (docs/architecture.md, "The guard"), through the
same `App.poll` the daemon runs, with the real fetcher and the real parser:
500s, 429 with Retry-After, timeouts, a truncated body, an error page served with
200, a page whose tables vanished, a 50 MB body, a gzip bomb and a bot challenge
change no history and delist nothing; the streak raises one `source_health`
change, and the return of the page one recovery."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator

import pytest
from sqlmodel import select

from tests.daemon_support import DEPRECATIONS_MD, PATH, SOURCE, Db, gzip_bomb
from tests.support import FIXTURES, Response, Upstream
from watcher.app import App
from watcher.config import BUILTIN_SOURCE_NAMES, parse
from watcher.poll.fetch import Fetcher
from watcher.poll.pipeline import PollResult
from watcher.store.engine import read_session
from watcher.store.tables import DocumentBlob

pytestmark = pytest.mark.slow

BODY = DEPRECATIONS_MD.encode()
ERROR_PAGE = (FIXTURES / "openai_deprecations" / "error-page.html").read_bytes()
CHALLENGE = (FIXTURES / "openai_deprecations" / "cloudflare-challenge.html").read_bytes()
NO_TABLES = "\n".join(line for line in DEPRECATIONS_MD.splitlines() if not line.startswith("|")).encode()

FAULTS: list[tuple[str, Response, str, str]] = [  # name, response, outcome, error contains
    ("500s", Response(b"oops", 500), "failed", "HTTP 500"),
    ("429 with Retry-After", Response(b"slow down", 429, {"Retry-After": "1"}), "failed", "HTTP 429"),
    ("timeout", Response(BODY, delay=1.5), "failed", "timeout"),
    ("truncated body", Response(BODY[:5000], headers={"Content-Length": str(len(BODY)), "Connection": "close"}),
     "failed", "RemoteProtocolError"),
    ("error page served with 200", Response(ERROR_PAGE, headers={"Content-Type": "text/html"}),
     "refused", "parse error"),
    ("tables vanished", Response(NO_TABLES), "refused", ""),
    ("50 MB body", Response(b"x" * (50 * 1024 * 1024)), "failed", "too large"),
    ("gzip bomb", Response(gzip_bomb(100 * 1024 * 1024), headers={"Content-Encoding": "gzip"}),
     "failed", "after decoding"),
    ("bot challenge", Response(CHALLENGE, 403, {"cf-mitigated": "challenge"}), "failed", "bot challenge"),
]


@pytest.fixture
def app(db_url: str, upstream: Upstream) -> Iterator[App]:
    raw = {
        "sources": {**{name: {"enabled": False} for name in BUILTIN_SOURCE_NAMES},
                    SOURCE: {"url": upstream.url(PATH)}},
        "fetch": {"timeout": 1.0, "retries": 1},
    }
    application = App.create(parse(raw, path=None, environ={}), db_url)
    yield application
    application.engine.dispose()


def poll(app: App, *, timeout: float = 30.0) -> PollResult:
    """One daemon poll. The fetch deadline is generous unless a fault is a timeout:
    on a loaded machine, reading a 50 MB body must end "too large", not "timeout"."""
    settings = dataclasses.replace(app.settings.fetch, timeout=timeout)

    async def go() -> PollResult:
        async with Fetcher(settings, backoff_base=0.01) as fetcher:
            return await app.poll(SOURCE, fetcher, trigger="daemon")

    return asyncio.run(go())


def test_every_fault_keeps_history_and_alerts_once_then_recovers(app: App, upstream: Upstream, db_url: str) -> None:
    db = Db(db_url)
    upstream.set(PATH, BODY)
    assert poll(app).outcome == "baseline"
    versions = db.versions()
    assert versions == db.versions(current=True) == 136

    for name, response, outcome, error in FAULTS:
        upstream.routes[PATH] = response
        started = time.monotonic()
        result = poll(app, timeout=1.0 if name == "timeout" else 30.0)
        assert (result.outcome, error in (result.error or "")) == (outcome, True), (name, result)
        assert db.versions() == versions and db.versions(current=True) == versions, name
        if name == "429 with Retry-After":
            assert time.monotonic() - started >= 1.0
        if outcome == "refused":  # the evidence is kept
            with read_session(app.engine) as session:
                assert session.exec(select(DocumentBlob).where(DocumentBlob.sha256 == db.runs()[-1].content_hash)).first()

    health = db.changes("source_health")
    assert [(c.old, (c.new or "").split(":")[0]) for c in health] == [("ok", "failing")]
    assert health[0].note == "3 consecutive failed polls"

    upstream.set(PATH, BODY)
    assert poll(app).outcome == "unchanged"
    health = db.changes("source_health")
    assert [(c.old, c.new) for c in health[1:]] == [("failing", "ok")]
    assert db.changes("delisted") == [] and len(db.changes()) == 2
    assert db.versions() == versions
    db.close()
