"""What every command is given: the global options, and the settings, the application
and the read-only database opened from them on first use; the options several
commands share, and turning their text into values with one clear error line
(exit 2) instead of a traceback.

Opening is lazy so that a command pays only for what it touches: `describe` reads
no config, a query opens the fast read-only engine and never the application.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from watcher.output import Format

if TYPE_CHECKING:
    from watcher.app import App
    from watcher.config import Settings
    from watcher.logs import RedactingFilter
    from watcher.store.reading import QueryEngine


@dataclasses.dataclass
class Context:
    config_path: Path | None
    db: str | None
    verbose: bool
    redactor: RedactingFilter
    log_format: str = "text"
    _settings: Settings | None = None
    _app: App | None = None
    _query_engine: QueryEngine | None = None

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
        """The whole application (polls, writes, alerts): for commands that change things."""
        if self._app is None:
            from watcher.app import App

            self._app = App.create(self.settings, self.db)
        return self._app

    @property
    def query_engine(self) -> QueryEngine:
        """The database for a read-only command: current schema, no application wiring."""
        if self._query_engine is None:
            from watcher.store.reading import open_for_queries

            self._query_engine = open_for_queries(self.db, self.settings.storage_url)
        return self._query_engine


def context_of(ctx: typer.Context) -> Context:
    """The `Context` the root callback made, from any command's Typer context."""
    obj = ctx.find_root().obj
    assert isinstance(obj, Context)
    return obj


def fail(message: str, code: int = 1) -> NoReturn:
    """One clear line on stderr and the exit code: 1 for a failure, 2 for a usage error."""
    typer.echo(f"watcher: {message}", err=True)
    raise typer.Exit(code)


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
