"""Alert commands: `outbox`, `deliver`, `notify-test`, `silence add|list|expire`.

Thin, like the rest of the CLI: parse, call one function of `watcher.alerts` (or
of the read facade, for the listings), render.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated

import typer

from watcher.cli.app import app
from watcher.cli.context import FormatOption, check_choices, context_of, fail, parse_time_option
from watcher.cli.help_format import ProseGroup
from watcher.output import default_format, render

silence_app = typer.Typer(cls=ProseGroup, help="Hold back alerts about some models for a while (changes are still recorded).",
                          no_args_is_help=True)
app.add_typer(silence_app, name="silence")

OUTBOX_STATES = ("pending", "failed", "sending", "dead", "sent")
OUTBOX_COLUMNS = ("id", "state", "channel", "route", "kind", "severity", "attempts", "created_at",
                  "next_attempt_at", "last_error", "title")


@app.command()
def outbox(
    ctx: typer.Context,
    state: Annotated[list[str] | None, typer.Option("--state", metavar="STATE", help="pending, failed, sending, dead or sent (repeatable; default: all but sent).")] = None,
    limit: Annotated[int | None, typer.Option(min=0, metavar="N", help="At most this many rows.")] = None,
    fmt: FormatOption = None,
) -> None:
    """Deliveries waiting, failing (with the channel's last answer), in flight, or dead."""
    from watcher.store.readers import outbox_listing

    check_choices("--state", state, OUTBOX_STATES)
    states = state or ["pending", "failed", "sending", "dead"]
    rows = outbox_listing(context_of(ctx).query_engine, states, limit)
    render(rows, fmt or default_format(), columns=OUTBOX_COLUMNS, title="outbox")


@app.command()
def deliver(
    ctx: typer.Context,
    retry_dead: Annotated[bool, typer.Option("--retry-dead", help="Give dead deliveries a fresh set of attempts first.")] = False,
    fmt: FormatOption = None,
) -> None:
    """Send what the outbox holds now, without waiting for retry backoff; exit 1 if any failed."""
    from watcher.alerts.dispatch import dispatch_due
    from watcher.alerts.outbox import revive_dead
    from watcher.cli.deliveries import report_dispatch

    c = context_of(ctx)
    if retry_dead:
        typer.echo(f"{revive_dead(c.app.engine)} dead deliveries pending again", err=True)
    result = dispatch_due(c.app, early=True)
    report_dispatch(result)
    render(({"id": o.delivery_id, "channel": o.channel, "status": o.status, "attempts": o.attempts,
             "seconds": round(o.seconds, 3), "answer": o.answer} for o in result.outcomes),
           fmt or default_format(), columns=("id", "channel", "status", "attempts", "seconds", "answer"),
           title="deliveries")
    if result.failed or result.dead:
        raise typer.Exit(1)


@app.command("notify-test")
def notify_test(
    ctx: typer.Context,
    channel: Annotated[str, typer.Argument(metavar="CHANNEL", help="A channel name from [channels.NAME] in config.toml.")],
) -> None:
    """Send a test message through one channel now and print its answer."""
    from watcher.alerts.channels import Bodies, send, url_problem
    from watcher.model import Severity

    settings = context_of(ctx).settings
    if channel not in settings.channels:
        known = ", ".join(sorted(settings.channels)) or "none configured"
        fail(f"no channel named {channel!r} (channels: {known})", 2)
    if not settings.channels[channel].enabled:
        fail(f"channel {channel!r} is off: its URL expands to nothing (is its environment variable set?)", 2)
    problem = url_problem(settings.channels[channel].url)
    if problem is not None:
        fail(f"channels.{channel}.url: {problem}")
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    line = f"Test message from Model Lifecycle Watcher to channel {channel}, sent {now}. No action needed."
    bodies = Bodies(title=f"Model Lifecycle Watcher: test of {channel}", text=line, markdown=line,
                    html=f"<p>{line}</p>")
    # Apprise says what went right at INFO (never secrets: those are at DEBUG, which stays off).
    apprise_log = logging.getLogger("apprise")
    level = apprise_log.level
    apprise_log.setLevel(logging.INFO)
    try:
        result = send(settings.channels[channel].url, bodies, Severity.INFO, timeout=settings.alerts.send_timeout)
    finally:
        apprise_log.setLevel(level)
    verdict = "delivered" if result.ok else "NOT delivered"
    typer.echo(f"{channel}: {verdict} in {result.seconds:.2f}s (as {result.body_format or 'unknown format'})")
    typer.echo(f"answer: {result.answer}")
    if not result.ok:
        raise typer.Exit(1)


# --- silences -----------------------------------------------------------------------------


def _until(text: str, now: dt.datetime) -> dt.datetime:
    """`7d`, `12h` (from now) or an ISO time."""
    from watcher.durations import parse_duration

    try:
        return now + parse_duration(text)
    except ValueError:
        return parse_time_option(text)


@silence_app.command("add")
def silence_add(
    ctx: typer.Context,
    model: Annotated[str, typer.Option("--model", "-m", metavar="MODEL", help="Model id or glob, e.g. 'gpt-4o*' ('*' for every model of --source).")],
    until: Annotated[str, typer.Option("--until", metavar="TIME", help="When the silence ends: 7d, 12h (from now), or an ISO time.")],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why; shown in `watcher silence list`.")],
    source: Annotated[str | None, typer.Option("--source", "-s", metavar="SOURCE", help="Only changes from this source.")] = None,
    fmt: FormatOption = None,
) -> None:
    """Silence alerts about matching models until a time. Changes are still recorded."""
    from watcher.alerts.silences import SilenceError, add_silence

    c = context_of(ctx)
    if source is not None:
        c.app.source_settings(source)
    now = dt.datetime.now(dt.UTC)
    try:
        row = add_silence(c.app.engine, model=model, source=source, until=_until(until, now), reason=reason, now=now)
    except SilenceError as exc:
        fail(str(exc), 2)
    typer.echo(f"silence {row['id']} active until {row['until']}", err=True)
    render([row], fmt or default_format(), title="silence")


@silence_app.command("list")
def silence_list(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="Include expired silences.")] = False,
    fmt: FormatOption = None,
) -> None:
    """Silences, with how many changes each has held back."""
    from watcher.store.readers import silence_listing

    rows = silence_listing(context_of(ctx).query_engine, dt.datetime.now(dt.UTC), everything=show_all)
    render(rows, fmt or default_format(),
           columns=("id", "state", "model", "source", "until", "reason", "held_changes", "created_at"),
           title="silences")


@silence_app.command("expire")
def silence_expire(
    ctx: typer.Context,
    silence_id: Annotated[int, typer.Argument(metavar="ID", help="The silence's id (see `watcher silence list`).")],
) -> None:
    """End a silence now."""
    from watcher.alerts.silences import SilenceError, expire_silence

    c = context_of(ctx)
    try:
        expire_silence(c.app.engine, silence_id, dt.datetime.now(dt.UTC))
    except SilenceError as exc:
        fail(str(exc), 2)
    typer.echo(f"silence {silence_id} expired")
