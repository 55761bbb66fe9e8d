"""Issue 5 figures: CPU time of an unchanged cycle, per built-in source, through the
daemon's own poll path (`App.poll`: fetch, conditional GET, short-circuit, commit,
commit hooks) against a loopback upstream in another process.

Targets: ≤ 50 ms per source when the upstream answers 304, ≤ 150 ms when it sends
the same body again (200, no validators: hashed and recognised, never parsed).
CPU is the whole process's (every thread), so the worker threads count too.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._loopback import SOURCES
from bench.common import capture, report
from watcher.app import App
from watcher.config import parse
from watcher.poll.fetch import Fetcher

ROUNDS = 15


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-cycle-") as tmp:
        folder = Path(tmp)
        routes_file, port_file = folder / "routes.json", folder / "port"

        def serve(conditional: bool) -> None:
            routes_file.write_text(json.dumps({path: {"file": str(capture(*first)), "etag": conditional}
                                               for path, first, _ in SOURCES.values()}))

        serve(conditional=True)
        server = subprocess.Popen([sys.executable, "-m", "bench._loopback", str(routes_file), str(port_file)])
        try:
            while not port_file.exists() or not port_file.read_text():
                time.sleep(0.05)
            base = f"http://127.0.0.1:{port_file.read_text()}"
            settings = parse({"sources": {name: {"url": base + path} for name, (path, _, _) in SOURCES.items()}},
                             path=None, environ={})
            app = App.create(settings, f"sqlite:///{folder / 'watcher.db'}")
            figures = asyncio.run(_measure(app, serve))
            app.engine.dispose()
        finally:
            server.terminate()
            server.wait(10)
    for name, (not_modified, same_body, size) in figures.items():
        report(f"{name} unchanged cycle ({size // 1024} KB body)",
               {"304_cpu_ms": not_modified, "same_200_cpu_ms": same_body}, "≤ 50 ms with 304, ≤ 150 ms with 200")
    report("all built-in sources, one unchanged cycle",
           {"304_cpu_ms": round(sum(f[0] for f in figures.values()), 1),
            "same_200_cpu_ms": round(sum(f[1] for f in figures.values()), 1)})


async def _measure(app: App, serve: object) -> dict[str, tuple[float, float, int]]:
    out: dict[str, tuple[float, float, int]] = {}
    async with Fetcher(app.settings.fetch) as fetcher:
        for name in SOURCES:
            first = await app.poll(name, fetcher, trigger="daemon")
            assert first.outcome == "baseline", (name, first)
        for name in SOURCES:
            size = capture(*SOURCES[name][1]).stat().st_size
            serve(conditional=True)  # type: ignore[operator]
            not_modified = await _cpu_per_poll(app, fetcher, name, "not_modified")
            serve(conditional=False)  # type: ignore[operator]
            same_body = await _cpu_per_poll(app, fetcher, name, "unchanged")
            out[name] = (not_modified, same_body, size)
    return out


async def _cpu_per_poll(app: App, fetcher: Fetcher, name: str, expect: str) -> float:
    await app.poll(name, fetcher, trigger="daemon")  # warm: validators, connection, caches
    started = time.process_time()
    for _ in range(ROUNDS):
        result = await app.poll(name, fetcher, trigger="daemon")
        assert result.outcome == expect, (name, result.outcome, result.error)
    return round((time.process_time() - started) / ROUNDS * 1000, 1)


if __name__ == "__main__":
    main()
