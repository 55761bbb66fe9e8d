"""Test helpers: a real HTTP upstream on 127.0.0.1, database URLs, CLI runs."""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
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
    """Run the `watcher` command line as its console entry point does, and return
    what a subprocess would: exit code, stdout and stderr (a traceback included).

    It runs in this process (a Python start-up per command cost the suite minutes)
    unless `env` sets PYTHONPATH: a changed import path needs its own interpreter."""
    if env is not None and "PYTHONPATH" in env:
        return run_watcher_process(args, env=env, cwd=cwd, timeout=timeout)
    return run_watcher_in_process(args, env=env, cwd=cwd)


def watcher_on(config: Path, db: str, *, env: Mapping[str, str] | None = None) -> Callable[..., str]:
    """`watcher` on this config and database: runs the arguments, expects success, returns stdout."""
    def watcher(*args: str) -> str:
        result = run_watcher(["--config", str(config), "--db", db, *args], env=env)
        assert result.returncode == 0, result.stderr
        return result.stdout

    return watcher


def run_watcher_process(args: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None,
                        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the real `watcher` console entry point in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "watcher", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout)


_run_lock = threading.Lock()


def run_watcher_in_process(args: Sequence[str], *, env: Mapping[str, str] | None = None,
                           cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`watcher.cli.main` with argv, environment, working directory and standard
    streams of its own for the call; everything process-wide it changes (the root
    logger, the engines it opened) is put back or closed afterwards."""
    import logging
    import traceback

    from sqlalchemy import Engine, event

    from watcher.cli import main

    engines: list[Engine] = []

    def opened(conn: Any) -> None:
        if conn.engine not in engines:
            engines.append(conn.engine)

    stdout, stderr = _Capture(), _Capture()
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    saved_argv, saved_cwd, saved_env = sys.argv, Path.cwd(), dict(os.environ)
    root = logging.getLogger()
    saved_root = list(root.handlers), root.level
    saved_levels = {name: logger.level for name, logger in logging.Logger.manager.loggerDict.items()
                    if isinstance(logger, logging.Logger)}
    with _run_lock:
        event.listen(Engine, "engine_connect", opened)
        try:
            os.environ.update(env or {})
            if cwd is not None:
                os.chdir(cwd)
            sys.argv = ["watcher", *args]
            sys.stdin, sys.stdout, sys.stderr = io.StringIO(), stdout, stderr
            try:
                main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                if exc.code is not None and not isinstance(exc.code, int):
                    print(exc.code, file=stderr)
            except BaseException:  # what the interpreter prints for an exception nothing caught
                traceback.print_exc(file=stderr)
                code = 1
        finally:
            sys.stdin, sys.stdout, sys.stderr = saved_streams
            sys.argv = saved_argv
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
            root.handlers[:] = saved_root[0]
            root.setLevel(saved_root[1])
            for name, logger in logging.Logger.manager.loggerDict.items():
                if isinstance(logger, logging.Logger):
                    logger.setLevel(saved_levels.get(name, logging.NOTSET))
            event.remove(Engine, "engine_connect", opened)
            for engine in engines:
                engine.dispose()
    return subprocess.CompletedProcess(["watcher", *args], code, stdout.text(), stderr.text())


class _Capture(io.TextIOWrapper):
    """A standard stream for an in-process run: text and `.buffer` as a pipe would
    take them, read back with universal newlines as `subprocess.run(text=True)` does."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", errors="replace", newline="\n", write_through=True)

    def text(self) -> str:
        self.flush()
        raw = self.buffer.getvalue()  # type: ignore[attr-defined]
        return str(raw.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n"))

    def close(self) -> None:  # a command closing its output must leave it readable
        self.flush()
