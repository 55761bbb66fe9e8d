"""`watcher describe [NAME]`: what each known source is, in its own words.

Every built-in and installed (entry point `watcher.sources`) source, with whose
word it is, its URLs and its own options with their defaults and help, straight
from the source's declarations (sources.base). Reads no config and no database.

Registered on `watcher.cli.app` (imported at the end of watcher/cli.py).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from watcher.cli import FormatOption, app, fail
from watcher.output import Format, default_format, render

COLUMNS = ("source", "first_party", "account_view", "partial_renderings", "urls", "options", "description")


@app.command()
def describe(
    name: Annotated[str | None, typer.Argument(help="A source name (default: every known source).")] = None,
    fmt: FormatOption = None,
) -> None:
    """What each source reads, whose word it is, and its own config options (defaults and help)."""
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
    render(rows, chosen, columns=COLUMNS, title="sources")
