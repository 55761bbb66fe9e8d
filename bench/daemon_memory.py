"""Issues 5 and 13 figure: resident memory of `watcher run` after a day's worth of
polls of every built-in source, served from loopback (target ≤ 80 MB).

A day is compressed into cycles: every source is polled every second until each
has been polled as often as an hourly source is in a day (24), which is more
than the shipped schedules poll any of them. LiteLLM serves real consecutive
releases (the nine from 1.72.0 to 1.101.4, from the PyPI wheels), moving to the
next once a run has recorded its body: each is a changed poll of hundreds of rows,
none refused by the guard. OpenRouter moves once from its June
capture to its August one; the rest answer 304 or the same body, as they do most
of the day. The daemon runs as its own process, in the unit's environment
(PYTHONMALLOC and friends from systemd/model-watcher.service); its RSS is read
from /proc, and where it lives from /proc/PID/smaps, by mapping. A new body is
recorded by a short-lived child (watcher/daemon/isolated.py): `with_children_peak_mb`
is the most the daemon and its children held at once, sampled every second.
The day runs twice: without the web page, then with it on and loaded after the day.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import _releases
from bench._loopback import SOURCES as CATALOG_SOURCES
from bench.common import REPO, capture, report

POLLS_PER_SOURCE = 24  # an hourly source's day
TRACE = os.environ.get("BENCH_TRACEMALLOC") == "1"
# The providers' own pages (issue 14's sources), each served from its capture; account
# views stay off (no API key), as they are in a default install.
PROVIDER_PAGES = {
    "anthropic-deprecations": "anthropic-deprecations.html",
    "gemini-deprecations": "google-deprecations.html",
    "vertex-model-versions": "vertex-model-versions.html",
    "azure-retirements": "azure-retirement-schedule.md",
    "bedrock-lifecycle": "bedrock-lifecycle.html",
    "mistral-models": "mistral-models.html",
}
SOURCES = {**CATALOG_SOURCES, **{
    name: (f"/{page}", (f"providers/{page}", f"providers/{page}"), (f"providers/{page}", f"providers/{page}"))
    for name, page in PROVIDER_PAGES.items()}}
# Real consecutive LiteLLM releases: the nine issue 13 sizes the database with (1.72.0 →
# 1.101.4, wheels cached in WATCHER_PYPI_CACHE). None is refused by the guard as of this
# writing; the run reports refusals if that changes.
RELEASES = _releases.NINE


def _rss_kb(pid: int) -> dict[str, int]:
    """VmRSS (resident), VmHWM (peak resident), RssAnon (heap, not shared libraries)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            fields[key] = int(value.split()[0])
    return fields


