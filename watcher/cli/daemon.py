"""The long-running commands: `watcher run` (the daemon in the foreground, systemd's
ExecStart) and `watcher serve` (the read-only web page, feeds and JSON API on the
database, without the daemon; the daemon serves the same app on its `[daemon]
listen` address)."""

from __future__ import annotations

from typing import Annotated

import typer

from watcher.cli.app import app
from watcher.cli.context import context_of, fail


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
    c = context_of(ctx)
    settings = c.settings
    # The daemon's log is its product: INFO by default, one line per event.
    redactor = setup_logging(logging.DEBUG if c.verbose else logging.INFO, settings.secrets(), c.log_format)
    for chatty in ("apscheduler", "httpx", "httpcore", "alembic", "apprise", "uvicorn"):  # our own lines say it once
        logging.getLogger(chatty).setLevel(logging.WARNING)
    daemon = Daemon(settings, config_path=c.config_path, db=c.db, redactor=redactor)
    raise typer.Exit(asyncio.run(daemon.run()))


@app.command()
def serve(
    ctx: typer.Context,
    listen: Annotated[str, typer.Option(help="Address to listen on, HOST:PORT. Keep it on loopback and put a "
                                             "reverse proxy in front to share it (docs/web.md).")] = "127.0.0.1:8080",
    root_path: Annotated[str, typer.Option(help="The URL prefix a reverse proxy serves the app under, "
                                                "e.g. /watcher.")] = "",
) -> None:
    """Serve the read-only web page (upcoming shutdowns, recent changes, model dossiers,
    sources), the Atom and iCalendar feeds and the JSON API, until Ctrl-C."""
    import logging

    from watcher.daemon.http import parse_listen
    from watcher.logs import setup_logging
    from watcher.web.app import create_app
    from watcher.web.official import official_sources
    from watcher.web.server import serve_forever

    c = context_of(ctx)
    try:
        host, port = parse_listen(listen)
    except ValueError as exc:
        fail(f"--listen: {exc}", 2)
    setup_logging(logging.DEBUG if c.verbose else logging.INFO, c.settings.secrets(), c.log_format)
    web = create_app(c.query_engine, c.settings, official_sources=official_sources())
    logging.getLogger("uvicorn").setLevel(logging.WARNING)
    try:
        serve_forever(web, host, port, root_path.rstrip("/"))
    except OSError as exc:
        fail(f"--listen {listen}: {exc.strerror or exc}")
