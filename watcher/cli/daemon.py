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
    from watcher.config import check_channels
    from watcher.daemon.start import Options, exec_daemon

    c = context_of(ctx)
    check_channels(c.settings)  # a bad config or channel URL: one clear line from here, before the exec
    # The daemon runs in this process without the command line (watcher/daemon/start.py).
    exec_daemon(Options(config_path=None if c.config_path is None else str(c.config_path), db=c.db,
                        verbose=c.verbose, log_format=c.log_format))


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
    from watcher.store.readers import core_engine
    from watcher.web.app import create_app
    from watcher.web.official import official_sources
    from watcher.web.server import serve_forever

    c = context_of(ctx)
    try:
        host, port = parse_listen(listen)
    except ValueError as exc:
        fail(f"--listen: {exc}", 2)
    setup_logging(logging.DEBUG if c.verbose else logging.INFO, c.settings.secrets(), c.log_format)
    web = create_app(core_engine(c.query_engine), c.settings, official_sources=official_sources())
    logging.getLogger("uvicorn").setLevel(logging.WARNING)
    try:
        serve_forever(web, host, port, root_path.rstrip("/"))
    except OSError as exc:
        fail(f"--listen {listen}: {exc.strerror or exc}")
