"""Query commands: `changes`, `history`, `asof`, `upcoming`, `sources`, `describe`, `export`.

Each parses its arguments, calls one function of the read facade
(`watcher.store.readers`) on the read-only query engine, and renders. They never
import SQLModel, Alembic, the fetcher or the application, so they start fast.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from watcher.cli.app import app
from watcher.cli.context import (
    Context,
    FormatOption,
    check_choices,
    context_of,
    fail,
    parse_duration_option,
    parse_time_option,
)
from watcher.model import KIND_NAMES, SEVERITY_NAMES
from watcher.output import Format, default_format, render
from watcher.present import LISTED_FACTS

SourcesOption = Annotated[
    list[str] | None,
    typer.Option("--source", "-s", metavar="SOURCE", help="Only these sources (repeatable)."),
]
ModelGlobOption = Annotated[
    str | None,
    typer.Option("--model", "-m", metavar="MODEL", help="Only models fitting this id or glob."),
]


@app.command()
def changes(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(metavar="TIME", help="Only changes detected since (ISO time, or 7d for 7 days ago).")] = None,
    until: Annotated[str | None, typer.Option(metavar="TIME", help="Only changes detected before this time.")] = None,
    source: SourcesOption = None,
    provider: Annotated[list[str] | None, typer.Option(metavar="PROVIDER", help="Only these providers (repeatable).")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", metavar="MODEL", help="Model id or glob, e.g. 'sora-2*'.")] = None,
    kind: Annotated[list[str] | None, typer.Option("--kind", "-k", metavar="KIND", help=f"Only these kinds: {', '.join(KIND_NAMES)} (repeatable).")] = None,
    severity: Annotated[list[str] | None, typer.Option(metavar="SEVERITY", help=f"Only these severities: {', '.join(SEVERITY_NAMES)} (repeatable).")] = None,
    limit: Annotated[int | None, typer.Option(min=0, metavar="N", help="At most this many rows.")] = None,
    fmt: FormatOption = None,
) -> None:
    """List detected changes, oldest first."""
    from watcher.cli.change_output import show_changes
    from watcher.store.queries_changes import ChangeFilter
    from watcher.store.readers import changes_in_order

    check_choices("--kind", kind, KIND_NAMES)
    check_choices("--severity", severity, SEVERITY_NAMES)
    flt = ChangeFilter(
        since=parse_time_option(since) if since else None,
        until=parse_time_option(until) if until else None,
        sources=source or (), providers=provider or (), model=model,
        kinds=kind or (), severities=severity or (), limit=limit,
    )
    c = context_of(ctx)
    _check_sources(c, source)
    show_changes(changes_in_order(c.query_engine, flt), fmt, title="changes")


@app.command()
def history(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(metavar="MODEL", help="Model id (or glob), as any source spells it.")],
    fmt: FormatOption = None,
) -> None:
    """Every version of a model's facts, across sources: by source and row, oldest first."""
    from watcher.store.readers import model_history

    rows = model_history(context_of(ctx).query_engine, model)
    if not rows:
        typer.echo(f"no history for {model!r}", err=True)
    render(rows, fmt or default_format(),
           columns=("valid_from", "valid_to", "source", "key", *LISTED_FACTS),
           title=f"history of {model}")


@app.command()
def asof(
    ctx: typer.Context,
    time: Annotated[str, typer.Argument(metavar="TIME", help="A point in time: 2026-03-01, 2026-03-01T12:00:00Z, or 30d (ago).")],
    source: SourcesOption = None,
    model: ModelGlobOption = None,
    fmt: FormatOption = None,
) -> None:
    """The catalog as it was at TIME: every row's version then current, by source and key."""
    from watcher.store.readers import catalog_asof_streamed

    at = parse_time_option(time)
    c = context_of(ctx)
    _check_sources(c, source)
    render(catalog_asof_streamed(c.query_engine, at, sources=source or (), model=model), fmt or default_format(),
           columns=("source", "key", "model", *LISTED_FACTS, "valid_from"),
           title=f"as of {at.isoformat()}")


