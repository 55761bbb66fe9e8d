"""`watcher run` hands over to a process of its own, without the command line.

The CLI (Typer, Click, Rich, every command group and what they import) costs
the daemon about 6 MB resident for its whole life, and none of it runs once the
daemon has started (issue 13). So `watcher run` checks its options, the config
and the channel URLs with the CLI (a mistake is one line, as from any command),
then replaces its process image (`exec`, same PID: systemd's Type=notify, the
journal and signals see no difference) with this module, which imports only what
the daemon needs. Nothing may call `run` in-process expecting it to return.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import NoReturn


@dataclasses.dataclass(frozen=True, slots=True)
class Options:
    """What the CLI's root options decided, for the daemon process."""

    config_path: str | None
    db: str | None
    verbose: bool
    log_format: str


def exec_daemon(options: Options) -> NoReturn:
    """Become the daemon: this process image is replaced and never returns."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # exec drops what Python still buffers
    from watcher.daemon.boot import command, environment

    argv = command("daemon", json.dumps(dataclasses.asdict(options)))
    os.execve(argv[0], argv, environment())


def main() -> NoReturn:
    """The daemon process: `watcher run` as it was before the exec."""
    from watcher.daemon.memory import tune_allocator

    tune_allocator()  # before any thread starts: a months-long process stays small
    options = Options(**json.loads(sys.argv[1]))
    try:
        code = _run(options)
    except KeyboardInterrupt:
        print("watcher: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        from watcher.errors import describe

        message = describe(exc)  # one line for an expected failure, as the CLI says it
        if message is None:
            raise
        print(f"watcher: {message}", file=sys.stderr)
        sys.exit(1)
    sys.exit(code)


def _run(options: Options) -> int:
    import asyncio
    import logging

    from watcher.config import load
    from watcher.daemon.service import Daemon
    from watcher.logs import setup_logging

    config_path = Path(options.config_path) if options.config_path is not None else None
    settings = load(config_path)
    # The daemon's log is its product: INFO by default, one line per event.
    redactor = setup_logging(logging.DEBUG if options.verbose else logging.INFO, settings.secrets(),
                             options.log_format)
    for chatty in ("apscheduler", "httpx", "httpcore", "alembic", "apprise", "uvicorn"):  # our own lines say it once
        logging.getLogger(chatty).setLevel(logging.WARNING)
    daemon = Daemon(settings, config_path=config_path, db=options.db, redactor=redactor)
    return asyncio.run(daemon.run())
