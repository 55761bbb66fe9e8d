"""The web surfaces over HTTP on loopback: the JSON API against its own OpenAPI
document, the Atom and iCalendar feeds against their specifications, hostile
scraped strings, bad requests, `watcher serve` and the daemon serving the page."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.daemon_support import free_port, postgres_schema, wait_for
from tests.support import FIXTURES, PG_ENV, run_watcher
from tests.web_support import (
    HOSTILE_LINK,
    HOSTILE_MODEL,
    build_real_db,
    get,
    get_json,
    hostile_catalog,
    ingest,
    serving,
    write_config,
)

pytestmark = pytest.mark.slow
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The real captures ingested once per backend; the tests only read it."""
    directory = tmp_path_factory.mktemp("web")
    config = write_config(directory / "config.toml")
    if request.param == "sqlite":
        url = f"sqlite:///{directory / 'watcher.db'}"
        build_real_db(config, url)
        yield url, config
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} not set")
    with postgres_schema(base) as url:
        build_real_db(config, url)
        yield url, config


# --- the JSON API -------------------------------------------------------------------------


def _validator(spec: dict[str, Any], ref: str) -> Any:
    from jsonschema import Draft202012Validator

    schema = {"$ref": ref, "components": spec["components"]}
    return Draft202012Validator(schema)


ENDPOINTS: tuple[tuple[str, str], ...] = (
    ("/api/v1/changes?limit=20", "ChangesOut"),
    ("/api/v1/changes?model=sora-2*&kind=shutdown_date", "ChangesOut"),
    ("/api/v1/models/sora-2", "ModelOut"),
    ("/api/v1/upcoming?within=365d", "UpcomingOut"),
    ("/api/v1/history/sora-2", "HistoryOut"),
    ("/api/v1/asof?at=2026-06-01&source=litellm", "AsofOut"),
    ("/api/v1/sources", "SourcesOut"),
    ("/api/v1/", "IndexOut"),
)


def test_every_api_endpoint_answers_in_the_shape_its_openapi_document_states(world: tuple[str, Path]) -> None:
    db_url, config = world
    with serving(db_url, config) as base:
        spec = get_json(f"{base}/api/openapi.json")
        assert spec["openapi"].startswith("3.")
        paths = spec["paths"]
        for url, schema in ENDPOINTS:
            template = next(p for p in paths if re.fullmatch(re.sub(r"\{[^}]+\}", "[^?]+", p), url.split("?")[0]))
            declared = paths[template]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            assert declared == {"$ref": f"#/components/schemas/{schema}"}, url
            body = get_json(base + url)
            errors = sorted(_validator(spec, declared["$ref"]).iter_errors(body), key=str)
            assert not errors, (url, errors[:3])
            assert body["schema_version"] == 1
        assert {p.split("{")[0] for p in paths} >= {"/api/v1/changes", "/api/v1/models/", "/api/v1/upcoming",
                                                     "/api/v1/history/", "/api/v1/asof", "/api/v1/sources"}

        # What the API says is what the CLI says.
        sora = get_json(f"{base}/api/v1/models/sora-2")["models"][0]
        assert (sora["shutdown_on"], sora["shutdown_source"], sora["days_left"]) == (
            "2026-09-24", "openai-deprecations", 88)
        shown = run_watcher(["--config", str(config), "--db", db_url, "show", "sora-2", "--today", "2026-06-28",
                             "--format", "json"])
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout) == get_json(f"{base}/api/v1/models/sora-2")["models"]
        cli_changes = run_watcher(["--config", str(config), "--db", db_url, "changes", "--format", "json"])
        api_changes = get_json(f"{base}/api/v1/changes?limit=1000")["changes"]
        assert api_changes == list(reversed(json.loads(cli_changes.stdout)))  # newest first

        upcoming = get_json(f"{base}/api/v1/upcoming?within=365d")["upcoming"]
        watched = [r["watched"] for r in upcoming]
        assert watched == sorted(watched, reverse=True) and watched[0]  # watched models first
        assert all(r["model"].startswith("sora-2") for r in upcoming if r["watched"])


