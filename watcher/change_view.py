"""Changes as a person reads them on a terminal: one line per change where it fits.

Scripts get every field from `--format json|csv|ndjson`; this view is for eyes.
It folds `kind` and `field` into one "change" column and `old`/`new` into one
"old → new" column, writes times as `2026-06-27 10:30` (UTC), and shows a row's
key under its model only where they differ: `256-x-256/dall-e-2` and
`512-x-512/dall-e-2` are both model `dall-e-2`, and must not look the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import IO, Any

from watcher.model import FIELD_OF_KIND

_ARROW = " → "


def when(value: Any) -> str:
    """`2026-06-27T10:30:00.282042Z` -> `2026-06-27 10:30` (UTC; seconds say nothing here)."""
    if value is None:
        return ""
    text = str(value)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    return parsed.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")


def what(row: Mapping[str, Any]) -> str:
    """`price: input`, `shutdown_date`, `listed`: the field only when the kind does not imply it."""
    kind, field = str(row.get("kind") or ""), row.get("field")
    return f"{kind}: {field}" if field and field not in (kind, FIELD_OF_KIND.get(kind)) else kind


def old_new(row: Mapping[str, Any]) -> str:
    old, new = row.get("old"), row.get("new")
    if old is None or old == "":
        return "" if new is None else str(new)
    return f"{old}{_ARROW}{'' if new is None else new}"


def model_lines(row: Mapping[str, Any]) -> tuple[str, str | None]:
    """The model, and beneath it what the key adds when the key says something the
    model does not: `256-x-256/…` under `dall-e-2`, the model's own name elided."""
    model, key = row.get("model"), row.get("key")
    if not model:
        return str(key or ""), None
    if not key or key == model:
        return str(model), None
    return str(model), str(key).replace(str(model), "…", 1)


def severity(row: Mapping[str, Any]) -> str:
    text = str(row.get("severity") or "")
    return f"{text} (silenced #{row['silence_id']})" if row.get("silence_id") is not None else text


def print_changes(rows: Iterable[Mapping[str, Any]], *, title: str, out: IO[str], width: int | None = None) -> int:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    listed = list(rows)
    console = Console(file=out, soft_wrap=False, highlight=False, width=width)
    if not listed:
        console.print(Text(f"{title}: nothing to show", style="dim"))
        return 0
    one_source = len({r.get("source") for r in listed}) == 1
    table = Table(title=f"{title} (times UTC)" + (f" from {listed[0].get('source')}" if one_source else ""),
                  box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, show_edge=False)
    table.add_column("when", no_wrap=True)
    if not one_source:
        table.add_column("source", no_wrap=True, overflow="ellipsis", max_width=20)
    table.add_column("model", overflow="fold", ratio=2)
    table.add_column("change", overflow="fold", max_width=28)
    table.add_column("old → new", overflow="fold", ratio=3)
    table.add_column("severity", no_wrap=True)
    for row in listed:
        model, key = model_lines(row)
        # Text(), not markup: scraped values such as "[red]" must print as they are.
        model_cell = Text(model)
        if key is not None:
            model_cell.append(f"\n{key}", style="dim")
        change = Text(old_new(row))
        if row.get("note"):
            change.append(f"\n{row['note']}", style="dim")
        cells = [Text(when(row.get("detected_at")))]
        if not one_source:
            cells.append(Text(str(row.get("source") or "")))
        cells += [model_cell, Text(what(row)), change, Text(severity(row), style=_STYLE.get(str(row.get("severity")), ""))]
        table.add_row(*cells)
    console.print(table)
    return len(listed)


_STYLE = {"critical": "bold red", "warning": "yellow"}
