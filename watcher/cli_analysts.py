"""Analyst commands: asof, upcoming, export, reparse, db stats, db prune; backfill from a directory.

Registered on `watcher.cli.app` when `watcher.cli` imports this module. Like the
rest of the CLI they parse arguments, call one store operation and render; the
query commands open the database through `reading_engine` and read through
Core, so they never import SQLModel, Alembic or the fetcher.
"""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from watcher.cli import FormatOption, _ctx, _time, app, check_sources, db_app, fail
from watcher.output import Format, default_format, render

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from watcher.captures import Capture

def query_engine(ctx: typer.Context) -> Engine:
    """The database for a read-only command: current schema, no application wiring."""
    from watcher.store.engine import database_url
    from watcher.store.reading import reading_engine

    c = _ctx(ctx)
    return reading_engine(database_url(c.db, c.settings.storage_url))


@app.command()
def asof(
    ctx: typer.Context,
    time: Annotated[str, typer.Argument(metavar="TIME", help="A point in time: 2026-03-01, 2026-03-01T12:00:00Z, or 30d (ago).")],
    source: Annotated[list[str] | None, typer.Option("--source", "-s", metavar="SOURCE", help="Only these sources (repeatable).")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", metavar="MODEL", help="Only models fitting this id or glob.")] = None,
    fmt: FormatOption = None,
) -> None:
    """The catalog as it was at TIME: every row's version then current, by source and key."""
    from watcher.durations import parse_time
    from watcher.store.queries_versions import asof as query_asof

    at = _time(time, parse_time)
    with query_engine(ctx).connect() as connection:
        check_sources(ctx, connection, source)
        render(query_asof(connection, at, sources=source or (), model=model), fmt or default_format(),
               columns=("source", "key", "model", "status", "shutdown_on", "replacement", "prices",
                        "availability", "milestones", "valid_from"),
               title=f"as of {at.isoformat()}")


@app.command()
def upcoming(
    ctx: typer.Context,
    within: Annotated[str, typer.Option(metavar="DURATION", help="How far ahead to look, e.g. 30d, 90d, 26w.")] = "90d",
    source: Annotated[list[str] | None, typer.Option("--source", "-s", metavar="SOURCE", help="Only these sources (repeatable).")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", metavar="MODEL", help="Only models fitting this id or glob.")] = None,
    fmt: FormatOption = None,
) -> None:
    """Shutdowns ahead, soonest first, as every source currently states them."""
    from watcher.durations import parse_duration
    from watcher.store.queries_versions import upcoming as query_upcoming

    try:
        horizon = parse_duration(within)
    except ValueError as exc:
        fail(f"--within: {exc}", 2)
    today = dt.datetime.now(dt.UTC).date()
    with query_engine(ctx).connect() as connection:
        check_sources(ctx, connection, source)
        rows = query_upcoming(connection, today=today, within=horizon, sources=source or (), model=model)
    render(rows, fmt or default_format(),
           columns=("shutdown_on", "days_left", "model", "source", "status", "replacement"),
           title=f"shutdowns by {today + dt.timedelta(days=horizon.days)}")


class ExportFormat(StrEnum):
    CSV = "csv"
    NDJSON = "ndjson"
    JSON = "json"
    PARQUET = "parquet"


@app.command()
def export(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="A table (run, change, observation_version, …) or view (current_models, "
                                             "price_history, lifecycle_history, upcoming_shutdowns, source_health).")],
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", metavar="csv|ndjson|json|parquet",
                                              help="csv, ndjson (the default), json, or parquet (needs --output and "
                                                   "the [parquet] extra).")] = ExportFormat.NDJSON,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="PATH",
                                                   help="Write to this file instead of stdout.")] = None,
) -> None:
    """Stream a whole table or view to stdout (or a file), in constant memory, in a stable order."""
    from watcher.store.export import (
        UnknownRelationError,
        export_columns,
        export_relation_columns,
        export_rows,
    )

    if fmt is ExportFormat.PARQUET and output is None:
        fail("--format parquet writes a file: give --output PATH", 2)
    try:
        columns = export_columns(name)
    except UnknownRelationError as exc:
        fail(str(exc), 2)
    with query_engine(ctx).connect() as connection:
        rows = export_rows(connection, name)
        if fmt is ExportFormat.PARQUET:
            assert output is not None
            from watcher.store.parquet import ParquetUnavailableError, write_parquet

            try:
                count = write_parquet(rows, export_relation_columns(name), output)
            except ParquetUnavailableError as exc:
                fail(str(exc))
        elif output is not None:
            try:
                with output.open("w", encoding="utf-8", newline="") as stream:
                    count = render(rows, Format(fmt.value), columns=columns, stream=stream)
            except OSError as exc:
                fail(f"{output}: cannot write: {exc.strerror}")
        else:
            count = render(rows, Format(fmt.value), columns=columns)
    typer.echo(f"{name}: {count} rows" + (f" written to {output}" if output else ""), err=True)


