"""The `watcher` command line. Thin: parse arguments, call one operation, render.

Heavy modules (SQLAlchemy, httpx, parsers) are imported inside the commands
that need them, so that `watcher --help` and quick queries start fast.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from watcher.cli_help import ProseGroup
from watcher.output import Format, default_format, render

if TYPE_CHECKING:
    from watcher.app import App
    from watcher.config import Settings
    from watcher.logs import RedactingFilter

app = typer.Typer(
    cls=ProseGroup,
    help="Model Lifecycle Watcher: watches where AI models are announced, priced and sold, "
    "and says when something that matters changes.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
db_app = typer.Typer(cls=ProseGroup, help="Database schema and maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")

FormatOption = Annotated[
    Format | None,
    typer.Option("--format", "-f", metavar="table|json|csv|ndjson",
                 help="Output format (default: table on a terminal, json otherwise)."),
]


@dataclasses.dataclass
class Context:
    config_path: Path | None
    db: str | None
    verbose: bool
    redactor: RedactingFilter
    log_format: str = "text"
    _settings: Settings | None = None
    _app: App | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from watcher.config import load

            self._settings = load(self.config_path)
            # Known secret values are masked in every log line from here on.
            self.redactor.secrets.extend(self._settings.secrets())
        return self._settings

    @property
    def app(self) -> App:
        if self._app is None:
            from watcher.app import App

            self._app = App.create(self.settings, self.db)
        return self._app


def _version(value: bool) -> None:
    if value:
        from watcher import __version__

        typer.echo(f"watcher {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option("--config", "-c", metavar="PATH", help="The config.toml to read (default: ./config.toml if present).", envvar="WATCHER_CONFIG")] = None,
    db: Annotated[str | None, typer.Option("--db", metavar="URL", help="Database URL or SQLite path; overrides WATCHER_DB and [storage] url.", show_envvar=False)] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress to stderr.")] = False,
    log_format: Annotated[str, typer.Option("--log-format", metavar="text|json", envvar="WATCHER_LOG_FORMAT",
                                            help="Log lines as text (the default) or one JSON object per line.")] = "text",
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    from watcher.logs import LOG_FORMATS, setup_logging

    if log_format not in LOG_FORMATS:
        raise typer.BadParameter(f"{log_format!r} is not one of {', '.join(LOG_FORMATS)}", param_hint="'--log-format'")
    redactor = setup_logging(logging.DEBUG if verbose else logging.WARNING, log_format=log_format)
    ctx.obj = Context(config_path=config, db=db, verbose=verbose, redactor=redactor, log_format=log_format)


def _ctx(ctx: typer.Context) -> Context:
    obj = ctx.find_root().obj
    assert isinstance(obj, Context)
    return obj


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"watcher: {message}", err=True)
    raise typer.Exit(code)


# --- polling --------------------------------------------------------------------------


@app.command()
def poll(
    ctx: typer.Context,
    sources: Annotated[list[str] | None, typer.Argument(metavar="SOURCE...", help="Sources to poll (default: every enabled source).")] = None,
    fmt: FormatOption = None,
) -> None:
    """Poll sources once now, record what they say, and print the changes found."""
    c = _ctx(ctx)
    names = c.app.enabled_sources(sources or [])
    results = _poll_with_progress(c, names)
    from watcher.cli_alerts import deliver_after_poll

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
    from watcher.store.queries import change_dict

    c = _ctx(ctx)
    result = c.app.accept(source)
    if result is None:
        typer.echo(f"{source}: not refused, nothing to accept", err=True)
        return
    from watcher.cli_alerts import deliver_after_poll

    deliver_after_poll(c.app)
    typer.echo(_summary(result), err=True)
    show_changes([change_dict(ch) for ch in result.changes], fmt, title="changes")


def _poll_with_progress(c: Context, names: list[str]) -> list[Any]:
    """Poll concurrently; a line per source on stderr as each finishes, and on a
    terminal a live line saying which are still in flight."""
    import asyncio

    from watcher.poll_many import poll_many

    if not sys.stderr.isatty() or len(names) < 2:
        return asyncio.run(poll_many(c.app, names, c.settings.fetch,
                                     on_done=lambda result: typer.echo(_summary(result), err=True)))
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
            progress.console.print(_summary(result), markup=False)
            progress.update(task, advance=1, description=", ".join(in_flight))

        return asyncio.run(poll_many(c.app, names, c.settings.fetch, on_start=started, on_done=done))


def show_changes(rows: Iterable[dict[str, Any]], fmt: Format | None, *, title: str) -> None:
    """Changes on stdout: the compact view on a terminal (or --format table), every field otherwise."""
    fmt = fmt or default_format()
    if fmt is Format.TABLE:
        from watcher.change_view import print_changes

        print_changes(rows, title=title, out=sys.stdout)
    else:
        render(rows, fmt, columns=CHANGE_COLUMNS, title=title)


@app.command()
def check(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="SOURCE", help="Source name, e.g. openai-deprecations.")],
    file: Annotated[Path | None, typer.Option("--file", metavar="PATH", help="Parse this file instead of fetching.")] = None,
    fmt: FormatOption = None,
) -> None:
    """Fetch (or read --file) and parse only: print the observations, store nothing."""
    from watcher.app import read_capture

    c = _ctx(ctx)
    if file is not None:
        doc = read_capture(source, file, dt.datetime.now(dt.UTC))
    else:
        import asyncio

        doc = asyncio.run(_fetch_only(c, source))
    observations = c.app.check(source, doc)
    typer.echo(f"{source}: {len(observations)} rows from {doc.url}", err=True)
    from watcher.present import observation_dict

    render((observation_dict(o) for o in observations), fmt or default_format(),
           columns=("key", "model", "aliases", "status", "shutdown_on", "replacement", "prices", "availability",
                    "milestones"),
           title=source)


async def _fetch_only(c: Context, name: str) -> Any:
    from watcher.fetch import Fetcher

    source = c.app.fetchable(name)
    async with Fetcher(c.settings.fetch) as fetcher:
        result = await fetcher.fetch_source(source)
    if result.document is None:
        from watcher.app import fetch_error

        fail(f"{name}: fetch failed: {fetch_error(result.url, result.error)}")
    return result.document


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
    from watcher.captures import MANIFESTS
    from watcher.durations import parse_time
    from watcher.store.queries import change_dict

    if file.is_dir() or file.name in MANIFESTS:
        from watcher.cli_analysts import ingest_captures

        if observed_at is not None:
            fail("--observed-at is for a single file: a directory's captures carry their own times", 2)
        ingest_captures(ctx, source, file, fmt)
        return
    if observed_at is None:
        fail("--observed-at is required for a single file (when was it captured?)", 2)
    c = _ctx(ctx)
    when = _time(observed_at, parse_time)
    from watcher.pipeline import OutOfOrderError

    try:
        result = c.app.ingest(source, file, when)
    except OutOfOrderError:
        # Older than the recorded history: merged the way a directory's older captures are.
        from watcher.captures import Capture
        from watcher.cli_analysts import ingest_capture_list

        ingest_capture_list(ctx, source, [Capture(when, file)], fmt)
        return
    typer.echo(_summary(result), err=True)
    show_changes([change_dict(ch) for ch in result.changes], fmt, title="changes")
    if result.outcome == "refused":
        raise typer.Exit(1)


# --- queries --------------------------------------------------------------------------

CHANGE_COLUMNS = ("detected_at", "source", "model", "kind", "field", "old", "new", "severity", "note",
                  "silence_id")


@app.command()
def changes(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(metavar="TIME", help="Only changes detected since (ISO time, or 7d for 7 days ago).")] = None,
    until: Annotated[str | None, typer.Option(metavar="TIME", help="Only changes detected before this time.")] = None,
    source: Annotated[list[str] | None, typer.Option("--source", "-s", metavar="SOURCE", help="Only these sources (repeatable).")] = None,
    provider: Annotated[list[str] | None, typer.Option(metavar="PROVIDER", help="Only these providers (repeatable).")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", metavar="MODEL", help="Model id or glob, e.g. 'sora-2*'.")] = None,
    kind: Annotated[list[str] | None, typer.Option("--kind", "-k", metavar="KIND", help="Only these kinds: listed, delisted, status, shutdown_date, price, … (repeatable).")] = None,
    severity: Annotated[list[str] | None, typer.Option(metavar="SEVERITY", help="Only these severities: info, warning, critical (repeatable).")] = None,
    limit: Annotated[int | None, typer.Option(min=0, metavar="N", help="At most this many rows.")] = None,
    fmt: FormatOption = None,
) -> None:
    """List detected changes, oldest first."""
    from watcher.cli_analysts import query_engine
    from watcher.durations import parse_time
    from watcher.model import ChangeKind, Severity
    from watcher.store.queries_changes import ChangeFilter
    from watcher.store.queries_changes import changes as query_changes

    _check_choices("--kind", kind, tuple(k.value for k in ChangeKind))
    _check_choices("--severity", severity, tuple(s.value for s in Severity))
    flt = ChangeFilter(
        since=_time(since, parse_time) if since else None,
        until=_time(until, parse_time) if until else None,
        sources=source or (), providers=provider or (), model=model,
        kinds=kind or (), severities=severity or (), limit=limit,
    )
    with query_engine(ctx).connect() as connection:
        check_sources(ctx, connection, source)
        show_changes(query_changes(connection, flt), fmt, title="changes")


@app.command()
def history(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(metavar="MODEL", help="Model id (or glob), as any source spells it.")],
    fmt: FormatOption = None,
) -> None:
    """Every version of a model's facts, across sources: by source and row, oldest first."""
    from watcher.cli_analysts import query_engine
    from watcher.store.queries_versions import history as query_history

    with query_engine(ctx).connect() as connection:
        rows = query_history(connection, model)
    if not rows:
        typer.echo(f"no history for {model!r}", err=True)
    render(rows, fmt or default_format(),
           columns=("valid_from", "valid_to", "source", "key", "status", "shutdown_on", "replacement",
                    "prices", "availability", "milestones"),
           title=f"history of {model}")


