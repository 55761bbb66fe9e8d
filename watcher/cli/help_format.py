"""How `--help` lists commands: each command's first sentence, whole, wrapped.

Click shortens a command's help to fit one line of the listing and cuts it
mid-sentence ("Poll sources once now, record what they say, and print the...").
The listing is where a new operator learns what the tool does; it should read
as prose, so the first sentence is kept entire and wrapped instead.
"""

from __future__ import annotations

import functools
from typing import Any

from typer.core import TyperArgument, TyperGroup

_NO_LIMIT = 10_000  # click still stops at the end of the first sentence


class ProseGroup(TyperGroup):
    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(_NO_LIMIT)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        for param in getattr(command, "params", ()):
            if isinstance(param, TyperArgument) and param.metavar is not None:
                param.make_metavar = functools.partial(_plain_metavar, param.make_metavar)  # type: ignore[method-assign]
        return command


def _plain_metavar(make_metavar: Any, *args: Any, **kwargs: Any) -> str:
    """`SOURCE PATH` in the usage line, the usual Unix spelling, not Typer's `{SOURCE} {PATH}`."""
    return str(make_metavar(*args, **kwargs)).replace("{", "").replace("}", "")
