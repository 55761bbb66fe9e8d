"""The web tests' world: a database built from the real captures (through `watcher
ingest`, as a user would), and the app served by uvicorn on a loopback port."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support import FIXTURES, run_watcher

TODAY = dt.datetime(2026, 6, 28, 12, tzinfo=dt.UTC)  # the pages count days left from here
SOURCES = ("openai-deprecations", "openai-pricing", "litellm", "openrouter", "models-dev")

# (source, fixture, observed at): the real captures, oldest first per source.
CAPTURES: tuple[tuple[str, str, str], ...] = (
    ("openai-deprecations", "openai_deprecations/deprecations-2025-11-13.html", "2025-11-13T00:00:00Z"),
    ("openai-deprecations", "openai_deprecations/deprecations-2026-06-27.md", "2026-06-27T00:00:00Z"),
    ("openai-pricing", "openai_pricing/pricing-2026-06-27.md", "2026-06-27T00:00:00Z"),
    ("litellm", "litellm/model_prices-1.97.0.json", "2026-06-20T00:00:00Z"),
    ("litellm", "litellm/model_prices-1.98.0.json", "2026-06-26T00:00:00Z"),
    ("openrouter", "openrouter/models-2026-06-16.json", "2026-06-16T00:00:00Z"),
    ("models-dev", "models_dev/api-2026-05-21.json", "2026-05-21T00:00:00Z"),
)

# Scraped strings that must arrive inert wherever they are shown.
HOSTILE_MODEL = '<script>window.pwned=1</script>'
HOSTILE_LINK = '[click](https://evil.example/x) <!channel>'


def write_config(path: Path, *, watchlist: tuple[str, ...] = ("sora-2*",)) -> Path:
    lines = []
    for name in SOURCES:  # named, on loopback: nothing here is ever fetched
        lines += [f"[sources.{name}]", f'url = "http://127.0.0.1:9/{name}"', ""]
    lines += ["[watchlist]", f"models = {json.dumps(list(watchlist))}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def ingest(config: Path, db_url: str, source: str, file: Path, at: str) -> None:
    done = run_watcher(["--config", str(config), "--db", db_url, "ingest", source, str(file), "--observed-at", at])
    assert done.returncode == 0, done.stderr


def build_real_db(config: Path, db_url: str) -> None:
    for source, fixture, at in CAPTURES:
        ingest(config, db_url, source, FIXTURES / fixture, at)


def hostile_catalog(directory: Path, base: Path) -> Path:
    """`base` (a LiteLLM catalog) plus models named with markup, Slack mentions and Markdown links."""
    rows = json.loads(base.read_text(encoding="utf-8"))
    rows |= {
        HOSTILE_MODEL: {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-6},
        HOSTILE_LINK: {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 2e-6},
    }
    path = directory / "hostile.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


@contextmanager
def serving(db_url: str, config: Path, *, clock: dt.datetime = TODAY, root_path: str = "") -> Iterator[str]:
    """The app on a free loopback port, served by uvicorn on its own loop in a thread,
    exactly as the daemon and `watcher serve` run it. Yields the base URL."""
    from watcher.config import load
    from watcher.store.reading import reading_engine
    from watcher.web.app import create_app
    from watcher.web.official import official_sources
    from watcher.web.server import WebServer

    engine = reading_engine(db_url)
    app = create_app(engine, load(config), official_sources=official_sources(), clock=lambda: clock)
    server = WebServer(app, "127.0.0.1", 0, root_path)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    base: list[str] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        base.append(loop.run_until_complete(server.start()))
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(60), "the web server did not start"
    try:
        yield base[0]
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(60)
        engine.dispose()


def get(url: str) -> tuple[int, str, bytes]:
    """Status, content type and body (errors included)."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()
    except OSError:  # not listening (yet): no answer
        return 0, "", b""


def get_json(url: str) -> Any:
    status, _, body = get(url)
    assert status == 200, (url, status, body[:300])
    return json.loads(body)
