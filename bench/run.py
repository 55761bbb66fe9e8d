"""Run every benchmark and print its figures: `python -m bench.run [NAME…]`.

Benchmarks are never part of pass/fail; each prints `name: figure=value … [target …]`.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = {"run", "common", "__init__"}


def names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name not in SKIP and not m.name.startswith("_"))


def main() -> None:
    wanted = sys.argv[1:] or names()
    failed = []
    for name in wanted:
        if name not in names():
            sys.exit(f"bench: no benchmark {name!r} (have: {', '.join(names())})")
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        # Each benchmark in its own process: memory and import figures stay honest.
        code = subprocess.call([sys.executable, "-m", f"bench.{name}"], cwd=HERE.parent)
        print(f"   ({time.perf_counter() - start:.1f} s{'' if code == 0 else f', exit {code}'})", flush=True)
        if code:
            failed.append(name)
    if failed:
        sys.exit(f"bench: failed: {', '.join(failed)}")


if __name__ == "__main__":
    importlib.invalidate_caches()
    main()
