"""Issue 13 in one run: start-up, daemon memory and storage, ours beside urlwatch's,
as one table (`python -m bench.lean [--quick] [--json PATH]`, or `python -m bench.run lean`).

Each measurement is its bench module's own (bench.startup.measure,
bench.daemon_memory.day, bench.storage.measure), run in a process of its own so
that one's imports and heap never count in another's figures; the child hands its
figures back as JSON and its usual report lines go into the JSON form only. What
each urlwatch figure is, is said beside it: start-up against `urlwatch --list`,
the database against urlwatch's cache after the same nine releases, resident
memory against the most any of urlwatch's nine runs held. Progress goes to stderr.

--quick times each command 5 times instead of 15 and simulates the day once, with
the web page on and loaded (the larger of the two); the nine releases are always
all nine. Without urlwatch (the `bench` extra) the peer columns stay empty.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import REPO

STEPS = ("startup", "storage", "daemon")
QUICK_REPEAT = 5


def _progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


def _step_startup(quick: bool) -> dict[str, Any]:
    from bench import startup

    samples = startup.measure(QUICK_REPEAT if quick else startup.REPEAT, _progress)

    def median_ms(runs: list[float]) -> float | None:
        return round(statistics.median(runs) * 1000, 1) if runs else None

    return {"repeat": len(samples.theirs) // len(startup.COMMANDS) if samples.theirs else None,
            "urlwatch_list_ms": None if samples.peer_ms is None else round(samples.peer_ms, 1),
            "commands": {name: median_ms(runs) for name, runs in samples.timings.items()},
            "floors": {startup.FLOORS[name]: median_ms(runs) for name, runs in samples.floors.items()},
            "target_ratio": startup.TARGET}


def _step_storage(quick: bool) -> dict[str, Any]:
    from bench import storage

    _progress("storage: recording the nine releases, then urlwatch on the same nine")
    measured = storage.measure()
    return {**dataclasses.asdict(measured), "structured": measured.structured}


def _step_daemon(quick: bool) -> dict[str, Any]:
    from bench import daemon_memory

    days = (True,) if quick else (False, True)
    return {("page" if web else "no_page"): daemon_memory.day(web=web, progress=_progress) for web in days}


MEASURE: dict[str, Callable[[bool], dict[str, Any]]] = {
    "startup": _step_startup, "storage": _step_storage, "daemon": _step_daemon}


def _child(step: str, out: Path, quick: bool) -> None:
    """Measure one step in this process and write its figures (and the module's own
    report lines, kept for the JSON form) to `out`."""
    lines = io.StringIO()
    with contextlib.redirect_stdout(lines):
        figures = MEASURE[step](quick)
    out.write_text(json.dumps({"figures": figures, "report": lines.getvalue().splitlines()}))


def _run_step(step: str, quick: bool) -> dict[str, Any]:
    start = time.perf_counter()
    print(f"bench.lean: {step} …", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-lean-") as tmp:
        out = Path(tmp) / f"{step}.json"
        argv = [sys.executable, "-m", "bench.lean", "--step", step, "--out", str(out), *(["--quick"] if quick else [])]
        code = subprocess.call(argv, cwd=REPO)
        if code:
            sys.exit(f"bench.lean: {step} failed (exit {code})")
        result: dict[str, Any] = json.loads(out.read_text())
    print(f"bench.lean: {step} done in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    return result


@dataclass
class Row:
    figure: str
    ours: float | None
    unit: str
    peer: float | None = None
    peer_is: str = ""  # what the urlwatch figure is
    target: str = ""
    # ours ≤ limit, or ours / peer ≤ limit when the target is a ratio
    limit: float | None = None
    limit_is_ratio: bool = False

    @property
    def ratio(self) -> float | None:
        return round(self.ours / self.peer, 2) if self.ours is not None and self.peer else None

    @property
    def holds(self) -> bool | None:
        if self.limit is None:
            return None
        value = self.ratio if self.limit_is_ratio else self.ours
        return None if value is None else value <= self.limit


def rows(startup: dict[str, Any], storage: dict[str, Any], daemon: dict[str, Any]) -> list[Row]:
    """The table, from the three steps' figures (pure: tested without measuring)."""
    table: list[Row] = []
    peer_ms = startup["urlwatch_list_ms"]
    limit = startup["target_ratio"]
    for name, ms in startup["commands"].items():
        table.append(Row(f"start-up: watcher {name}", ms, "ms", peer_ms, "urlwatch --list", f"≤ {limit}× urlwatch",
                         limit, limit_is_ratio=True))
    for code, ms in startup["floors"].items():
        table.append(Row(f"  floor: python -c '{code}'", ms, "ms", peer_ms, "urlwatch --list"))

    def mb(kb: int | None) -> float | None:
        return None if kb is None else round(kb / 1024, 1)

    peer_rss = mb(storage["urlwatch_peak_rss_kb"])
    peer_rss_is = "max RSS of its 9 runs"
    for key, label in (("no_page", "no page"), ("page", "page on, loaded")):
        if key not in daemon:
            continue
        day = daemon[key]
        table.append(Row(f"daemon RSS after a simulated day ({label})", day["rss_after_mb"], "MB", peer_rss,
                         peer_rss_is, "≤ 80 MB", 80))
        by_source = day["changed_polls_by_source"]
        table.append(Row(f"  changed polls that day ({', '.join(f'{s} {n}' for s, n in sorted(by_source.items()))}; "
                         f"of {day['polls']}, {day['refused']} refused)", sum(by_source.values()), "polls"))
        table.append(Row(f"daemon peak RSS over the day ({label})", day["rss_peak_mb"], "MB", peer_rss, peer_rss_is))
        table.append(Row(f"daemon + recording child, peak ({label})", day["with_children_peak_mb"], "MB",
                         peer_rss, peer_rss_is))
    table.append(Row("peak RSS recording the 9 releases (ours: one process)", mb(storage["recording_peak_rss_kb"]),
                     "MB", peer_rss, peer_rss_is))

    def mbytes(n: int | None) -> float | None:
        return None if n is None else round(n / 1e6, 2)

    parts = storage["parts"]
    table.append(Row(f"database after the 9 releases ({storage['refused']} refused)", mbytes(storage["file_bytes"]),
                     "MB", mbytes(storage["urlwatch_bytes"]), "its cache.db, same 9", "≤ 3 MB", 3))
    for part, label in (("raw", "raw archive"), ("versions", "versions"), ("changes", "changes"),
                        ("indexes", "indexes (all)"), ("raw_indexes", "of which raw archive's"),
                        ("versions_indexes", "of which versions'"), ("changes_indexes", "of which changes'"),
                        ("other", "other tables"), ("unused", "unused inside pages (counted above)")):
        table.append(Row(f"  {label}", mbytes(parts.get(part, 0)), "MB"))
    rows_changed = max(storage["changed_rows"], 1)
    table.append(Row(f"structured history per changed row ({storage['changed_rows']} rows)",
                     round(storage["structured"] / rows_changed), "bytes", target="≤ 500 bytes", limit=500))
    return table


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def render(table: list[Row]) -> str:
    head = ["figure", "unit", "watcher", "urlwatch", "urlwatch figure", "ratio", "target", "holds"]
    body = [[row.figure, row.unit, _cell(row.ours), _cell(row.peer), row.peer_is if row.peer is not None else "",
             _cell(row.ratio), row.target, {True: "yes", False: "NO", None: ""}[row.holds]] for row in table]
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head))]
    right = {2, 3, 5}
    return "\n".join("  ".join(cell.rjust(w) if i in right else cell.ljust(w)
                               for i, (cell, w) in enumerate(zip(line, widths, strict=True))).rstrip()
                     for line in [head, *body])


