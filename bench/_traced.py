"""`watcher` under tracemalloc, for bench/daemon_memory.py: `python -m bench._traced OUT ARGS…`.

SIGUSR2 writes what is allocated now, by line and by file, to OUT (traced
memory is Python's own; the rest of the RSS is the allocator's and libraries').
"""

from __future__ import annotations

import signal
import sys
import tracemalloc
from pathlib import Path
from types import FrameType


def _dump(out: Path) -> None:
    snapshot = tracemalloc.take_snapshot().filter_traces((tracemalloc.Filter(False, tracemalloc.__file__),))
    current, peak = tracemalloc.get_traced_memory()
    packages: dict[str, int] = {}
    for name in list(sys.modules):
        packages[name.split(".")[0]] = packages.get(name.split(".")[0], 0) + 1
    lines = [f"traced now {current / 2**20:.1f} MB, traced peak {peak / 2**20:.1f} MB",
             f"-- {len(sys.modules)} modules loaded; by package: "
             + ", ".join(f"{k} {v}" for k, v in sorted(packages.items(), key=lambda kv: -kv[1])[:20])]
    for group in ("filename", "lineno"):
        lines.append(f"-- by {group}")
        lines += [f"{stat.size / 2**20:6.2f} MB {stat.count:8d} blocks  {stat.traceback}"
                  for stat in snapshot.statistics(group)[:12]]
    out.write_text("\n".join(lines) + "\n")


def main() -> None:
    out = Path(sys.argv[1])
    tracemalloc.start(1)

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        _dump(out)

    signal.signal(signal.SIGUSR2, on_signal)
    sys.argv = ["watcher", *sys.argv[2:]]
    from watcher.cli import main as watcher_main

    watcher_main()


if __name__ == "__main__":
    main()
