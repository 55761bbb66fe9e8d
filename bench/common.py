"""Shared bits for benchmarks: where the real captures are, timing, a temp database."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Benchmarks measure on the real captures when the shared reference folder is
# beside the checkout, and fall back to the trimmed test fixtures otherwise.
REFERENCE = Path(os.environ.get("WATCHER_REFERENCE", REPO.parent / "shared" / "reference"))
FIXTURES = REPO / "tests" / "fixtures"


def capture(relative: str, fixture: str) -> Path:
    real = REFERENCE / relative
    return real if real.exists() else FIXTURES / fixture


def timeit(fn: Callable[[], object], *, repeat: int = 20, warmup: int = 2) -> dict[str, float]:
    """Milliseconds: best, median and p95 of `repeat` calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "best_ms": round(samples[0], 2),
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 2),
    }


def report(name: str, figures: Mapping[str, object], target: str | None = None) -> None:
    parts = ", ".join(f"{k}={v}" for k, v in figures.items())
    print(f"{name}: {parts}" + (f"   [target {target}]" if target else ""), flush=True)


def peak_rss_kb(argv: list[str]) -> int:
    """Run argv to completion (output discarded; failure raises) and return the most it
    held resident, in KB, as the kernel counted it (ru_maxrss), read by bench._peak_rss."""
    done = subprocess.run([sys.executable, "-m", "bench._peak_rss", *argv], cwd=REPO, capture_output=True,
                          text=True)
    if done.returncode:
        raise subprocess.CalledProcessError(done.returncode, argv, done.stdout, done.stderr)
    return int(done.stdout)
