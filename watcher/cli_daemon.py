"""`watcher run`: the daemon in the foreground (systemd's ExecStart).

Registered on `watcher.cli.app` (imported at the end of watcher/cli.py).
"""

from __future__ import annotations

import typer

from watcher.cli import _ctx, app


@app.command()
def run(ctx: typer.Context) -> None:
    """Run the service in the foreground: poll every source on schedule, deliver alerts,
    serve /metrics, /livez and /readyz. SIGHUP reloads config.toml; SIGTERM drains and exits."""
    import asyncio
    import logging

    from watcher.daemon.memory import tune_allocator
    from watcher.daemon.service import Daemon
    from watcher.logs import setup_logging

    tune_allocator()  # before any thread starts: a months-long process stays small
    c = _ctx(ctx)
    settings = c.settings
    # The daemon's log is its product: INFO by default, one line per event.
    redactor = setup_logging(logging.DEBUG if c.verbose else logging.INFO, settings.secrets(), c.log_format)
    for chatty in ("apscheduler", "httpx", "httpcore", "alembic", "apprise", "uvicorn"):  # our own lines say it once
        logging.getLogger(chatty).setLevel(logging.WARNING)
    daemon = Daemon(settings, config_path=c.config_path, db=c.db, redactor=redactor)
    raise typer.Exit(asyncio.run(daemon.run()))
