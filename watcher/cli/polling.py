"""Commands that read sources and record what they say: `poll`, `accept`, `check`,
`ingest` (one capture, or a directory of them: a backfill) and `reparse`.

Each parses its arguments, calls one operation of the application
(`watcher.app`, `watcher.app.poll_many`, `watcher.app.backfill`, `watcher.poll.replay`) and
renders the result.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from watcher.cli.app import app
from watcher.cli.context import Context, FormatOption, context_of, fail, parse_time_option
from watcher.output import Format, default_format, render
from watcher.present import LISTED_FACTS

if TYPE_CHECKING:
    from watcher.poll.captures import Capture


@app.command()
def poll(
    ctx: typer.Context,
    sources: Annotated[list[str] | None, typer.Argument(metavar="SOURCE...", help="Sources to poll (default: every enabled source).")] = None,
    fmt: FormatOption = None,
) -> None:
    """Poll sources once now, record what they say, and print the changes found."""
    from watcher.cli.change_output import show_changes
    from watcher.cli.deliveries import deliver_after_poll

    c = context_of(ctx)
    names = c.app.enabled_sources(sources or [])
    results = _poll_with_progress(c, names)
    delivered = deliver_after_poll(c.app)
    from watcher.store.queries import change_dict

    rows = [change_dict(change) for result in results for change in result.changes]
    show_changes(rows, fmt, title="changes")
    # A failed or refused poll, or a delivery it attempted that failed (said above): exit 1.
    if not delivered or any(result.outcome in ("failed", "refused") for result in results):
        raise typer.Exit(1)


@app.command()
def accept(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="SOURCE", help="The refused source whose latest body to believe.")],
    fmt: FormatOption = None,
) -> None:
    """Believe a refused source's latest body: record its changes once and alert them as one digest.

    The guard refuses a parse that looks like a layout change (a kind of fact gone from the
    whole page, most rows gone, nothing parsed). When the upstream really did change that much,
    `accept` records that body's versions and changes, marked as an accepted mass change, and
    the source is polled normally again. A source that is not refused is left alone. If the
    parser is what broke, fix it and run `watcher reparse SOURCE` instead."""
    from watcher.cli.change_output import show_changes
    from watcher.cli.deliveries import deliver_after_poll
    from watcher.store.queries import change_dict

    c = context_of(ctx)
    result = c.app.accept(source)
    if result is None:
        typer.echo(f"{source}: not refused, nothing to accept", err=True)
        return
    deliver_after_poll(c.app)
    typer.echo(poll_summary(result), err=True)
    show_changes([change_dict(ch) for ch in result.changes], fmt, title="changes")


def _poll_with_progress(c: Context, names: list[str]) -> list[Any]:
    """Poll concurrently; a line per source on stderr as each finishes, and on a
    terminal a live line saying which are still in flight."""
    import asyncio

    from watcher.app.poll_many import poll_many

    if not sys.stderr.isatty() or len(names) < 2:
        return asyncio.run(poll_many(c.app, names, c.settings.fetch,
                                     on_done=lambda result: typer.echo(poll_summary(result), err=True)))
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    in_flight: list[str] = []
    with Progress(TextColumn("polling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=Console(stderr=True, highlight=False),
                  transient=True) as progress:
        task = progress.add_task("", total=len(names))

        def started(name: str) -> None:
            in_flight.append(name)
            progress.update(task, description=", ".join(in_flight))

        def done(result: Any) -> None:
            in_flight.remove(result.source)
            progress.console.print(poll_summary(result), markup=False)
            progress.update(task, advance=1, description=", ".join(in_flight))

        return asyncio.run(poll_many(c.app, names, c.settings.fetch, on_start=started, on_done=done))


def poll_summary(result: Any) -> str:
    """`source: outcome, N rows, M changes (error)`: one line per poll, on stderr."""
    line = f"{result.source}: {result.outcome}"
    if result.rows is not None:
        line += f", {result.rows} rows"
    line += f", {len(result.changes)} changes"
    return line + (f" ({result.error})" if result.error else "")


@app.command()
def check(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="SOURCE", help="Source name, e.g. openai-deprecations.")],
    file: Annotated[Path | None, typer.Option("--file", metavar="PATH", help="Parse this file instead of fetching.")] = None,
    fmt: FormatOption = None,
) -> None:
    """Fetch (or read --file) and parse only: print the observations, store nothing."""
    from watcher.app import read_capture

    c = context_of(ctx)
    if file is not None:
        doc = read_capture(source, file, dt.datetime.now(dt.UTC))
    else:
        import asyncio

        doc = asyncio.run(c.app.fetch_document(source))
    observations = c.app.check(source, doc)
    typer.echo(f"{source}: {len(observations)} rows from {doc.url}", err=True)
    from watcher.present import observation_dict

    render((observation_dict(o) for o in observations), fmt or default_format(),
           columns=("key", "model", "aliases", *LISTED_FACTS),
           title=source)


@app.command()
def ingest(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="SOURCE", help="Source name the capture belongs to.")],
    file: Annotated[Path, typer.Argument(metavar="PATH", help="An archived capture; or a directory of captures named by their time "
                                              "(2026-03-27T04:35:00Z.md) or listed in a manifest.csv/.json.")],
    observed_at: Annotated[str | None, typer.Option("--observed-at", metavar="TIME", help="When the capture was taken (ISO 8601, UTC unless it says otherwise); for a single file only.")] = None,
    fmt: FormatOption = None,
) -> None:
    """Record archived captures as if fetched when they were taken (backfill). Never sends alerts."""
    from watcher.cli.change_output import show_changes
    from watcher.poll.captures import MANIFESTS
    from watcher.store.queries import change_dict

    if file.is_dir() or file.name in MANIFESTS:
        if observed_at is not None:
            fail("--observed-at is for a single file: a directory's captures carry their own times", 2)
        _ingest_captures(ctx, source, file, fmt)
        return
    if observed_at is None:
        fail("--observed-at is required for a single file (when was it captured?)", 2)
    c = context_of(ctx)
    when = parse_time_option(observed_at)
    from watcher.poll.pipeline import OutOfOrderError

    try:
        result = c.app.ingest(source, file, when)
    except OutOfOrderError:
        # Older than the recorded history: merged the way a directory's older captures are.
        from watcher.poll.captures import Capture

        _backfill(ctx, source, [Capture(when, file)], fmt)
        return
    typer.echo(poll_summary(result), err=True)
    show_changes([change_dict(ch) for ch in result.changes], fmt, title="changes")
    if result.outcome == "refused":
        raise typer.Exit(1)


def _ingest_captures(ctx: typer.Context, source: str, path: Path, fmt: Format | None) -> None:
    """`watcher ingest SOURCE DIR`: every capture in DIR (or its manifest), oldest first."""
    from watcher.poll.captures import CaptureError, discover

    try:
        captures = discover(path)
    except CaptureError as exc:
        fail(str(exc))
    _backfill(ctx, source, captures, fmt)


def _backfill(ctx: typer.Context, source: str, captures: list[Capture], fmt: Format | None) -> None:
    """Backfill `captures` (oldest first): newer ones ingested in turn, older ones merged into the history."""
    from watcher.app.backfill import backfill
    from watcher.poll.replay import ReplayError

    c = context_of(ctx)
    try:
        rows = backfill(c.app, source, captures, progress=lambda line: print(line, file=sys.stderr, flush=True))
    except ReplayError as exc:
        fail(str(exc))
    render(rows, fmt or default_format(), columns=("observed_at", "file", "outcome", "rows", "changes", "how"),
           title=f"ingest {source}")
    if any(r["outcome"] == "refused" for r in rows):
        raise typer.Exit(1)


@app.command()
def reparse(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="SOURCE", help="The source whose history to rebuild from its kept raw documents.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would change, change nothing.")] = False,
    fmt: FormatOption = None,
) -> None:
    """Rebuild a source's versions and changes from its raw documents with today's parser. Sends no alerts."""
    from watcher.poll.replay import ReplayError

    c = context_of(ctx)
    try:
        report = c.app.reparse(source, dry_run=dry_run)
    except ReplayError as exc:
        fail(str(exc))
    since = report.replayed_from.isoformat()
    note = " (older documents were pruned: history before that kept as it was)" if report.partial else ""
    verb = "would rebuild" if dry_run else "rebuilt"
    typer.echo(f"{source}: {verb} {report.runs} runs from {since} with parser {report.parser_version}{note}; "
               f"{report.outcomes_changed} runs changed outcome", err=True)
    render(report.rows(), fmt or default_format(), columns=("measure", "before", "after", "removed", "added"),
           title=f"reparse {source}" + (" (dry run)" if dry_run else ""))
