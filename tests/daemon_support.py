"""Helpers for the daemon's integration tests: a `watcher run` subprocess, its
config, an sd_notify socket, a webhook sink, and database look-ups."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import col, select

from tests.support import FIXTURES
from watcher.config import BUILTIN_SOURCE_NAMES
from watcher.store.engine import make_engine, read_session
from watcher.store.migrate import ensure_schema
from watcher.store.tables import ChangeRecord, Delivery, Lease, ObservationVersion, Run

DEPRECATIONS_MD = (FIXTURES / "openai_deprecations" / "deprecations-2026-06-27.md").read_text(encoding="utf-8")
SOURCE = "openai-deprecations"
PATH = "/deprecations.md"  # where the tests' upstream serves it
# Fail fast on an upstream a test has stopped or made slow.
QUICK_FETCH = "[fetch]\ntimeout = 5\nretries = 0\n"
# One row's shutdown date moved: exactly one `shutdown_date` change.
CHANGED_MD = DEPRECATIONS_MD.replace("| Dec 11, 2026  | `o3-2025-04-16`  ", "| Jan 15, 2027  | `o3-2025-04-16`  ", 1)
assert CHANGED_MD != DEPRECATIONS_MD


def gzip_bomb(size: int) -> bytes:
    """`size` zero bytes, gzip-compressed in constant memory (about 1000:1)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(size >> 20)]
    return b"".join(parts) + compressor.flush()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(path: Path, sources: Mapping[str, Mapping[str, Any]], *, extra: str = "") -> Path:
    """A config.toml with only `sources` enabled (every other built-in off)."""
    lines: list[str] = []
    for name in BUILTIN_SOURCE_NAMES:
        if name not in sources:
            lines += [f"[sources.{name}]", "enabled = false", ""]
    for name, options in sources.items():
        lines.append(f"[sources.{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in options.items()]
        lines.append("")
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def wait_for(what: str, predicate: Callable[[], Any], timeout: float = 60.0, every: float = 0.05) -> Any:
    """Poll `predicate` until it is truthy. The timeout only bounds how long a broken
    run takes to fail: it is generous on purpose, so a loaded 2-core CI machine
    never turns slowness into a failure (speed is measured in bench/, not here)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


class WatcherProcess:
    """`python -m watcher --config C --db D run` in the background, its log in a file."""

    def __init__(self, config: Path, db_url: str, *, env: Mapping[str, str] | None = None,
                 listen: int | None = None) -> None:
        self.log_path = config.with_name(f"daemon-{time.monotonic_ns()}.log")
        self._log = self.log_path.open("wb")
        self.listen = listen
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        if "NOTIFY_SOCKET" not in (env or {}):
            full_env.pop("NOTIFY_SOCKET", None)  # the test runner's own systemd must not hear us
        self.proc = subprocess.Popen([sys.executable, "-m", "watcher", "--config", str(config), "--db", db_url, "run"],
                                     stdout=self._log, stderr=subprocess.STDOUT, env=full_env, cwd=config.parent)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, text: str, timeout: float = 60.0, count: int = 1) -> None:
        def seen() -> bool:
            if self.proc.poll() is not None and self.log().count(text) < count:
                raise AssertionError(f"watcher exited ({self.proc.returncode}) before logging {text!r}:\n{self.log()}")
            return self.log().count(text) >= count

        wait_for(f"{text!r} x{count} in the log", seen, timeout)

    def signal(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 60.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._log.close()

    def get(self, path: str) -> tuple[int, str]:
        assert self.listen is not None
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.listen}{path}", timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError:
            return 0, ""

    def metric(self, sample: str) -> float | None:
        """The value of one sample, e.g. `watcher_leader` or `watcher_polls_total{outcome="x",source="y"}`."""
        _, body = self.get("/metrics")
        for line in body.splitlines():
            name, _, value = line.rpartition(" ")
            if name == sample:
                return float(value)
        return None


@contextlib.contextmanager
def watcher_process(config: Path, db_url: str, **kwargs: Any) -> Iterator[WatcherProcess]:
    process = WatcherProcess(config, db_url, **kwargs)
    try:
        yield process
    finally:
        process.kill()


class NotifySocket:
    """A stand-in for systemd's $NOTIFY_SOCKET: collects every datagram."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="notify-")  # short: sun_path is ~100 bytes
        self.path = str(Path(self._dir.name) / "n.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.1)
        self.messages: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._collect, daemon=True)
        self._thread.start()

    def _collect(self) -> None:
        while not self._stop.is_set():
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except TimeoutError:
                continue
            except OSError:
                return

    def fields(self) -> list[str]:
        return [field for message in list(self.messages) for field in message.split("\n")]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()
        self._dir.cleanup()


class WebhookSink:
    """A loopback endpoint standing in for a chat webhook: records every POST body."""

    def __init__(self) -> None:
        self.posts: list[bytes] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                sink.posts.append(self.rfile.read(length))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- the database, read from the test's side ---------------------------------------------


class Db:
    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url)
        ensure_schema(self.engine)  # as ExecStartPre=`watcher db upgrade` would

    def runs(self, source: str = SOURCE) -> list[Run]:
        with read_session(self.engine) as session:
            return list(session.exec(select(Run).where(Run.source == source).order_by(col(Run.id))))

    def changes(self, kind: str | None = None, source: str = SOURCE) -> list[ChangeRecord]:
        with read_session(self.engine) as session:
            query = select(ChangeRecord).where(ChangeRecord.source == source)
            if kind is not None:
                query = query.where(ChangeRecord.kind == kind)
            return list(session.exec(query.order_by(col(ChangeRecord.id))))

    def versions(self, *, current: bool = False) -> int:
        with read_session(self.engine) as session:
            query = select(func.count()).select_from(ObservationVersion)
            if current:
                query = query.where(col(ObservationVersion.valid_to).is_(None))
            return int(session.exec(query).one())

    def lease(self) -> Lease | None:
        with read_session(self.engine) as session:
            return session.get(Lease, "leader")

    def deliveries(self) -> list[Delivery]:
        with read_session(self.engine) as session:
            return list(session.exec(select(Delivery).order_by(col(Delivery.id))))

    def close(self) -> None:
        self.engine.dispose()


@contextlib.contextmanager
def postgres_schema(base: str) -> Iterator[str]:
    """A private schema on the test PostgreSQL, as a URL whose search_path points at it."""
    import uuid

    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
