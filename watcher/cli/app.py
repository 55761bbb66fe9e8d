"""The `watcher` Typer application: its global options and the entry point that turns
expected failures into one clear line. The commands are registered on `app` by the
group modules (`watcher.cli.polling`, `queries`, …), which `watcher/cli/__init__.py`
imports; this module imports none of them.

Heavy modules (SQLAlchemy, httpx, parsers) are imported inside the commands
that need them, so that `watcher --help` and quick queries start fast.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.main

from watcher.cli.context import Context
from watcher.cli.help_format import ProseGroup

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


# Click's exception classes, whichever click Typer runs on (its own vendored copy
# or the click package): found through a public Typer class that derives from them.
_CLICK_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
_USAGE_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


def main() -> None:
    """Entry point: run the app, turning expected failures into one clear line. (The
    commands are registered: importing this module ran `watcher/cli/__init__.py` first.)"""
    from watcher.errors import describe

    try:
        code = command_line()(standalone_mode=False, prog_name="watcher")  # also under `python -m watcher`
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


def command_line() -> Any:
    """`app` as Typer makes it a click group, except that each command and command group
    is made when first asked for (click's lazy subcommands): Typer reads every
    command's annotations up front, a tenth of a query command's start-up, to run one."""
    commands, groups = app.registered_commands, app.registered_groups
    app.registered_commands, app.registered_groups = [], []
    try:
        group = typer.main.get_command(app)
    finally:
        app.registered_commands, app.registered_groups = commands, groups
    assert isinstance(group, ProseGroup)
    made: dict[str, Callable[[], Any]] = {}
    for info in commands:
        assert info.callback is not None
        name = info.name or typer.main.get_command_name(info.callback.__name__)
        made[name] = functools.partial(typer.main.get_command_from_info, info,
                                       pretty_exceptions_short=app.pretty_exceptions_short,
                                       rich_markup_mode=app.rich_markup_mode)
    for sub in groups:
        assert sub.name, "every command group of `watcher` is named"
        made[sub.name] = functools.partial(typer.main.get_group_from_info, sub,
                                           pretty_exceptions_short=app.pretty_exceptions_short,
                                           rich_markup_mode=app.rich_markup_mode,
                                           suggest_commands=app.suggest_commands)
    group.commands = _Commands(made)
    return group


class _Commands(MutableMapping[str, Any]):
    """A group's commands by name, in the order they were registered, each made on first use."""

    def __init__(self, makers: dict[str, Callable[[], Any]]) -> None:
        self._makers = makers
        self._made: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._made:
            self._made[name] = self._makers[name]()
        return self._made[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._makers.setdefault(name, lambda: command)
        self._made[name] = command

    def __delitem__(self, name: str) -> None:
        del self._makers[name]
        self._made.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)


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
