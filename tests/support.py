"""Test helpers: a real HTTP upstream on 127.0.0.1, database URLs, CLI runs."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).with_name("fixtures")
PG_ENV = "WATCHER_TEST_DATABASE_URL"


@dataclasses.dataclass
class Response:
    body: bytes
    status: int = 200
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (timeouts)


class Upstream:
    """A loopback HTTP server whose routes tests change between polls."""

    def __init__(self) -> None:
        self.routes: dict[str, Response | list[Response]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                upstream.requests.append((self.path, dict(self.headers.items())))
                response = upstream._next(self.path)
                if response.delay:
                    threading.Event().wait(response.delay)
                self.send_response(response.status)
                headers = {"Content-Length": str(len(response.body)), **response.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(response.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def set(self, path: str, body: bytes | str, status: int = 200, headers: Mapping[str, str] | None = None,
            delay: float = 0.0) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Response(data, status, dict(headers or {}), delay)

    def sequence(self, path: str, responses: Sequence[Response]) -> None:
        """Answer with each response in turn; the last one repeats."""
        self.routes[path] = list(responses)

    def _next(self, path: str) -> Response:
        route = self.routes.get(path.split("?", 1)[0]) or self.routes.get(path)
        if route is None:
            return Response(b"not found", 404)
        if isinstance(route, list):
            return route.pop(0) if len(route) > 1 else route[0]
        return route

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_watcher(args: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None,
                timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the real `watcher` console entry point in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "watcher", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout)
