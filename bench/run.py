"""Run every benchmark and print its figures: `python -m bench.run [NAME…] [--FLAG…]`.

Benchmarks are never part of pass/fail; each prints `name: figure=value … [target …]`.
Flags are passed to every benchmark named (`python -m bench.run lean --quick`).
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
# Run only when named: `lean` measures startup, storage and daemon_memory over again.
ON_REQUEST = {"lean"}


def names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name not in SKIP and not m.name.startswith("_"))


def main() -> None:
    flags = [arg for arg in sys.argv[1:] if arg.startswith("-")]
    wanted = [arg for arg in sys.argv[1:] if not arg.startswith("-")] or [
        name for name in names() if name not in ON_REQUEST]
    failed = []
    for name in wanted:
        if name not in names():
            sys.exit(f"bench: no benchmark {name!r} (have: {', '.join(names())})")
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        # Each benchmark in its own process: memory and import figures stay honest.
        code = subprocess.call([sys.executable, "-m", f"bench.{name}", *flags], cwd=HERE.parent)
        print(f"   ({time.perf_counter() - start:.1f} s{'' if code == 0 else f', exit {code}'})", flush=True)
        if code:
            failed.append(name)
    if failed:
        sys.exit(f"bench: failed: {', '.join(failed)}")


if __name__ == "__main__":
    importlib.invalidate_caches()
    main()
