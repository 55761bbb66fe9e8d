"""The web page, feeds and API on a synthetic year of history, and the daemon's memory
with the page in use.

1. Page latency: the year of `analyst_year` (4 sources × N models, hourly polls) is
   written to a SQLite file; the app is served by uvicorn on loopback, as the daemon
   and `watcher serve` serve it, and each page is fetched over HTTP 30 times:
   best, p50 and p95 per page (target p95 <= 200 ms). `--db` measures on a year
   generated before (`--keep-db PATH` writes one), so figures before and after a
   change come from the same rows.
2. Daemon memory: `watcher run` in the unit's allocator environment on that database,
   resident set after start-up, then after every page has been loaded 10 times,
   with the page on and off (`[daemon] web`).
3. Screenshots: the browser tests run with WATCHER_SCREENSHOTS=bench/out, so each
   page, as Chromium renders it from the real captures, is saved there to look at.

    python -m bench.web_pages [--models 10000] [--db sqlite:///year.db | --keep-db year.db]
                              [--no-latency] [--no-memory] [--no-screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.common import REPO, report, timeit

PAGES = (
    ("upcoming", "/"),
    ("changes", "/changes"),
    ("changes filtered", "/changes?kind=price&model=gpt-*"),
    ("changes page 5", "/changes?page=5"),
    ("dossier", "/models/{model}"),
    ("sources", "/sources"),
    ("api changes", "/api/v1/changes?limit=100"),
    ("api show", "/api/v1/models/{model}"),
    ("api upcoming", "/api/v1/upcoming?within=365d"),
    ("atom", "/feeds/changes.atom"),
    ("ics", "/feeds/shutdowns.ics"),
)


def _config(directory: Path, names: list[str], listen: str | None = None, web: bool = True) -> Path:
    """The built-in sources (no runs in the year) and the year's own four, configured
    as the JSON catalogs they stand for, so the sources page reads a year of runs.
    Enabled only for the page (next poll due); the measured daemon must not poll them."""
    from bench.analyst_year import SOURCES

    lines = []
    for name in names:
        lines += [f"[sources.{name}]", "enabled = false", ""]
    for name in SOURCES:
        lines += [f"[sources.{name}]", 'type = "json-catalog"', f'url = "https://{name}.invalid/models.json"',
                  'id = "id"', 'every = "1h"', f"enabled = {'false' if listen else 'true'}", ""]
    lines += ["[watchlist]", 'models = ["gpt-1*"]', ""]
    if listen:
        lines += ["[daemon]", f'listen = "{listen}"', f"web = {'true' if web else 'false'}", ""]
    path = directory / f"config-{'web' if web else 'plain'}.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _serve(url: str, config: Path) -> tuple[str, asyncio.AbstractEventLoop]:
    from watcher.config import load
    from watcher.store.reading import reading_engine
    from watcher.web.app import create_app
    from watcher.web.official import official_sources
    from watcher.web.server import WebServer

    app = create_app(reading_engine(url), load(config), official_sources=official_sources())
    server = WebServer(app, "127.0.0.1", 0)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    base: list[str] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        base.append(loop.run_until_complete(server.start()))
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    ready.wait(60)
    return base[0], loop


def _fetch(url: str) -> int:
    with urllib.request.urlopen(url, timeout=60) as response:
        return len(response.read())


def latency(url: str, config: Path, model: str) -> None:
    base, _ = _serve(url, config)
    worst = 0.0
    for name, path in PAGES:
        full = base + path.format(model=model)
        size = _fetch(full)
        figures = timeit(functools.partial(_fetch, full), repeat=30, warmup=2)
        worst = max(worst, figures["p95_ms"])
        report(f"page {name}", {"best_ms": figures["best_ms"], "p50_ms": figures["median_ms"],
                                "p95_ms": figures["p95_ms"], "bytes": size})
    report("pages", {"worst_p95_ms": worst}, target="p95 <= 200 ms")


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def daemon_memory(url: str, directory: Path, names: list[str], model: str) -> None:
    import socket

    env = {**os.environ, "PYTHONMALLOC": "malloc"}  # as systemd/model-watcher.service sets it
    for web in (False, True):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        config = _config(directory, names, f"127.0.0.1:{port}", web)
        proc = subprocess.Popen([sys.executable, "-m", "watcher", "--config", str(config), "--db", url, "run"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=directory)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    _fetch(f"http://127.0.0.1:{port}/metrics")
                    break
                except OSError:
                    time.sleep(0.2)
            started = _rss_kb(proc.pid)
            if web:
                steps = {}
                for name, path in PAGES:  # what each page's first load adds
                    _fetch(f"http://127.0.0.1:{port}{path.format(model=model)}")
                    steps[name.replace(" ", "_")] = round(_rss_kb(proc.pid) / 1024, 1)
                report("daemon rss_mb after the first load of each page", steps)
                for _ in range(10):
                    for _, path in PAGES:
                        _fetch(f"http://127.0.0.1:{port}{path.format(model=model)}")
            loaded = _rss_kb(proc.pid)
            report(f"daemon {'with' if web else 'without'} the page",
                   {"rss_started_mb": round(started / 1024, 1), "rss_after_pages_mb": round(loaded / 1024, 1)},
                   target="<= 80 MB" if web else None)
        finally:
            proc.terminate()
            proc.wait(60)


def screenshots() -> None:
    out = REPO / "bench" / "out"
    env = {**os.environ, "WATCHER_SCREENSHOTS": str(out), "WATCHER_BUILTIN_SOURCES": "named"}
    code = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "tests/test_web_browser.py"], cwd=REPO, env=env)
    report("screenshots", {"folder": out.relative_to(REPO), "files": len(list(out.glob("*.png"))),
                           "pytest_exit": code})


def _year(url: str, models: int) -> str:
    """Write a year of history at `url`; the model with the most versions (the dossier's)."""
    from collections import Counter

    from bench.analyst_year import generate
    from watcher.store.engine import make_engine
    from watcher.store.migrate import ensure_schema

    engine = make_engine(url)
    ensure_schema(engine)
    print(f"generating a year of history for {models} models …", flush=True)
    year, seconds = generate(engine, models, seed=7)
    engine.dispose()
    model = Counter(v["model"] for v in year.versions).most_common(1)[0][0]
    report("year", {"versions": len(year.versions), "changes": len(year.changes),
                    "generated_s": round(seconds, 1), "dossier_model": model})
    return str(model)


def _busiest_model(url: str) -> str:
    """On a year generated before: the model with the most versions."""
    from sqlalchemy import func, select

    from watcher.store.reading import reading_engine
    from watcher.store.relations import OBSERVATION_VERSION

    v = OBSERVATION_VERSION.c
    engine = reading_engine(url)
    with engine.connect() as connection:
        model = connection.execute(select(v.model).where(v.model.is_not(None)).group_by(v.model)
                                   .order_by(func.count().desc(), v.model).limit(1)).scalar_one()
    engine.dispose()
    report("year", {"database": url, "dossier_model": model})
    return str(model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--db", help="measure on this database (a year generated before) instead of a new one")
    parser.add_argument("--keep-db", type=Path, help="write the generated year to this SQLite file and keep it")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--no-screenshots", action="store_true")
    args = parser.parse_args()
    from watcher.config import BUILTIN_SOURCE_NAMES

    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        directory = Path(tmp)
        if args.db:
            url = args.db
            model = _busiest_model(url)
        else:
            url = f"sqlite:///{(args.keep_db or directory / 'year.db').resolve()}"
            model = _year(url, args.models)
        names = list(BUILTIN_SOURCE_NAMES)
        if not args.no_latency:
            latency(url, _config(directory, names), model)
        if not args.no_memory:
            daemon_memory(url, directory, names, model)
    if not args.no_screenshots:
        screenshots()


if __name__ == "__main__":
    main()
