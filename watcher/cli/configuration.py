"""`watcher config check`: validate config.toml as `watcher run` would, without running.

Reading the config checks its keys and channel URLs' syntax; this command also
asks apprise whether it can use each channel URL, which other commands skip
because loading apprise's plugins costs more than a query takes.
"""

from __future__ import annotations

import typer

from watcher.cli.app import app
from watcher.cli.context import context_of

config_app = typer.Typer(help="Check the configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("check")
def check(ctx: typer.Context) -> None:
    """Read config.toml and check every enabled channel URL with apprise; exit 1 on the first problem."""
    from watcher.config import check_channels

    settings = context_of(ctx).settings
    check_channels(settings)
    enabled = [name for name, channel in settings.channels.items() if channel.enabled]
    sources = [name for name, source in settings.sources.items() if source.enabled]
    where = settings.path or "built-in defaults"
    typer.echo(f"{where}: ok ({len(sources)} sources enabled, {len(enabled)} of {len(settings.channels)} "
               "channels enabled, their URLs usable)")
