"""`watcher serve`: the read-only web page, feeds and JSON API on the database, without
the daemon (the daemon serves the same app on its `[daemon] listen` address).

Registered on `watcher.cli.app` (imported at the end of watcher/cli.py).
"""

from __future__ import annotations

from typing import Annotated

import typer

from watcher.cli import _ctx, app, fail


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

    from watcher.cli_analysts import query_engine
    from watcher.daemon.http import parse_listen
    from watcher.logs import setup_logging
    from watcher.web.app import create_app
    from watcher.web.official import official_sources
    from watcher.web.server import serve_forever

    c = _ctx(ctx)
    try:
        host, port = parse_listen(listen)
    except ValueError as exc:
        fail(f"--listen: {exc}", 2)
    setup_logging(logging.DEBUG if c.verbose else logging.INFO, c.settings.secrets(), c.log_format)
    web = create_app(query_engine(ctx), c.settings, official_sources=official_sources())
    logging.getLogger("uvicorn").setLevel(logging.WARNING)
    try:
        serve_forever(web, host, port, root_path.rstrip("/"))
    except OSError as exc:
        fail(f"--listen {listen}: {exc.strerror or exc}")
