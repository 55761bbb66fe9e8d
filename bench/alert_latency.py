"""Issue 3 figure: detection-to-delivery latency of alerts on loopback (target p95 ≤ 1 s).

Each round is what `watcher poll` does: fetch OpenAI's deprecations page (Markdown
twin) from a local HTTP server, find one newly deprecated model, commit the
change with its outbox rows, then dispatch through apprise to a webhook receiver
(json://) and, when aiosmtpd is installed, an SMTP server, both on 127.0.0.1.

Figures (milliseconds, over ROUNDS rounds): commit→received (the outbox's own
cost: claim, render-free send, record) and fetch→received (the whole poll).

    python -m bench.alert_latency [--rounds N] [--db URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.common import report

TARGET_P95_MS = 1000.0


class Receiver:
    """Loopback HTTP endpoint noting when each message arrives (perf_counter)."""

    def __init__(self, on_arrival: Callable[[str], None], routes: dict[str, bytes] | None = None) -> None:
        self.routes = routes if routes is not None else {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                on_arrival("webhook")
                self._answer(b"ok")

            def do_GET(self) -> None:
                self._answer(receiver.routes.get(self.path, b""), "text/markdown")

            def _answer(self, body: bytes, kind: str = "text/plain") -> None:
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _smtp(on_arrival: Callable[[str], None]) -> tuple[Any, int] | None:
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        return None
    import socket

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            on_arrival("smtp")
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port


def page(models: list[str]) -> bytes:
    rows = "\n".join(f"| 2027-03-01 | `{m}` | `gpt-5.5` |" for m in models)
    return ("# Deprecations\n\n### 2026-11-01: Legacy models\n\n"
            f"| Shutdown date | Model / system | Recommended replacement |\n| --- | --- | --- |\n{rows}\n").encode()


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args(argv)

    from watcher.alerts.dispatch import dispatch_due
    from watcher.app import App
    from watcher.config import parse
    from watcher.poll.fetch import Fetcher

    arrivals: dict[str, list[float]] = {"webhook": [], "smtp": []}
    lock = threading.Lock()

    def arrived(channel: str) -> None:
        with lock:
            arrivals[channel].append(time.perf_counter())

    models = ["gpt-3.5-turbo-0613", "babbage-002"]
    receiver = Receiver(arrived, {"/deprecations.md": page(models)})
    smtp = _smtp(arrived)
    channels = {"hook": {"url": f"json://127.0.0.1:{receiver.server.server_address[1]}/alerts"}}
    if smtp is not None:
        channels["mail"] = {"url": f"mailto://127.0.0.1:{smtp[1]}?mode=insecure&from=watcher@example.com"
                                   "&to=oncall@example.com"}
    with tempfile.TemporaryDirectory() as folder:
        raw = {"sources": {"openai-deprecations": {"url": receiver.url("/deprecations.md")}},
               "channels": channels, "watchlist": {"models": ["bench-*"]}, "fetch": {"retries": 0}}
        app = App.create(parse(raw, path=None, environ={}), args.db or f"sqlite:///{Path(folder) / 'bench.db'}")
        timings: dict[str, list[float]] = {"commit→webhook": [], "fetch→webhook": [], "commit→smtp": [],
                                           "fetch→smtp": []}

        async def rounds() -> None:
            async with Fetcher(app.settings.fetch) as fetcher:
                await app.poll("openai-deprecations", fetcher)  # baseline: nothing to say
                for n in range(args.rounds):
                    models.append(f"bench-{n:03d}")
                    receiver.routes["/deprecations.md"] = page(models)
                    before = {k: len(v) for k, v in arrivals.items()}
                    fetched = time.perf_counter()
                    result = await app.poll("openai-deprecations", fetcher)
                    committed = time.perf_counter()
                    assert len(result.changes) == 1, result
                    outcome = await asyncio.to_thread(dispatch_due, app)
                    assert outcome.sent == len(channels), outcome
                    for channel in ("webhook", "smtp"):
                        deadline = time.monotonic() + 5
                        while len(arrivals[channel]) == before[channel] and channel in _wanted(channels) \
                                and time.monotonic() < deadline:
                            time.sleep(0.001)  # noqa: ASYNC251 (arrivals come from server threads; a tight poll times them)
                        if len(arrivals[channel]) > before[channel]:
                            got = arrivals[channel][before[channel]]
                            timings[f"commit→{channel}"].append((got - committed) * 1000)
                            timings[f"fetch→{channel}"].append((got - fetched) * 1000)

        asyncio.run(rounds())
        app.engine.dispose()
    receiver.close()
    if smtp is not None:
        smtp[0].stop()

    worst = 0.0
    for name, samples in timings.items():
        if not samples:
            continue
        p95 = percentile(samples, 0.95)
        worst = max(worst, p95)
        report(f"alert_latency {name}", {"rounds": len(samples), "p50_ms": round(statistics.median(samples), 1),
                                         "p95_ms": round(p95, 1), "max_ms": round(max(samples), 1)},
               target="p95 ≤ 1000 ms")
    verdict = "met" if worst <= TARGET_P95_MS else "MISSED"
    print(f"alert_latency: worst p95 {worst:.1f} ms, target p95 ≤ {TARGET_P95_MS:.0f} ms {verdict}"
          f" ({'sqlite file' if not args.db else 'given database'}; smtp {'on' if smtp else 'off: no aiosmtpd'})")
    return 0


def _wanted(channels: dict[str, Any]) -> set[str]:
    return {"webhook", *(["smtp"] if "mail" in channels else [])}


if __name__ == "__main__":
    raise SystemExit(main())
