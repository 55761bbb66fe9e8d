"""A loopback upstream for the daemon benchmarks, run as its own process so its CPU
and memory never count against the watcher's: `python -m bench._loopback ROUTES PORTFILE`.

ROUTES is a JSON file `{"/path": {"file": "...", "etag": true}}`, re-read when it
changes, so a benchmark can switch a page to another capture between polls.
With `"etag": true` a matching If-None-Match gets a 304, as a CDN would answer.
"""

from __future__ import annotations

import hashlib
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# The built-in sources, each served from a real capture (or its trimmed fixture).
SOURCES: dict[str, tuple[str, tuple[str, str], tuple[str, str]]] = {
    # name: (path, capture, another capture of the same source)
    "openai-deprecations": ("/deprecations.md", ("openai/deprecations-2026-06-27.md",
                                                 "openai_deprecations/deprecations-2026-06-27.md"),
                            ("openai/deprecations-2026-06-27.md", "openai_deprecations/deprecations-2026-06-27.md")),
    "openai-pricing": ("/pricing.md", ("openai/pricing-2026-06-27.md", "openai_pricing/pricing-2026-06-27.md"),
                       ("openai/pricing-2026-06-27.md", "openai_pricing/pricing-2026-06-27.md")),
    "openrouter": ("/openrouter.json", ("openrouter/models-2026-06-16.json", "openrouter/models-2026-06-16.json"),
                   ("openrouter/models-2026-08-19.json", "openrouter/models-2026-08-19.json")),
    "litellm": ("/litellm.json", ("litellm/model_prices-1.97.0.json", "litellm/model_prices-1.97.0.json"),
                ("litellm/model_prices-1.98.0.json", "litellm/model_prices-1.98.0.json")),
    "models-dev": ("/models-dev.json", ("models-dev/api-2026-05-21.json", "models_dev/api-2026-05-21.json"),
                   ("models-dev/api-2026-05-21.json", "models_dev/api-2026-05-21.json")),
}


class _Routes:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp = -1.0
        self._routes: dict[str, dict[str, Any]] = {}
        self._bodies: dict[str, tuple[bytes, str]] = {}

    def get(self, url_path: str) -> tuple[bytes, str, bool] | None:
        stamp = self.path.stat().st_mtime_ns
        if stamp != self._stamp:
            self._routes = json.loads(self.path.read_text())
            self._stamp = stamp
        route = self._routes.get(url_path.split("?", 1)[0])
        if route is None:
            return None
        file = route["file"]
        if file not in self._bodies:
            body = Path(file).read_bytes()
            self._bodies[file] = (body, '"' + hashlib.sha256(body).hexdigest()[:16] + '"')
        body, etag = self._bodies[file]
        return body, etag, bool(route.get("etag"))


def serve(routes_file: Path, port_file: Path) -> None:
    routes = _Routes(routes_file)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            found = routes.get(self.path)
            if found is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body, etag, conditional = found
            if conditional and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            if conditional:
                self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_file.write_text(str(server.server_address[1]))
    server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    serve(Path(sys.argv[1]), Path(sys.argv[2]))
