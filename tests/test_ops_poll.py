"""`watcher poll` of several sources: concurrent across hosts, one request at a
time per host, progress on a terminal; the change listing on a terminal is
readable at 100 columns while `--format` output stays as it was."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support import FIXTURES, run_watcher
from watcher.change_view import print_changes
from watcher.store.queries_changes import CHANGE_FIELDS

DEPRECATIONS = (FIXTURES / "openai_deprecations" / "deprecations-2026-06-27.md").read_bytes()
PRICING = (FIXTURES / "openai_pricing" / "pricing-2026-06-27.md").read_bytes()
OPENROUTER = (FIXTURES / "openrouter" / "models-2026-06-16.json").read_bytes()
WAIT = 30.0  # seconds a request waits for its partner before the test counts it as sequential


class Host:
    """A loopback host that records how many of its requests were in flight at once
    and, for the paths it is told to, holds the answer until another host's request
    has arrived: only concurrent polling can answer both."""

    def __init__(self, pages: dict[str, bytes], arrived: threading.Event, partner: threading.Event | None) -> None:
        self.in_flight = 0
        self.max_in_flight = 0
        self.waited_in_vain = False
        lock = threading.Lock()
        host = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with lock:
                    host.in_flight += 1
                    host.max_in_flight = max(host.max_in_flight, host.in_flight)
                arrived.set()
                if partner is not None and not partner.wait(WAIT):
                    host.waited_in_vain = True
                body = pages.get(self.path, b"")
                with lock:
                    host.in_flight -= 1
                self.send_response(200 if body else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hosts() -> Iterator[tuple[Host, Host]]:
    openai_arrived, openrouter_arrived = threading.Event(), threading.Event()
    openai = Host({"/deprecations.md": DEPRECATIONS, "/pricing.md": PRICING}, openai_arrived, openrouter_arrived)
    openrouter = Host({"/models": OPENROUTER}, openrouter_arrived, openai_arrived)
    yield openai, openrouter
    openai.close()
    openrouter.close()


def write_config(tmp_path: Path, openai: Host, openrouter: Host) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f"""
[sources.openai-deprecations]
url = "{openai.url('/deprecations.md')}"
[sources.openai-pricing]
url = "{openai.url('/pricing.md')}"
[sources.openrouter]
url = "{openrouter.url('/models')}"
[fetch]
timeout = {WAIT * 2}
retries = 0
""")
    return config


def test_sources_on_different_hosts_are_polled_at_once_and_one_host_one_at_a_time(
        tmp_path: Path, hosts: tuple[Host, Host], sqlite_url: str) -> None:
    openai, openrouter = hosts
    config = write_config(tmp_path, openai, openrouter)
    result = run_watcher(["-c", str(config), "--db", sqlite_url, "poll", "--format", "json"], cwd=tmp_path,
                         timeout=300)
    assert result.returncode == 0, result.stderr
    assert not openai.waited_in_vain and not openrouter.waited_in_vain  # both hosts were asked at once
    assert openai.max_in_flight == 1  # two sources of one host still go one after the other
    lines = sorted(result.stderr.strip().splitlines())
    assert [line.split(":")[0] for line in lines] == ["openai-deprecations", "openai-pricing", "openrouter"]
    assert all(": baseline, " in line for line in lines), lines


def test_progress_is_shown_on_a_terminal(tmp_path: Path, hosts: tuple[Host, Host], sqlite_url: str) -> None:
    openai, openrouter = hosts
    config = write_config(tmp_path, openai, openrouter)
    primary, secondary = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "watcher", "-c", str(config), "--db", sqlite_url, "poll",
                             "--format", "json"], stdout=subprocess.PIPE, stderr=secondary, env=env, cwd=tmp_path)
    os.close(secondary)
    seen = b""
    try:
        while True:
            ready, _, _ = select.select([primary], [], [], 120)
            if not ready:
                break
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the terminal closed: the process exited
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(primary)
        assert proc.wait(120) == 0
        assert proc.stdout is not None
        proc.stdout.close()
    text = seen.decode(errors="replace")
    assert "polling" in text and "/3" in text  # the live line: polling ━━━ 1/3 … openrouter
    for name in ("openai-deprecations", "openai-pricing", "openrouter"):
        assert f"{name}: baseline" in text


DALL_E = [
    {"detected_at": "2026-08-19T06:00:00.282042Z", "source": "openai-pricing", "model": "dall-e-2",
     "key": f"{size}/dall-e-2", "kind": "price", "field": "image", "old": old, "new": new, "severity": "warning",
     "note": None, "silence_id": None}
    for size, old, new in (("256-x-256", "$0.016/image", "$0.018/image"), ("512-x-512", "$0.018/image",
                                                                          "$0.020/image"),
                           ("1024-x-1024", "$0.02/image", "$0.022/image"))
]


def test_the_terminal_table_shows_keys_that_differ_and_fits_100_columns() -> None:
    out = io.StringIO()
    print_changes(DALL_E, title="changes", out=out, width=100)
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 100
    body = "\n".join(lines)
    for size in ("256-x-256/…", "512-x-512/…", "1024-x-1024/…"):
        assert size in body
    assert "2026-08-19 06:00" in body and ".282042" not in body
    # Each change is its model line plus its key line: no row wraps further.
    rows = [line for line in lines if line.startswith("2026-")]
    assert len(rows) == 3 and len(lines) == 3 + 3 + 3  # title, header, rule + 3 rows x 2 lines
    assert "$0.016/image → $0.018/image" in body and "price: image" in body


def test_changes_table_at_100_columns_and_formats_for_scripts_unchanged(tmp_path: Path) -> None:
    db = str(tmp_path / "w.db")
    for path, when in ((FIXTURES / "openai_deprecations" / "deprecations-2025-11-13.html", "2025-11-13T09:00:00Z"),
                       (FIXTURES / "openai_deprecations" / "deprecations-2026-06-27.md", "2026-06-27T10:30:00Z")):
        assert run_watcher(["--db", db, "ingest", "openai-deprecations", str(path), "--observed-at", when],
                           cwd=tmp_path).returncode == 0
    table = run_watcher(["--db", db, "changes", "--format", "table"], env={"COLUMNS": "100"}, cwd=tmp_path)
    assert table.returncode == 0 and max(len(line) for line in table.stdout.splitlines()) <= 100
    assert "2026-06-27 10:30" in table.stdout and "2025-06-10/…" in table.stdout
    rows = json.loads(run_watcher(["--db", db, "changes", "--format", "json"], cwd=tmp_path).stdout)
    assert rows and tuple(rows[0]) == CHANGE_FIELDS
    header = run_watcher(["--db", db, "changes", "--format", "csv"], cwd=tmp_path).stdout.splitlines()[0]
    assert header == "detected_at,source,model,kind,field,old,new,severity,note,silence_id"