LEGEND = """\
ratio = watcher / urlwatch on this machine, same inputs. urlwatch figures: start-up is `urlwatch --list` on a
jobs file naming the same built-in sources (median of the same interleaved runs); database is its cache.db after
one run per release on a file:// job serving the same nine catalogs; RSS is the most any of those nine runs held
resident (ru_maxrss), beside the daemon after a simulated day of all built-in sources served from loopback."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.lean", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 timed runs per command, one simulated day")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH ('-': stdout only)")
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        _child(args.step, args.out, args.quick)
        return
    started = time.perf_counter()
    results = {step: _run_step(step, args.quick) for step in STEPS}
    figures = {step: result["figures"] for step, result in results.items()}
    table = rows(figures["startup"], figures["storage"], figures["daemon"])
    document = {
        "quick": args.quick, "python": platform.python_version(), "cpus": os.cpu_count(),
        "wall_s": round(time.perf_counter() - started),
        "rows": [{**dataclasses.asdict(row), "ratio": row.ratio, "holds": row.holds} for row in table],
        "figures": figures, "report": {step: result["report"] for step, result in results.items()},
    }
    if args.json == "-":
        print(json.dumps(document, indent=2))
        return
    print(render(table))
    print(LEGEND)
    print(f"({document['wall_s']} s{', --quick' if args.quick else ''})", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