@app.command("sources")
def sources_cmd(ctx: typer.Context, fmt: FormatOption = None) -> None:
    """Configured sources, their schedule and their health."""
    from watcher.cli_analysts import query_engine
    from watcher.durations import format_duration
    from watcher.store.queries_sources import source_summaries

    c = _ctx(ctx)
    names = list(c.settings.sources)
    with query_engine(ctx).connect() as connection:
        health = source_summaries(connection, names)
    rows = []
    for name in names:
        s = c.settings.sources[name]
        schedule = f"cron {s.cron}" if s.cron else f"every {format_duration(s.every)}" if s.every else "-"
        rows.append({"source": name, "enabled": s.enabled, "schedule": schedule, **health[name]})
    render(rows, fmt or default_format(), title="sources")


# --- database -------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply database migrations up to the newest schema."""
    from watcher.store.engine import make_engine, redact_url
    from watcher.store.migrate import upgrade

    c = _ctx(ctx)
    engine = make_engine(c.app.db_url)
    before, after = upgrade(engine)
    where = redact_url(c.app.db_url)
    if before == after:
        typer.echo(f"{where}: already at revision {after}")
    else:
        typer.echo(f"{where}: upgraded {before or 'empty'} -> {after}")


# --- helpers --------------------------------------------------------------------------