def _tree_rss_kb(pid: int) -> int:
    """VmRSS of the daemon and its children (the short-lived recording child, issue 13)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        for kid in kids:
            try:
                total += _rss_kb(int(kid)).get("VmRSS", 0)
            except OSError:
                pass  # exited meanwhile
    return _rss_kb(pid)["VmRSS"] + total


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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


def _recorded(db: Path, source: str) -> set[str]:
    """The bodies (sha256) the runs of `source` have recorded so far."""
    import sqlite3

    if not db.exists():
        return set()
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT DISTINCT content_hash FROM run WHERE source = ? AND content_hash IS NOT NULL",
                            (source,)).fetchall()
    return {digest for (digest,) in rows}


def _by_mapping(pid: int) -> dict[str, int]:
    """Resident KB per kind of mapping: the heap, anonymous mmaps (big buffers, thread
    stacks, pymalloc arenas), each shared library or extension, the rest."""
    kinds: dict[str, int] = {}
    current = "?"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and len(fields) >= 5 and fields[0][0] in "0123456789abcdef":
            path = fields[5] if len(fields) >= 6 else ""
            current = ("[heap]" if path == "[heap]" else "[anon]" if not path
                       else path if path.startswith("[") else Path(path).name.split(".cpython")[0].split(".so")[0])
        elif fields and fields[0] == "Rss:":
            kinds[current] = kinds.get(current, 0) + int(fields[1])
    return dict(sorted(kinds.items(), key=lambda item: -item[1]))


def main() -> None:
    day(web=False)
    # `[daemon] web = true` is the default once `listen` is set: the page loaded after the day.
    day(web=True)


def day(*, web: bool, progress: Callable[[str], None] | None = None) -> dict[str, object]:
    """One simulated day; reports its figures and returns them (bench.lean's table)."""
    label = " (page on, loaded)" if web else ""
    with tempfile.TemporaryDirectory(prefix="bench-daemon-") as tmp:
        folder = Path(tmp)
        routes_file, port_file = folder / "routes.json", folder / "port"
        files = {name: str(capture(*first)) for name, (_, first, _) in SOURCES.items()}
        releases, digests = [], []
        for version in RELEASES:
            path = folder / f"litellm-{version}.json"
            body = _releases.catalog(version)
            path.write_bytes(body)
            releases.append(str(path))
            digests.append(hashlib.sha256(body).hexdigest())
        files["litellm"] = releases[0]

        def write_routes() -> None:
            routes = json.dumps({path: {"file": files[name], "etag": name != "models-dev"}
                                 for name, (path, _, _) in SOURCES.items()})
            if not routes_file.exists() or routes_file.read_text() != routes:
                # Replaced whole: the server never reads a half-written file.
                (folder / "routes.tmp").write_text(routes)
                os.replace(folder / "routes.tmp", routes_file)

        write_routes()
        server = subprocess.Popen([sys.executable, "-m", "bench._loopback", str(routes_file), str(port_file)])
        try:
            while not port_file.exists() or not port_file.read_text():
                time.sleep(0.05)
            base = f"http://127.0.0.1:{port_file.read_text()}"
            listen = _free_port()
            config = folder / "config.toml"
            config.write_text("".join(
                f'[sources.{name}]\nevery = "1s"\nurl = "{base}{path}"\n\n'
                for name, (path, _, _) in SOURCES.items()) + "[fetch]\nretries = 0\n"
                + (f'[daemon]\nlisten = "127.0.0.1:{listen}"\nweb = true\n' if web else ""))
            db = folder / "watcher.db"
            subprocess.run([sys.executable, "-m", "watcher", "--db", str(db), "db", "upgrade"], check=True,
                           capture_output=True)
            log = (folder / "daemon.log").open("wb")
            traces = folder / "tracemalloc.txt"
            # BENCH_TRACEMALLOC=1: where Python's own allocations are at the end (slower, bigger).
            launcher = ["bench._traced", str(traces)] if TRACE else ["watcher"]
            daemon = subprocess.Popen([sys.executable, "-m", *launcher, "--config", str(config), "--db", str(db),
                                       "run"], stdout=log, stderr=subprocess.STDOUT, cwd=folder,
                                      env={**os.environ, **_unit_environment(), "PYTHONPATH": str(REPO),
                                           # a built-in this bench does not serve must not reach the internet
                                           "WATCHER_BUILTIN_SOURCES": "named"})
            started = time.monotonic()
            first: dict[str, int] | None = None
            samples: list[int] = []
            tree_peak = 0
            release = 0
            while True:
                time.sleep(1.0)
                runs = _runs(db) if db.exists() else {}
                if first is None and len(runs) == len(SOURCES):
                    first = _rss_kb(daemon.pid)  # everything imported, one poll of each done
                done = min((runs.get(name, 0) for name in SOURCES), default=0)
                if progress and len(samples) % 15 == 0:
                    progress(f"daemon day{label}: {done} of {POLLS_PER_SOURCE} polls of every source, "
                             f"release {release + 1} of {len(releases)}, {round(time.monotonic() - started)} s")
                samples.append(round(_rss_kb(daemon.pid)["VmRSS"] / 1024))
                tree_peak = max(tree_peak, _tree_rss_kb(daemon.pid))
                if done >= POLLS_PER_SOURCE or daemon.poll() is not None or time.monotonic() - started > 900:
                    break
                # The next release once a run has recorded this one's body: counting runs
                # instead would count a poll that fetched the previous release while
                # this one was being put in place, and skip a release.
                if release + 1 < len(releases) and digests[release] in _recorded(db, "litellm"):
                    release += 1
                    files["litellm"] = releases[release]
                # Halfway through its day (by its polls: a loaded machine starts the daemon late).
                if runs.get("openrouter", 0) >= POLLS_PER_SOURCE // 2:
                    files["openrouter"] = str(capture(*SOURCES["openrouter"][2]))
                write_routes()
            if daemon.poll() is not None:
                log.close()
                sys.exit(f"watcher run exited ({daemon.returncode}):\n{(folder / 'daemon.log').read_text()}")
            polling = _rss_kb(daemon.pid)
            # The day is over: its schedules go back to hourly by a reload (as `systemctl
            # reload` does), and once no run has been recorded for a few seconds nothing is
            # in flight: what follows is the daemon at rest after its day, as it spends
            # nearly all of a real one, not a second-by-second poll caught half done.
            config.write_text(config.read_text().replace('every = "1s"', 'every = "1h"'))
            daemon.send_signal(signal.SIGHUP)
            while b"configuration reloaded" not in (folder / "daemon.log").read_bytes():
                if daemon.poll() is not None or time.monotonic() - started > 1200:
                    sys.exit(f"watcher run did not reload:\n{(folder / 'daemon.log').read_text()}")
                time.sleep(0.2)
            quiet_since, seen = time.monotonic(), sum(_runs(db).values())
            while time.monotonic() - quiet_since < 3.0:
                time.sleep(0.5)
                if (now := sum(_runs(db).values())) != seen:
                    quiet_since, seen = time.monotonic(), now
            if web:
                import urllib.request

                for page in ("/", "/sources", "/feeds/changes.atom"):
                    with urllib.request.urlopen(f"http://127.0.0.1:{listen}{page}", timeout=60) as reply:
                        reply.read()
                time.sleep(1.0)
            after = _rss_kb(daemon.pid)
            mappings = _by_mapping(daemon.pid)
            if TRACE:
                daemon.send_signal(signal.SIGUSR2)
                while not traces.exists():
                    time.sleep(0.1)
                time.sleep(1.0)
                print(traces.read_text(), flush=True)
            daemon.terminate()
            code = daemon.wait(60)
            log.close()
            outcomes = _outcomes(db)
            changed = _changed_by_source(db)
        finally:
            server.terminate()
            server.wait(10)
        total = sum(outcomes.values())
        figures: dict[str, object] = {
            "polls": total, "outcomes": "/".join(f"{k} {v}" for k, v in sorted(outcomes.items())),
            "changed_polls": "/".join(f"{k} {v}" for k, v in sorted(changed.items())),
            "refused": outcomes.get("refused", 0),
            "rss_first_cycle_mb": round((first or {}).get("VmRSS", 0) / 1024, 1),
            # At rest after the day (nothing in flight; the page loaded when on): the target's figure.
            "rss_after_mb": round(after["VmRSS"] / 1024, 1), "rss_peak_mb": round(after["VmHWM"] / 1024, 1),
            # The moment the day's polling stopped, polls of every second still in flight.
            "rss_end_of_polling_mb": round(polling["VmRSS"] / 1024, 1),
            # Through the day: the median of its last quarter, polls in flight or not.
            "rss_last_quarter_median_mb": sorted(samples[-len(samples) // 4:])[len(samples) // 8] if samples else 0,
            "with_children_peak_mb": round(tree_peak / 1024, 1),
            "of_which_anon_mb": round(after["RssAnon"] / 1024, 1), "file_mb": round(after["RssFile"] / 1024, 1),
            "exit": code, "wall_s": round(time.monotonic() - started, 1)}
        report(f"daemon after a day of polls{label}", figures, "≤ 80 MB")
        report(f"resident MB by mapping{label}", {name: round(kb / 1024, 1) for name, kb in list(mappings.items())[:12]})
        report(f"resident MB, second by second{label}", {"rss": " ".join(map(str, samples))})
        return {**figures, "changed_polls_by_source": changed}


def _changed_by_source(db: Path) -> dict[str, int]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT source, COUNT(*) FROM run WHERE outcome = 'changed' GROUP BY source"))


def _outcomes(db: Path) -> dict[str, int]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT outcome, COUNT(*) FROM run GROUP BY outcome").fetchall())


if __name__ == "__main__":
    main()
