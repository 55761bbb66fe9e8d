"""Replay real catalog histories through the product and score what it reported.

    python -m bench.replay_history [--source litellm|models-dev] [--cache DIR] [--keep DIR]

A new user's path, end to end: the real releases of LiteLLM's catalog (1.56.6 → 1.109.1, from the
wheels on PyPI) and of models.dev's `api.json` (from the `models-dev` package, plus the reference
captures) are written as a directory of captures one day apart and backfilled with
`watcher ingest SOURCE DIR` into a fresh SQLite database; `watcher changes` then lists what the
product reported. Each step is scored against an independent diff of the raw JSON
(`bench._replay_rawdiff`): refused polls, and real changes reported on time, missed or falsely
reported, per kind (price, shutdown date, listed, delisted after `delist_after` misses).

Targets (issue 9): 0 refused polls, >= 99% of real changes reported at the release where they
happened, 0 false changes. Downloads are cached outside the repository (see `--cache`); nothing
here runs in the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from bench._replay_compare import Score, score
from bench._replay_rawdiff import (
    KINDS,
    RawRow,
    expected_changes,
    litellm_rows,
    models_dev_rows,
)
from bench._replay_sources import (
    LITELLM_RELEASES,
    MODELS_DEV_RELEASES,
    Snapshot,
    default_cache,
    litellm_history,
    models_dev_history,
)
from bench.common import REFERENCE

FIRST_DAY: Final = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
DELIST_AFTER: Final = 2
EXAMPLES: Final = 10  # the product's default, set explicitly in the replay's config
READERS: Final[dict[str, Callable[[bytes], dict[str, RawRow]]]] = {
    "litellm": litellm_rows, "models-dev": models_dev_rows}


def progress(line: str) -> None:
    print(f"  {line}", file=sys.stderr, flush=True)


def day(step: int) -> dt.datetime:
    return FIRST_DAY + dt.timedelta(days=step)


def _watcher(workdir: Path, *args: str, show_progress: bool = False) -> subprocess.CompletedProcess[str]:
    """The product's CLI, as a user runs it, on the replay's own database and config; its progress
    lines (stderr) pass through when `show_progress`."""
    command = [sys.executable, "-m", "watcher", "--config", str(workdir / "config.toml"),
               "--db", f"sqlite:///{workdir / 'replay.db'}", *args]
    env = {name: value for name, value in os.environ.items() if name not in ("WATCHER_DB", "WATCHER_CONFIG")}
    return subprocess.run(command, stdout=subprocess.PIPE, stderr=None if show_progress else subprocess.PIPE,
                          text=True, check=False, env=env)


def run_product(source: str, snapshots: Sequence[Snapshot], workdir: Path) -> tuple[list[dict[str, Any]],
                                                                                        list[list[dict[str, Any]]]]:
    """Backfill the snapshots one day apart; (the ingest's row per capture, the changes per step)."""
    captures = workdir / "captures"
    captures.mkdir(parents=True)
    for step, snapshot in enumerate(snapshots):
        (captures / f"{day(step):%Y-%m-%dT%H-%M-%SZ}.json").write_bytes(snapshot.body)
    (workdir / "config.toml").write_text(f'[sources.{source}]\ndelist_after = {DELIST_AFTER}\n')
    done = _watcher(workdir, "ingest", source, str(captures), "--format", "json", show_progress=True)
    if done.returncode not in (0, 1):  # 1: some capture was refused, which is what we measure
        raise RuntimeError(f"watcher ingest exited {done.returncode}")
    runs = json.loads(done.stdout)
    listed = _watcher(workdir, "changes", "--source", source, "--format", "json")
    if listed.returncode != 0:
        raise RuntimeError(f"watcher changes failed: {listed.stderr.strip()}")
    per_step: list[list[dict[str, Any]]] = [[] for _ in snapshots]
    for change in json.loads(listed.stdout):
        detected = dt.datetime.fromisoformat(change["detected_at"])
        per_step[(detected - FIRST_DAY).days].append(change)
    return runs, per_step


def _percent(part: int, whole: int) -> str:
    return "-" if whole == 0 else f"{100 * part / whole:.1f}%"


def table(source: str, labels: Sequence[str], runs: Sequence[dict[str, Any]], result: Score) -> str:
    refused = [labels[i] for i, run in enumerate(runs) if run["outcome"] == "refused"]
    outcomes = ", ".join(f"{n} {o}" for o, n in sorted(Counter(r["outcome"] for r in runs).items()))
    lines = [
        f"{source}: {len(labels)} versions, {labels[0]} → {labels[-1]}; runs: {outcomes}",
        f"refused polls: {len(refused)}" + (f" ({', '.join(refused)})" if refused else "") + "   [target 0]",
        "",
        f"| {'kind':<13} | {'real':>6} | {'on time':>7} | {'%':>6} | {'missed':>6} | {'false':>5} | {'late':>4} |",
        f"|{'-' * 15}|{'-' * 7}:|{'-' * 8}:|{'-' * 7}:|{'-' * 7}:|{'-' * 6}:|{'-' * 5}:|",
    ]
    for kind in (*KINDS, "all"):
        def pick(counts: Counter[str], kind: str = kind) -> int:
            return sum(counts.values()) if kind == "all" else counts[kind]

        real, on_time = pick(result.real), pick(result.on_time)
        lines.append(f"| {kind:<13} | {real:>6} | {on_time:>7} | {_percent(on_time, real):>6} | "
                     f"{pick(result.missed):>6} | {pick(result.false):>5} | {pick(result.late):>4} |")
    lines.append("targets: >= 99% on time per kind, 0 false, 0 refused")
    if result.other_kinds:
        lines.append("other kinds reported (not scored): "
                     + ", ".join(f"{k} {n}" for k, n in sorted(result.other_kinds.items())))
    bad_steps = [(labels[i], c) for i, c in enumerate(result.per_step) if c]
    if bad_steps:
        lines.append("steps with misses or false changes:")
        lines += [f"  {label}: " + ", ".join(f"{n} {what}" for what, n in sorted(c.items()))
                  for label, c in bad_steps[:30]]
    for step, miss in result.missed_list[:EXAMPLES]:
        lines.append(f"  missed at {labels[step]}: {_describe(miss.kind, miss.key, miss.field, miss.old, miss.new)}")
    for step, change in result.false_list[:EXAMPLES]:
        lines.append(f"  false at {labels[step]}: " + _describe(change["kind"], change["key"], change.get("field"),
                                                                change.get("old"), change.get("new")))
    return "\n".join(lines)


def _describe(kind: str, key: str, field: str | None, old: object, new: object) -> str:
    return f"{kind} {key}" if kind in ("listed", "delisted") else f"{kind} {key} {field}: {old} -> {new}"


def write_details(path: Path, source: str, labels: Sequence[str], result: Score) -> None:
    """Every miss and false change, one JSON object a line, for diagnosis."""
    with path.open("a") as out:
        for step, real in result.missed_list:
            out.write(json.dumps({"source": source, "release": labels[step], "verdict": "missed", "kind": real.kind,
                                  "key": real.key, "field": real.field, "old": _text(real.old),
                                  "new": _text(real.new)}) + "\n")
        for step, change in result.false_list:
            out.write(json.dumps({"source": source, "release": labels[step], "verdict": "false", **change}) + "\n")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def replay(source: str, snapshots: Sequence[Snapshot], keep: Path | None) -> tuple[list[dict[str, Any]], Score]:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"replay-{source}-") as tmp:
        workdir = (keep / source) if keep else Path(tmp)
        if keep:
            workdir.mkdir(parents=True, exist_ok=False)
        progress(f"{source}: ingesting {len(snapshots)} versions, one a day, into {workdir / 'replay.db'}")
        runs, reported = run_product(source, snapshots, workdir)
    progress(f"{source}: product replay took {time.perf_counter() - started:.0f} s; scoring")
    read = READERS[source]
    expected = expected_changes([read(s.body) for s in snapshots], DELIST_AFTER)
    refused = {step for step, run in enumerate(runs) if run["outcome"] == "refused"}
    return runs, score(expected, reported, refused)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replay_history", description=__doc__.split("\n\n", 2)[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", choices=sorted(READERS), action="append",
                        help="replay only this catalog (repeatable; default: both)")
    parser.add_argument("--cache", type=Path, default=default_cache(),
                        help="where downloaded wheels are kept (default: %(default)s; $WATCHER_BENCH_CACHE)")
    parser.add_argument("--keep", type=Path, help="keep each replay's captures and database under this new folder")
    parser.add_argument("--details", type=Path, help="append every miss and false change to this file (JSON lines)")
    parser.add_argument("--releases", help="comma-separated LiteLLM releases instead of the built-in chain")
    args = parser.parse_args(argv)
    failed = False
    for source in args.source or ("litellm", "models-dev"):
        try:
            if source == "litellm":
                releases = args.releases.split(",") if args.releases else LITELLM_RELEASES
                snapshots = litellm_history(args.cache, releases, progress)
            else:
                snapshots = models_dev_history(args.cache, MODELS_DEV_RELEASES, REFERENCE / "models-dev", progress)
        except (OSError, RuntimeError) as exc:
            print(f"replay_history {source}: skipped, history unavailable: {exc}", flush=True)
            continue
        runs, result = replay(source, snapshots, args.keep)
        labels = [s.label for s in snapshots]
        print(table(source, labels, runs, result), flush=True)
        if args.details:
            write_details(args.details, source, labels, result)
        print(flush=True)
        failed = failed or not runs
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