def test_the_api_root_lists_every_operation_and_where_its_document_is(world: tuple[str, Path]) -> None:
    """`/api/v1` (a 307 to `/api/v1/`, as a mount's root is) says what the API offers,
    as its OpenAPI document does, instead of a 404."""
    db_url, config = world
    with serving(db_url, config) as base:
        status, content_type, body = get(f"{base}/api/v1")
        assert status == 200 and content_type.startswith("application/json"), (status, body[:200])
        index = json.loads(body)
        spec = get_json(base + index["openapi"])
        assert [op["path"] for op in index["operations"]] == list(spec["paths"])
        assert [op["summary"] for op in index["operations"]] == [p["get"]["summary"] for p in spec["paths"].values()]
        assert "/api/v1/models/{model}" in spec["paths"]


def test_pages_of_results_follow_each_other_without_overlap(world: tuple[str, Path]) -> None:
    db_url, config = world
    with serving(db_url, config) as base:
        everything = get_json(f"{base}/api/v1/changes?limit=1000")["changes"]
        seen: list[int] = []
        url = f"{base}/api/v1/changes?limit=7"
        while True:
            page = get_json(url)
            seen += [c["id"] for c in page["changes"]]
            if page["next_offset"] is None:
                break
            url = f"{base}/api/v1/changes?limit=7&offset={page['next_offset']}"
        assert seen == [c["id"] for c in everything] and len(seen) > 7

        # Shutdowns ahead page the same way, in their order: watched first, then soonest.
        timeline = get_json(f"{base}/api/v1/upcoming?within=3650d&limit=1000")["upcoming"]
        rows: list[dict[str, Any]] = []
        url = f"{base}/api/v1/upcoming?within=3650d&limit=9"
        while True:
            page = get_json(url)
            rows += page["upcoming"]
            if page["next_offset"] is None:
                break
            url = f"{base}/api/v1/upcoming?within=3650d&limit=9&offset={page['next_offset']}"
        assert rows == timeline and len(rows) > 9
        assert [r["watched"] for r in rows] == sorted((r["watched"] for r in rows), reverse=True)