@app.command()
def reparse(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="SOURCE", help="The source whose history to rebuild from its kept raw documents.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would change, change nothing.")] = False,
    fmt: FormatOption = None,
) -> None:
    """Rebuild a source's versions and changes from its raw documents with today's parser. Sends no alerts."""
    from watcher.app import severity_policy
    from watcher.replay import ReplayError
    from watcher.replay import reparse as rebuild

    c = _ctx(ctx)
    try:
        report = rebuild(c.app.engine, c.app.source(source), c.app.source_settings(source),
                         severity_policy(c.settings), dry_run=dry_run)
    except ReplayError as exc:
        fail(str(exc))
    since = report.replayed_from.isoformat()
    note = " (older documents were pruned: history before that kept as it was)" if report.partial else ""
    verb = "would rebuild" if dry_run else "rebuilt"
    typer.echo(f"{source}: {verb} {report.runs} runs from {since} with parser {report.parser_version}{note}; "
               f"{report.outcomes_changed} runs changed outcome", err=True)
    render(report.rows(), fmt or default_format(), columns=("measure", "before", "after", "removed", "added"),
           title=f"reparse {source}" + (" (dry run)" if dry_run else ""))


# --- database maintenance ------------------------------------------------------------


@db_app.command("stats")
def db_stats(ctx: typer.Context, fmt: FormatOption = None) -> None:
    """Rows and bytes per table, and per source."""
    from watcher.store.stats import STAT_FIELDS, database_stats

    with query_engine(ctx).connect() as connection:
        rows = database_stats(connection)
    render(rows, fmt or default_format(), columns=STAT_FIELDS, title="database")


@db_app.command("prune")
def db_prune(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be pruned, delete nothing.")] = False,
    fmt: FormatOption = None,
) -> None:
    """Delete raw documents past [storage.retention]; runs, versions and changes are never pruned."""
    from watcher.store.retention import prune

    c = _ctx(ctx)
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


# --- backfill ------------------------------------------------------------------------


def ingest_captures(ctx: typer.Context, source: str, path: Path, fmt: Format | None) -> None:
    """`watcher ingest SOURCE DIR`: every capture in DIR (or its manifest), oldest first."""
    from watcher.captures import CaptureError, discover

    try:
        captures = discover(path)
    except CaptureError as exc:
        fail(str(exc))
    ingest_capture_list(ctx, source, captures, fmt)


def ingest_capture_list(ctx: typer.Context, source: str, captures: list[Capture], fmt: Format | None) -> None:
    """Backfill `captures` (oldest first): newer ones ingested in turn, older ones merged into the history."""
    from watcher.backfill import backfill
    from watcher.replay import ReplayError

    c = _ctx(ctx)
    try:
        rows = backfill(c.app, source, captures, progress=lambda line: print(line, file=sys.stderr, flush=True))
    except ReplayError as exc:
        fail(str(exc))
    render(rows, fmt or default_format(), columns=("observed_at", "file", "outcome", "rows", "changes", "how"),
           title=f"ingest {source}")
    if any(r["outcome"] == "refused" for r in rows):
        raise typer.Exit(1)
