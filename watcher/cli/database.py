"""`watcher db upgrade|stats|prune`: the database's schema, size and retention."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer

from watcher.cli.app import app
from watcher.cli.context import FormatOption, context_of
from watcher.cli.help_format import ProseGroup
from watcher.output import default_format, render

db_app = typer.Typer(cls=ProseGroup, help="Database schema and maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply database migrations up to the newest schema."""
    from watcher.store.migrate import upgrade_database

    c = context_of(ctx)
    where, before, after, free = upgrade_database(c.db, c.settings.storage_url)
    if before == after:
        typer.echo(f"{where}: already at revision {after}")
    else:
        typer.echo(f"{where}: upgraded {before or 'empty'} -> {after}")
    if free and before != after:  # what the migration just left, not what pruning freed before
        amount = f"{free / 1e6:.1f} MB" if free >= 100_000 else f"{free // 1000} kB"
        typer.echo(f"{where}: {amount} of the file is free space, which later writes reuse; "
                   "to give it back to the file system now, stop the daemon and run "
                   "`sqlite3 DATABASE-FILE 'VACUUM'` (it writes a new copy of the file, so the disk "
                   "needs room for one)")


@db_app.command("stats")
def db_stats(ctx: typer.Context, fmt: FormatOption = None) -> None:
    """Rows and bytes per table, and per source."""
    from watcher.store.readers import storage_stats
    from watcher.store.stats import STAT_FIELDS

    rows = storage_stats(context_of(ctx).query_engine)
    render(rows, fmt or default_format(), columns=STAT_FIELDS, title="database")


@db_app.command("prune")
def db_prune(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be pruned, delete nothing.")] = False,
    fmt: FormatOption = None,
) -> None:
    """Delete raw documents past [storage.retention]; runs, versions and changes are never pruned."""
    from watcher.store.retention import prune

    c = context_of(ctx)
    doomed, total, result = prune(c.app.engine, c.settings.retention, dt.datetime.now(dt.UTC), dry_run=dry_run)
    if result is not None:
        typer.echo(f"pruned {result.documents} of {total} documents ({result.bytes} bytes stored)", err=True)
    else:
        typer.echo(f"{'would prune' if dry_run else 'pruned'} {len(doomed)} of {total} documents", err=True)
    by_source: dict[str, dict[str, Any]] = {}
    for doc in doomed:
        row = by_source.setdefault(doc.source, {"source": doc.source, "documents": 0, "bytes": 0})
        row["documents"] += 1
        row["bytes"] += doc.stored_bytes
    render(sorted(by_source.values(), key=lambda r: r["source"]), fmt or default_format(),
           columns=("source", "documents", "bytes"), title="would prune" if dry_run else "pruned")