def test_the_timeline_page_pages_through_every_shutdown_ahead(world: tuple[str, Path],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from watcher.web import pages

    monkeypatch.setattr(pages, "TIMELINE_ROWS", 7)
    db_url, config = world
    with serving(db_url, config) as base:
        expected = get_json(f"{base}/api/v1/upcoming?within=180d&limit=1000")["upcoming"]
        shown: list[str] = []
        url: str | None = f"{base}/"
        while url:
            status, _, body = get(url)
            text = body.decode()
            assert status == 200 and text.count("<tr class=") <= 7
            shown += re.findall(r'<td class="num">(\d+)</td>', text)  # days left, one per row
            later = re.search(r'<a href="([^"]+)" rel="next">', text)
            url = base + later.group(1).replace("&amp;", "&") if later else None
    assert shown == [str(r["days_left"]) for r in expected] and len(shown) > 7


@pytest.mark.parametrize(("url", "says"), [
    ("/api/v1/changes?kind=nope", "kind: unknown 'nope'"),
    ("/api/v1/changes?source=nosuch", "source: unknown 'nosuch'"),
    ("/api/v1/changes?severity=loud", "severity: unknown 'loud'"),
    ("/api/v1/changes?since=yesterday-ish", "not a time"),
    ("/api/v1/upcoming?within=soon", "not a duration"),
    ("/api/v1/asof?at=whenever", "not a time"),
    ("/api/v1/changes?limit=-1", "limit"),
    ("/api/v1/models/no-such-model", "no source lists 'no-such-model'"),
])
def test_a_bad_request_is_one_line_saying_what_was_wrong(tmp_path: Path, sqlite_url: str, url: str,
                                                          says: str) -> None:
    config = write_config(tmp_path / "config.toml")
    with serving(sqlite_url, config) as base:
        status, content_type, body = get(base + url)
        assert status in (400, 404) and content_type.startswith("application/json")
        detail = json.loads(body)["detail"]
        assert says in detail and "\n" not in detail and "Traceback" not in detail
        page_status, page_type, page = get(base + "/changes?kind=nope")
        assert page_status == 400 and page_type.startswith("text/html") and b"kind: unknown" in page


# --- feeds --------------------------------------------------------------------------------


def _atom_is_valid(body: bytes) -> ET.Element:
    """RFC 4287's rules for a feed document, checked element by element, and a strict
    parse by feedparser (a "bozo" feed is malformed)."""
    import feedparser  # type: ignore[import-untyped]

    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    root = ET.fromstring(body)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{required}")) == 1, required
    assert root.findall(f"{ATOM}author/{ATOM}name")  # feed-level author covers every entry
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
    assert stamp.match(root.findtext(f"{ATOM}updated") or "")
    for entry in root.findall(f"{ATOM}entry"):
        for required in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{required}")) == 1, required
        assert stamp.match(entry.findtext(f"{ATOM}updated") or "")
        assert entry.findall(f"{ATOM}link[@rel='alternate']") or entry.findall(f"{ATOM}content")
    return root


def test_the_atom_feed_is_valid_filterable_and_holds_each_change_once(world: tuple[str, Path]) -> None:
    db_url, config = world
    with serving(db_url, config) as base:
        status, content_type, body = get(f"{base}/feeds/changes.atom")
        assert status == 200 and content_type.startswith("application/atom+xml")
        ids = [e.findtext(f"{ATOM}id") for e in _atom_is_valid(body).findall(f"{ATOM}entry")]
        assert ids and len(ids) == len(set(ids))

        _, _, filtered = get(f"{base}/feeds/changes.atom?model=sora-2*&kind=shutdown_date")
        entries = _atom_is_valid(filtered).findall(f"{ATOM}entry")
        expected = get_json(f"{base}/api/v1/changes?model=sora-2*&kind=shutdown_date")["changes"]
        assert [e.findtext(f"{ATOM}id") for e in entries] == [f"tag:model-lifecycle-watcher,2026:change/{c['id']}"
                                                             for c in expected]
        assert all("sora-2" in (e.findtext(f"{ATOM}title") or "") for e in entries)
        # The same change polled again is not a second entry: ids are change ids.
        _, _, again = get(f"{base}/feeds/changes.atom")
        assert [e.findtext(f"{ATOM}id") for e in ET.fromstring(again).findall(f"{ATOM}entry")] == ids


def _events(body: bytes) -> dict[str, Any]:
    """Parse strictly and check RFC 5545's required properties; events by UID."""
    from icalendar import Calendar

    cal = Calendar.from_ical(body)
    assert cal.get("version") == "2.0" and cal.get("prodid")
    events = {}
    for event in cal.walk("VEVENT"):
        for required in ("uid", "dtstamp", "dtstart"):
            assert event.get(required) is not None, required
        for alarm in event.walk("VALARM"):
            assert alarm.get("action") == "DISPLAY" and alarm.get("trigger") and alarm.get("description")
        events[str(event["uid"])] = event
    return events


def test_calendar_text_is_escaped_and_folded_as_rfc_5545_says() -> None:
    from watcher.web.feeds import Shutdown, calendar

    hostile = "gpt-5; <script>alert(1)</script>, \\x\r\nEND:VEVENT\x07 " + "é日本" * 40
    item = Shutdown(provider="openai", model="sora-2", shutdown_on=dt.date(2026, 9, 24), source="openai-deprecations",
                    replacement=hostile, revision=2, stated_at=dt.datetime(2026, 3, 1, 4, 5, 6, tzinfo=dt.UTC))
    body = calendar([item], base="http://h", reminder_days=[7, 1], now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    lines = body.split(b"\r\n")
    assert lines[-1] == b"" and all(len(line) <= 75 for line in lines)  # folded, CRLF throughout
    unfolded = body.replace(b"\r\n ", b"").split(b"\r\n")
    assert unfolded.count(b"END:VEVENT") == 1  # the scraped text never ends the event
    for line in lines:
        line.decode("utf-8")  # never folded inside a character
    event = _events(body)["openai/sora-2@model-lifecycle-watcher"]
    assert str(event["description"]).splitlines()[1] == "Replacement: gpt-5; <script>alert(1)</script>, \\x"
    assert str(event["description"]).splitlines()[2] == "END:VEVENT " + "é日本" * 40
    assert int(event["sequence"]) == 2 and event.decoded("dtstart") == dt.date(2026, 9, 24)
    assert [a.decoded("trigger") for a in event.walk("VALARM")] == [-dt.timedelta(days=7), -dt.timedelta(days=1)]


def test_the_calendar_has_one_event_per_model_that_moves_when_its_date_moves(
        tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(tmp_path / "config.toml")
    page = (FIXTURES / "openai_deprecations" / "deprecations-2026-06-27.md").read_text(encoding="utf-8")
    first = tmp_path / "first.md"
    first.write_text(page, encoding="utf-8")
    ingest(config, sqlite_url, "openai-deprecations", first, "2026-06-27T00:00:00Z")
    with serving(sqlite_url, config) as base:
        status, content_type, body = get(f"{base}/feeds/shutdowns.ics")
        assert status == 200 and content_type.startswith("text/calendar")
        before = _events(body)
    uid = "openai/sora-2@model-lifecycle-watcher"
    assert set(before) == {"openai/sora-2@model-lifecycle-watcher", "openai/sora-2-pro@model-lifecycle-watcher",
                           "openai/sora-2-2025-10-06@model-lifecycle-watcher",
                           "openai/sora-2-2025-12-08@model-lifecycle-watcher",
                           "openai/sora-2-pro-2025-10-06@model-lifecycle-watcher"}  # the watchlist's models
    assert before[uid].decoded("dtstart") == dt.date(2026, 9, 24)
    assert [str(a["trigger"].to_ical(), "ascii") if hasattr(a["trigger"], "to_ical") else a["trigger"]
            for a in before[uid].walk("VALARM")]

    moved = tmp_path / "moved.md"
    moved.write_text(page.replace("2026-09-24", "2026-10-15"), encoding="utf-8")
    ingest(config, sqlite_url, "openai-deprecations", moved, "2026-06-28T00:00:00Z")
    with serving(sqlite_url, config) as base:
        after = _events(get(f"{base}/feeds/shutdowns.ics")[2])
        glob = _events(get(f"{base}/feeds/shutdowns.ics?model=sora-2-pro")[2])
    assert set(after) == set(before)  # the same events, moved in place
    assert after[uid].decoded("dtstart") == dt.date(2026, 10, 15)
    assert int(after[uid]["sequence"]) > int(before[uid]["sequence"])
    assert set(glob) == {"openai/sora-2-pro@model-lifecycle-watcher"}


# --- hostile strings ----------------------------------------------------------------------


def test_hostile_scraped_strings_arrive_inert_in_pages_and_feeds(tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(tmp_path / "config.toml", watchlist=("*",))
    catalog = FIXTURES / "litellm" / "model_prices-1.97.0.json"
    ingest(config, sqlite_url, "litellm", catalog, "2026-06-20T00:00:00Z")
    ingest(config, sqlite_url, "litellm", hostile_catalog(tmp_path, catalog), "2026-06-21T00:00:00Z")
    with serving(sqlite_url, config) as base:
        for path in ("/changes", "/changes?source=litellm&kind=listed", "/models/" + "%3Cscript%3E*"):
            status, _, page = get(base + path)
            assert status in (200, 404)
            text = page.decode()
            assert "<script>window.pwned" not in text and "<!channel>" not in text
            if status == 200 and "listed" in path:
                assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in text
                assert "&lt;!channel&gt;" in text and '<a href="https://evil.example' not in text
        _, _, atom = get(f"{base}/feeds/changes.atom?kind=listed")
        texts = [(e.findtext(f"{ATOM}title") or "") + (e.findtext(f"{ATOM}summary") or "")
                 for e in _atom_is_valid(atom).findall(f"{ATOM}entry")]
        assert any(HOSTILE_MODEL in t for t in texts) and any(HOSTILE_LINK in t for t in texts)  # as text
        assert b"<script>" not in atom and b"<!channel>" not in atom


# --- serving ------------------------------------------------------------------------------


def test_watcher_serve_answers_and_stops_cleanly_on_sigterm(tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(tmp_path / "config.toml")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "watcher", "--config", str(config), "--db", sqlite_url, "serve",
                             "--listen", f"127.0.0.1:{port}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        status = wait_for("the page", lambda: get(f"http://127.0.0.1:{port}/sources")[0] == 200)
        assert status
        _, _, sources = get(f"http://127.0.0.1:{port}/sources")
        assert b"openai-deprecations" in sources and b"never polled" in sources
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")


@pytest.mark.parametrize(("listen", "code", "says"), [
    ("nonsense", 2, "--listen: daemon.listen: expected HOST:PORT"),
    ("127.0.0.1:99999", 2, "expected HOST:PORT"),
])
def test_watcher_serve_rejects_a_bad_listen_address_in_one_line(tmp_path: Path, sqlite_url: str, listen: str,
                                                                 code: int, says: str) -> None:
    config = write_config(tmp_path / "config.toml")
    done = run_watcher(["--config", str(config), "--db", sqlite_url, "serve", "--listen", listen])
    assert done.returncode == code and says in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_the_daemon_serves_the_page_beside_metrics_and_health(tmp_path: Path, sqlite_url: str) -> None:
    from tests.daemon_support import WatcherProcess

    config = write_config(tmp_path / "config.toml")
    ingest(config, sqlite_url, "openai-deprecations",
           FIXTURES / "openai_deprecations" / "deprecations-2026-06-27.md", "2026-06-27T00:00:00Z")
    port = free_port()
    with config.open("a", encoding="utf-8") as out:
        out.write(f'\n[daemon]\nlisten = "127.0.0.1:{port}"\n[fetch]\nretries = 0\ntimeout = 5\n')
    daemon = WatcherProcess(config, sqlite_url, listen=port)
    try:
        wait_for("metrics", lambda: daemon.metric("watcher_leader") is not None)
        status, _, home = get(f"http://127.0.0.1:{port}/")
        assert status == 200 and b"Upcoming shutdowns" in home
        assert get(f"http://127.0.0.1:{port}/api/v1/models/sora-2")[0] == 200
        assert get(f"http://127.0.0.1:{port}/healthz")[0] in (200, 503)  # the upstreams are unreachable here
        assert b"watcher_leader" in get(f"http://127.0.0.1:{port}/metrics")[2]
        assert daemon.stop() == 0
    finally:
        daemon.kill()


def test_the_daemon_builds_the_app_on_the_first_request_that_needs_it() -> None:
    import asyncio

    from watcher.web.lazy import LazyWebApp

    built: list[int] = []
    answered: list[str] = []

    def build() -> Any:
        built.append(1)

        async def app(scope: Any, receive: Any, send: Any) -> None:
            answered.append(scope["path"])
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"page"})

        return app

    lazy = LazyWebApp(build, {"/healthz": lambda: (200, b"ok\n", "text/plain; charset=utf-8")})

    async def call(path: str, method: str = "GET") -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Any) -> None:
            sent.append(dict(message))

        await lazy({"type": "http", "method": method, "path": path}, receive, send)
        return sent

    async def scenario() -> None:
        health = await call("/healthz")
        assert health[0]["status"] == 200 and health[1]["body"] == b"ok\n"
        assert (await call("/healthz", "HEAD"))[1]["body"] == b""
        assert not built and not lazy.built  # status routes never build the app
        await asyncio.gather(call("/"), call("/sources"), call("/changes"))
        assert built == [1] and sorted(answered) == ["/", "/changes", "/sources"]  # built once, for all three

    asyncio.run(scenario())


def test_what_pages_feeds_and_the_api_load(world: tuple[str, Path]) -> None:
    """The endpoints' reads run on the app's reader threads (watcher.web.app._off_loop):
    AnyIO's asyncio backend, which Starlette's own thread pool would load, stays out of
    the daemon (0.9 MB resident, issue 13); and the API's module and response models
    load on the API's first call, not with the pages (0.7 MB). In a process of its own,
    whose modules are its own."""
    url, config = world
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from tests.web_support import get, serving\n"
        f"with serving({url!r}, Path({str(config)!r})) as base:\n"
        "    for page in ('/', '/sources', '/changes', '/models/gpt-4o', '/feeds/changes.atom',\n"
        "                 '/feeds/shutdowns.ics'):\n"
        "        assert get(base + page)[0] == 200, page\n"
        "    assert get(base + '/models/no-such-model')[0] == 404\n"
        "    print('watcher.web.schemas' in sys.modules)\n"
        "    for path in ('/api/v1/changes', '/api/v1/sources', '/api/openapi.json'):\n"
        "        assert get(base + path)[0] == 200, path\n"
        "    assert get(base + '/api/v1/nothing-here')[0] == 404\n"
        "print(sorted(name for name in sys.modules if name.startswith('anyio._backends')))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert (done.returncode, done.stdout) == (0, "False\n[]\n"), done.stderr


def test_behind_a_proxy_prefix_api_errors_stay_json_and_page_links_keep_the_prefix(
        tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(tmp_path / "config.toml")
    with serving(sqlite_url, config, root_path="/w") as base:
        status, content_type, body = get(base + "/api/v1/changes?limit=bad")
        assert status == 400 and content_type.startswith("application/json") and "limit" in json.loads(body)["detail"]
        status, content_type, page = get(base + "/nothing-here")
        assert status == 404 and content_type.startswith("text/html")
        links = re.findall(rb'href="([^"]+)"', page)
        assert b"/w/changes" in links and not any(link.startswith(b"/w/api/v1") for link in links)