@app.command()
def upcoming(
    ctx: typer.Context,
    within: Annotated[str, typer.Option(metavar="DURATION", help="How far ahead to look, e.g. 30d, 90d, 26w.")] = "90d",
    source: SourcesOption = None,
    model: ModelGlobOption = None,
    fmt: FormatOption = None,
) -> None:
    """Shutdowns ahead, soonest first, as every source currently states them."""
    from watcher.store.readers import shutdowns_ahead

    horizon = parse_duration_option("--within", within)
    today = dt.datetime.now(dt.UTC).date()
    c = context_of(ctx)
    _check_sources(c, source)
    rows = shutdowns_ahead(c.query_engine, today=today, within=horizon, sources=source or (), model=model)
    render(rows, fmt or default_format(),
           columns=("shutdown_on", "days_left", "model", "source", "status", "replacement"),
           title=f"shutdowns by {today + dt.timedelta(days=horizon.days)}")


def _check_sources(c: Context, names: list[str] | None) -> None:
    """A filter naming a source that is neither configured nor recorded is a typo,
    not an empty answer."""
    if not names:
        return
    from watcher.store.readers import recorded_sources

    configured = set(c.settings.sources)
    known = configured | recorded_sources(c.query_engine)
    for name in names:
        if name not in known:
            fail(f"--source {name!r}: no such source (configured: {', '.join(sorted(configured))})", 2)


@app.command("sources")
def sources_cmd(ctx: typer.Context, fmt: FormatOption = None) -> None:
    """Configured sources, their schedule and their health."""
    from watcher.durations import format_duration
    from watcher.store.readers import source_health

    c = context_of(ctx)
    names = list(c.settings.sources)
    health = source_health(c.query_engine, names)
    rows = []
    for name in names:
        s = c.settings.sources[name]
        schedule = f"cron {s.cron}" if s.cron else f"every {format_duration(s.every)}" if s.every else "-"
        rows.append({"source": name, "enabled": s.enabled, "schedule": schedule, **health[name]})
    render(rows, fmt or default_format(), title="sources")


DESCRIBE_COLUMNS = ("source", "first_party", "account_view", "partial_renderings", "urls", "options", "description")


@app.command()
def describe(
    name: Annotated[str | None, typer.Argument(help="A source name (default: every known source).")] = None,
    fmt: FormatOption = None,
) -> None:
    """What each source reads, whose word it is, and its own config options (defaults and help)."""
    # Every built-in and installed (entry point `watcher.sources`) source, straight from
    # its declarations (sources.base). Reads no config and no database.
    from sources.registry import known_names, template

    names = [name] if name else list(known_names())
    rows: list[dict[str, Any]] = []
    for each in names:
        source = template(each)
        if source is None:
            if name:
                fail(f"unknown source {each!r} (known: {', '.join(known_names())})")
            continue
        rows.append({
            "source": source.name,
            "first_party": source.first_party,
            "account_view": source.account_view,
            "partial_renderings": source.partial_renderings,
            "urls": list(source.urls),
            "options": [{"name": o.name, "default": o.default, "help": o.help, "secret": o.secret}
                        for o in source.options],
            "description": getattr(source, "description", ""),
        })
    chosen = fmt or default_format()
    if chosen is Format.JSON or chosen is Format.NDJSON:
        render(rows, chosen)
        return
    for row in rows:
        row["urls"] = "\n".join(row["urls"])
        row["options"] = "\n".join(f"{o['name']} = {o['default']!r}: {o['help']}" for o in row["options"]) or "-"
    render(rows, chosen, columns=DESCRIBE_COLUMNS, title="sources")


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
    from watcher.store.export import UnknownRelationError, export_columns
    from watcher.store.readers import relation_rows, relation_to_parquet

    if fmt is ExportFormat.PARQUET and output is None:
        fail("--format parquet writes a file: give --output PATH", 2)
    try:
        columns = export_columns(name)
    except UnknownRelationError as exc:
        fail(str(exc), 2)
    engine = context_of(ctx).query_engine
    if fmt is ExportFormat.PARQUET:
        assert output is not None
        from watcher.store.parquet import ParquetUnavailableError

        try:
            count = relation_to_parquet(engine, name, output)
        except ParquetUnavailableError as exc:
            fail(str(exc))
    elif output is not None:
        try:
            with output.open("w", encoding="utf-8", newline="") as stream:
                count = render(relation_rows(engine, name), Format(fmt.value), columns=columns, stream=stream)
        except OSError as exc:
            fail(f"{output}: cannot write: {exc.strerror}")
    else:
        count = render(relation_rows(engine, name), Format(fmt.value), columns=columns)
    typer.echo(f"{name}: {count} rows" + (f" written to {output}" if output else ""), err=True)
