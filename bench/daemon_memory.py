"""Issue 5 figure: resident memory of `watcher run` after a day's worth of polls of
every built-in source, served from loopback (target ≤ 90 MB).

A day is compressed into cycles: every source is polled every second until each
has been polled as often as an hourly source is in a day (24), which is more
than the shipped schedules poll any of them. The pages are real captures; every
few cycles the two catalogs switch to their other capture (thousands of rows
changed, as on a release day), the rest answer 304 or the same body, as they do
most of the day. The daemon runs as its own process; its RSS is read from /proc.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import capture, report
from bench._loopback import SOURCES

POLLS_PER_SOURCE = 24  # an hourly source's day
FLIP_EVERY = 8  # catalogs switch capture every 8th cycle: 3 release days in one day


def _rss_kb(pid: int) -> dict[str, int]:
    """VmRSS (resident), VmHWM (peak resident), RssAnon (heap, not shared libraries)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            fields[key] = int(value.split()[0])
    return fields


def _unit_environment() -> dict[str, str]:
    """The interpreter/allocator settings the systemd unit runs the daemon with, so
    the figure is the deployed one (paths and config variables are the bench's own)."""
    unit = Path(__file__).resolve().parent.parent / "systemd" / "model-watcher.service"
    found = {}
    for line in unit.read_text().splitlines():
        if line.startswith("Environment=") and "=" in line[len("Environment="):]:
            name, _, value = line[len("Environment="):].partition("=")
            if name.startswith(("PYTHON", "MALLOC")):
                found[name] = value
    return found


def _runs(db: Path) -> dict[str, int]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT source, COUNT(*) FROM run GROUP BY source").fetchall())


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-daemon-") as tmp:
        folder = Path(tmp)
        routes_file, port_file = folder / "routes.json", folder / "port"
        versions = {name: [str(capture(*first)), str(capture(*second))]
                    for name, (_, first, second) in SOURCES.items()}
        current = {name: 0 for name in SOURCES}

        def write_routes() -> None:
            routes = {path: {"file": versions[name][current[name]], "etag": name != "models-dev"}
                      for name, (path, _, _) in SOURCES.items()}
            routes_file.write_text(json.dumps(routes))

        write_routes()
        server = subprocess.Popen([sys.executable, "-m", "bench._loopback", str(routes_file), str(port_file)])
        try:
            while not port_file.exists() or not port_file.read_text():
                time.sleep(0.05)
            base = f"http://127.0.0.1:{port_file.read_text()}"
            config = folder / "config.toml"
            config.write_text("".join(
                f'[sources.{name}]\nevery = "1s"\nurl = "{base}{path}"\n\n'
                for name, (path, _, _) in SOURCES.items()) + "[fetch]\nretries = 0\n")
            db = folder / "watcher.db"
            subprocess.run([sys.executable, "-m", "watcher", "--db", str(db), "db", "upgrade"], check=True,
                           capture_output=True)
            log = (folder / "daemon.log").open("wb")
            daemon = subprocess.Popen([sys.executable, "-m", "watcher", "--config", str(config), "--db", str(db),
                                       "run"], stdout=log, stderr=subprocess.STDOUT, cwd=folder,
                                      env={**os.environ, **_unit_environment()})
            started = time.monotonic()
            first: dict[str, int] | None = None
            samples: list[int] = []
            cycle = 0
            while True:
                time.sleep(1.0)
                runs = _runs(db) if db.exists() else {}
                if first is None and len(runs) == len(SOURCES):
                    first = _rss_kb(daemon.pid)  # everything imported, one poll of each done
                done = min((runs.get(name, 0) for name in SOURCES), default=0)
                samples.append(round(_rss_kb(daemon.pid)["VmRSS"] / 1024))
                if done >= POLLS_PER_SOURCE or daemon.poll() is not None or time.monotonic() - started > 600:
                    break
                cycle += 1
                if cycle % FLIP_EVERY == 0:
                    for name in ("openrouter", "litellm"):
                        current[name] = 1 - current[name]
                    write_routes()
            if daemon.poll() is not None:
                log.close()
                sys.exit(f"watcher run exited ({daemon.returncode}):\n{(folder / 'daemon.log').read_text()}")
            after = _rss_kb(daemon.pid)
            daemon.terminate()
            code = daemon.wait(60)
            log.close()
            outcomes = _outcomes(db)
        finally:
            server.terminate()
            server.wait(10)
        total = sum(outcomes.values())
        report("daemon after a day of polls", {
            "polls": total, "outcomes": "/".join(f"{k} {v}" for k, v in sorted(outcomes.items())),
            "rss_first_cycle_mb": round((first or {}).get("VmRSS", 0) / 1024, 1),
            "rss_after_mb": round(after["VmRSS"] / 1024, 1), "rss_peak_mb": round(after["VmHWM"] / 1024, 1),
            "of_which_anon_mb": round(after["RssAnon"] / 1024, 1), "file_mb": round(after["RssFile"] / 1024, 1),
            "exit": code, "wall_s": round(time.monotonic() - started, 1)}, "≤ 90 MB")
        report("resident MB, second by second", {"rss": " ".join(map(str, samples))})


def _outcomes(db: Path) -> dict[str, int]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT outcome, COUNT(*) FROM run GROUP BY outcome").fetchall())


if __name__ == "__main__":
    main()
