"""How the watcher starts a process of its own: the daemon (`watcher run` execs it)
and the child that records a body (`isolated`).

Each runs this module by name, `python -m watcher.daemon.boot daemon|record …`, so
`ps` shows what it is. The child imports the same watcher as its parent, installed
or run from a checkout, as multiprocessing's spawn does: the parent's import path,
here as PYTHONPATH, with `-P` so that the working directory does not come first.
"""

from __future__ import annotations

import os
import sys
from typing import Final

# The roles, each the module whose `main()` the process runs.
ROLES: Final = {"daemon": "watcher.daemon.start", "record": "watcher.daemon.isolated"}


def command(role: str, *args: str) -> list[str]:
    """The argv that starts `role`."""
    assert role in ROLES, role
    return [sys.executable, "-P", "-m", __spec__.name if __spec__ else "watcher.daemon.boot", role, *args]


def environment() -> dict[str, str]:
    """The environment that starts it: this one, with this process's import path."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


if __name__ == "__main__":
    import importlib

    role = sys.argv.pop(1)
    importlib.import_module(ROLES[role]).main()
