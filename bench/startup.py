"""Issue 13 figure: how fast query commands answer, beside `urlwatch --list` (target ≤ 1.3×).

Both run as fresh processes from this interpreter's environment, interleaved
(ours, theirs, ours, …) so that a busy machine slows both alike; the figure is the
median wall time. Ours read a SQLite database holding the nine LiteLLM releases;
urlwatch lists a jobs file naming the same built-in sources. urlwatch comes with
the `bench` extra (`pip install -e '.[bench]'`); without it the ratios are left out.

BENCH_STARTUP_BASELINE=PATH also times the same commands run from another checkout
of the watcher (e.g. `git worktree add /tmp/base main`), interleaved with the
others, so a change's before -> after comes from one run on one machine. It reads
the database this checkout writes, so it must be at the same schema revision.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import _releases
from bench.common import report

REPEAT = int(os.environ.get("BENCH_STARTUP_REPEAT", "15"))
COMMANDS = (
    ("changes", ["changes", "--since", "2026-01-08"]),
    ("history", ["history", "gpt-4o"]),
    ("show", ["show", "gpt-4o", "--today", "2026-01-10"]),
    ("upcoming", ["upcoming"]),
    ("sources", ["sources"]),
    ("outbox", ["outbox"]),
)
TARGET = 1.3
# What no query command can start below: the interpreter with the libraries every
# query needs on SQLite (the standard library's sqlite3, Typer), doing nothing.
# Reported beside the commands so a ratio can be read as ours + theirs. The second,
# with SQLAlchemy's SQLite dialect, is what the floor was while queries read through
# SQLAlchemy (PostgreSQL still does).
FLOORS = {"floor": "import sqlite3, typer", "floor with SQLAlchemy": "import sqlalchemy.dialects.sqlite, typer"}
BASELINE = os.environ.get("BENCH_STARTUP_BASELINE")


def _urlwatch() -> Path | None:
    beside = Path(sys.executable).with_name("urlwatch")
    found = beside if beside.exists() else shutil.which("urlwatch")
    return Path(found) if found else None


def _urlwatch_files(folder: Path) -> list[str]:
    from sources.registry import BUILTIN, builtin

    jobs = "---\n".join(f"name: {name}\nurl: {builtin(name).urls[0]}\n" for name in BUILTIN)
    (folder / "urls.yaml").write_text(jobs)
    return ["--urls", str(folder / "urls.yaml"), "--config", str(folder / "urlwatch.yaml"),
            "--cache", str(folder / "cache.db"), "--hooks", str(folder / "hooks.py")]


def _seconds(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed


def _compile_ours() -> None:
    """Byte-compile our packages, as installing them does (pip compiles what it installs,
    urlwatch included). An editable checkout run with PYTHONDONTWRITEBYTECODE would
    otherwise compile every module of ours from source in every timed run."""
    import compileall

    import sources
    import watcher

    for package in (watcher, sources):
        for folder in package.__path__:
            compileall.compile_dir(folder, quiet=1)


def _compile(folder: Path) -> None:
    import compileall

    for package in ("watcher", "sources"):
        compileall.compile_dir(folder / package, quiet=1)


@dataclass
class Samples:
    """Wall seconds of every timed run, per command (ours, and the baseline checkout's
    when BENCH_STARTUP_BASELINE is set), per floor, and urlwatch --list's (none
    without urlwatch)."""

    timings: dict[str, list[float]]
    before: dict[str, list[float]]
    floors: dict[str, list[float]]
    theirs: list[float]

    @property
    def peer_ms(self) -> float | None:
        return statistics.median(self.theirs) * 1000 if self.theirs else None


def measure(repeat: int = REPEAT, progress: Callable[[str], None] | None = None) -> Samples:
    """Time every command, floor and urlwatch --list `repeat` times, interleaved."""
    _compile_ours()
    baseline = Path(BASELINE).resolve() if BASELINE else None
    if baseline:
        _compile(baseline)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        folder = Path(tmp)
        db = folder / "watcher.db"
        for _ in _releases.record(db, _releases.NINE):
            pass
        (folder / "config.toml").write_text("")
        env = {**os.environ, "WATCHER_DB": str(db), "WATCHER_CONFIG": str(folder / "config.toml")}
        # The baseline's modules first on the path: run in its folder (`-m` puts the working
        # folder first, before this checkout's editable install).
        base_env = {**env, "PYTHONPATH": str(baseline)} if baseline else None
        ours = [sys.executable, "-m", "watcher"]
        urlwatch = _urlwatch()
        peer = [str(urlwatch), *_urlwatch_files(folder), "--list"] if urlwatch else None
        if peer:
            _seconds(peer, env)  # writes its default config once
        samples = Samples({name: [] for name, _ in COMMANDS}, {name: [] for name, _ in COMMANDS},
                          {name: [] for name in FLOORS}, [])
        for round_ in range(repeat):
            if progress:
                progress(f"start-up: round {round_ + 1} of {repeat}")
            for name, code in FLOORS.items():
                samples.floors[name].append(_seconds([sys.executable, "-c", code], env))
            for name, args in COMMANDS:
                samples.timings[name].append(_seconds([*ours, *args, "--format", "json"], env))
                if base_env:
                    samples.before[name].append(_seconds([*ours, *args, "--format", "json"], base_env, baseline))
                if peer:
                    samples.theirs.append(_seconds(peer, env))
    return samples


def main() -> None:
    samples = measure()
    timings, before, floors, theirs, peer_ms = (samples.timings, samples.before, samples.floors, samples.theirs,
                                                samples.peer_ms)
    lines = _table(timings, before, floors, peer_ms)
    if peer_ms:
        report("urlwatch --list", {"median_ms": round(peer_ms), "runs": len(theirs)})
    for name, runs in floors.items():
        ms = statistics.median(runs) * 1000
        report(f"{name}: python -c '{FLOORS[name]}'",
               {"median_ms": round(ms), **({"ratio": round(ms / peer_ms, 2)} if peer_ms else {})})
    for name, runs in timings.items():
        ms = statistics.median(runs) * 1000
        figures: dict[str, object] = {"median_ms": round(ms), "best_ms": round(min(runs) * 1000)}
        if before[name]:
            figures["baseline_ms"] = round(statistics.median(before[name]) * 1000)
        if peer_ms:
            figures["urlwatch_ms"] = round(peer_ms)
            figures["ratio"] = round(ms / peer_ms, 2)
            if before[name]:
                figures["baseline_ratio"] = round(statistics.median(before[name]) * 1000 / peer_ms, 2)
        report(f"start-up: watcher {name}", figures, f"≤ {TARGET}× urlwatch --list")
    print("\n".join(lines), flush=True)


def _table(timings: dict[str, list[float]], before: dict[str, list[float]], floors: dict[str, list[float]],
           peer_ms: float | None) -> list[str]:
    """The figures as one table: per command ours (and the baseline's), urlwatch's, the ratio."""
    def ms(samples: list[float]) -> str:
        return f"{statistics.median(samples) * 1000:.0f}" if samples else "-"

    def ratio(samples: list[float]) -> str:
        return f"{statistics.median(samples) * 1000 / peer_ms:.2f}" if samples and peer_ms else "-"

    baseline = any(before.values())
    head = ["start-up (median ms)", "watcher", *(["baseline"] if baseline else []), "urlwatch --list", "ratio",
            *(["baseline ratio"] if baseline else []), f"≤ {TARGET}"]
    rows = [[f"watcher {name}", ms(samples), *([ms(before[name])] if baseline else []),
             f"{peer_ms:.0f}" if peer_ms else "-", ratio(samples), *([ratio(before[name])] if baseline else []),
             ("yes" if ratio(samples) != "-" and float(ratio(samples)) <= TARGET else "no") if peer_ms else "-"]
            for name, samples in timings.items()]
    rows += [[f"{name} ({FLOORS[name]})", ms(samples), *(["-"] if baseline else []),
              f"{peer_ms:.0f}" if peer_ms else "-", ratio(samples), *(["-"] if baseline else []), ""]
             for name, samples in floors.items()]
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    return ["  ".join(cell.ljust(width) if i == 0 else cell.rjust(width) for i, (cell, width)
                      in enumerate(zip(row, widths, strict=True))) for row in [head, *rows]]


if __name__ == "__main__":
    main()
