"""Options several commands share, and turning their text into values with one clear
error line (exit 2) instead of a traceback."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated

import typer

from watcher.cli.context import fail
from watcher.output import Format

FormatOption = Annotated[
    Format | None,
    typer.Option("--format", "-f", metavar="table|json|csv|ndjson",
                 help="Output format (default: table on a terminal, json otherwise)."),
]


def parse_time_option(text: str) -> dt.datetime:
    """An ISO time (UTC unless it says otherwise) or an age such as `7d` (ago)."""
    from watcher.durations import parse_time

    try:
        return parse_time(text)
    except ValueError as exc:
        fail(str(exc), 2)


def parse_duration_option(option: str, text: str) -> dt.timedelta:
    """A duration such as `90d`, `12w`, `1h`, for `option`."""
    from watcher.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        fail(f"{option}: {exc}", 2)


def parse_date_option(option: str, text: str) -> dt.date:
    """A day, YYYY-MM-DD, for `option` (e.g. --today)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{option} {text!r}: expected YYYY-MM-DD", 2)


def check_choices(option: str, values: Sequence[str] | None, allowed: Sequence[str]) -> None:
    for value in values or []:
        if value not in allowed:
            fail(f"{option} {value!r}: expected one of {', '.join(allowed)}", 2)