def _summary(result: Any) -> str:
    """`source: outcome, N rows, M changes (error)`: one line per poll, on stderr."""
    line = f"{result.source}: {result.outcome}"
    if result.rows is not None:
        line += f", {result.rows} rows"
    line += f", {len(result.changes)} changes"
    return line + (f" ({result.error})" if result.error else "")


def check_sources(ctx: typer.Context, connection: Any, names: list[str] | None) -> None:
    """A filter naming a source that is neither configured nor recorded is a typo,
    not an empty answer."""
    if not names:
        return
    from watcher.store.reading import recorded_sources

    configured = set(_ctx(ctx).settings.sources)
    known = configured | recorded_sources(connection)
    for name in names:
        if name not in known:
            fail(f"--source {name!r}: no such source (configured: {', '.join(sorted(configured))})", 2)


def _check_choices(option: str, values: list[str] | None, allowed: tuple[str, ...]) -> None:
    for value in values or []:
        if value not in allowed:
            fail(f"{option} {value!r}: expected one of {', '.join(allowed)}", 2)


def _time(text: str, parse: Any) -> dt.datetime:
    try:
        result: dt.datetime = parse(text)
    except ValueError as exc:
        fail(str(exc), 2)
    return result




# Click's exception classes, whichever click Typer runs on (its own vendored copy
# or the click package): found through a public Typer class that derives from them.
_CLICK_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
_USAGE_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


def main() -> None:
    """Entry point: run the app, turning expected failures into one clear line."""
    from watcher.errors import describe

    try:
        code = app(standalone_mode=False, prog_name="watcher")  # also under `python -m watcher`
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("watcher: interrupted", err=True)
        sys.exit(130)
    except _USAGE_ERROR as exc:
        sys.exit(_usage(exc))
    except _CLICK_ERROR as exc:
        typer.echo(f"watcher: {exc.format_message()}", err=True)  # type: ignore[attr-defined]
        sys.exit(getattr(exc, "exit_code", 1))
    except Exception as exc:
        message = describe(exc)
        if message is None:
            raise
        typer.echo(f"watcher: {message}", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _usage(exc: Exception) -> int:
    """A usage error as one line naming the command and where its help is; the help
    itself when a command group was given nothing to do."""
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "watcher"
    message: str = exc.format_message()  # type: ignore[attr-defined]
    if type(exc).__name__ == "NoArgsIsHelpError":
        typer.echo(message, err=True)
    else:
        # Typer's enum check words its message "Value error, 'xml' is not one of …".
        message = message.replace("Value error, ", "").rstrip(".")
        typer.echo(f"{where}: {message[:1].lower()}{message[1:]} (see '{where} --help')", err=True)
    return int(getattr(exc, "exit_code", 2))


import watcher.cli_alerts  # noqa: E402  (registers outbox, deliver, notify-test, silence)
import watcher.cli_analysts  # noqa: E402  (registers the analyst commands)
import watcher.cli_audit  # noqa: E402  (registers `audit`)
import watcher.cli_catalog  # noqa: E402  (registers `show`)
import watcher.cli_config  # noqa: E402  (registers `config check`)
import watcher.cli_daemon  # noqa: E402  (registers `run`)
import watcher.cli_sources  # noqa: E402  (registers `describe`)
import watcher.cli_web  # noqa: E402,F401  (registers `serve`)
