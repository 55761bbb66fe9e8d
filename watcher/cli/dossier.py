"""`watcher show MODEL`: every source's current statement about a model, side by side,
with the days left until the provider's shutdown and the open disagreements
(`watcher.show.model_statements`, the views the web page's dossier is built on).
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Annotated, Any

import typer

from watcher.cli.app import app
from watcher.cli.context import FormatOption, context_of, fail, parse_date_option
from watcher.output import Format, default_format, render
from watcher.present import LISTED_FACTS

SOURCE_COLUMNS = ("source", "source_id", "distribution", *LISTED_FACTS, "last_seen")
FLAT_COLUMNS = ("provider", "model", "provider_shutdown_on", "days_left", "source", "source_id", "key",
                "distribution", *LISTED_FACTS, "since", "last_seen", "disagreements")


@app.command()
def show(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(metavar="MODEL", help="Model id as any source spells it (sora-2, openai/sora-2, azure/sora-2), or a glob.")],
    today: Annotated[str | None, typer.Option("--today", metavar="DATE", help="Count days left from this date (YYYY-MM-DD; default: today, UTC).")] = None,
    fmt: FormatOption = None,
) -> None:
    """What every source says now about a model; days to the provider's shutdown; disagreements."""
    from sources.registry import reference_sources
    from watcher.show import model_statements

    day = parse_date_option("--today", today) if today else dt.datetime.now(dt.UTC).date()
    views = model_statements(context_of(ctx).query_engine, model, today=day, official_sources=reference_sources())
    if not views:
        fail(f"no source lists {model!r}")
    chosen = fmt or default_format()
    if chosen is Format.JSON:
        render(views, chosen)
    elif chosen is Format.TABLE:
        for view in views:
            _table(view)
    else:
        render((row for view in views for row in flat_rows(view, text=chosen is Format.CSV)), chosen,
               columns=FLAT_COLUMNS)


def flat_rows(view: dict[str, Any], *, text: bool) -> list[dict[str, Any]]:
    """One row per source row, carrying the model's shutdown, days left and that source's disagreements."""
    from watcher.present import join_prices

    rows = []
    for row in view["sources"]:
        flat = {"provider": view["provider"], "model": view["model"],
                "provider_shutdown_on": view["shutdown_on"], "days_left": view["days_left"], **row}
        if text:
            flat["prices"] = join_prices(row["prices"].items())
            flat["disagreements"] = "; ".join(row["disagreements"])
        rows.append(flat)
    return rows


def _table(view: dict[str, Any]) -> None:
    from watcher.present import join_prices

    rows = [{**row, "prices": join_prices(row["prices"].items(), "\n")} for row in view["sources"]]
    name = f"{view['provider']}/{view['model']}"
    render(rows, Format.TABLE, columns=SOURCE_COLUMNS, title=name)
    if view["days_left"] is None:
        typer.echo(f"{name}: the provider has announced no shutdown")
    else:
        days = view["days_left"]
        when = f"{days} days left" if days >= 0 else f"shut down {-days} days ago"
        typer.echo(f"{name}: shutdown {view['shutdown_on']} ({view['shutdown_source']}): {when}")
    for platform in view.get("platforms", []):
        days = platform["days_left"]
        when = f"{days} days left" if days >= 0 else f"shut down {-days} days ago"
        typer.echo(f"{name} on {platform['distribution']}: its own schedule, shutdown {platform['shutdown_on']} "
                   f"({platform['source']}): {when}")
    if view["disagreements"]:
        render(view["disagreements"], Format.TABLE, columns=("source", "kind", "text", "since"),
               title="open disagreements")
    else:
        typer.echo("no open disagreements")
    sys.stdout.flush()
