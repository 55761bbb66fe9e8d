"""Rendering listings: table (Rich) on a terminal, JSON/CSV/NDJSON for machines.

Rows are dicts; rendering streams where the format allows it (ndjson, csv), so
an export of a large table runs in constant memory.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import IO, Any


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    NDJSON = "ndjson"


def default_format(stream: IO[str] | None = None) -> Format:
    stream = stream or sys.stdout
    return Format.TABLE if stream.isatty() else Format.JSON


def render(rows: Iterable[dict[str, Any]], fmt: Format, *, columns: Sequence[str] | None = None,
           title: str | None = None, stream: IO[str] | None = None) -> int:
    """Write `rows`; returns how many were written."""
    out = stream or sys.stdout
    if fmt is Format.NDJSON:
        count = 0
        for row in rows:
            out.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")
            count += 1
        return count
    if fmt is Format.JSON:
        count = 0
        out.write("[")
        for row in rows:
            out.write(("," if count else "") + "\n  " + json.dumps(row, default=str, ensure_ascii=False))
            count += 1
        out.write("\n]\n" if count else "]\n")
        return count
    if fmt is Format.CSV:
        iterator = iter(rows)
        first = next(iterator, None)
        if first is None:
            if columns:
                csv.writer(out).writerow(columns)
            return 0
        fields = list(columns or first.keys())
        writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerow(_csv_row(first))
        count = 1
        for row in iterator:
            writer.writerow(_csv_row(row))
            count += 1
        return count
    return _table(list(rows), columns, title, out)


def _table(rows: list[dict[str, Any]], columns: Sequence[str] | None, title: str | None, out: IO[str]) -> int:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=out, soft_wrap=False)
    if not rows:
        console.print(Text(f"{title + ': ' if title else ''}nothing to show", style="dim"))
        return 0
    fields = list(columns or rows[0].keys())
    table = Table(title=title, show_lines=False, header_style="bold")
    for field in fields:
        table.add_column(field, overflow="fold")
    for row in rows:
        # Text(), not markup: scraped values such as "[red]" must print as they are.
        table.add_row(*(Text(_cell(row.get(f))) for f in fields))
    console.print(table)
    return len(rows)


def _csv_row(row: dict[str, Any]) -> dict[str, Any]:
    """A JSON value (`prices`) as compact JSON text in its cell, the same text the database holds."""
    if not any(isinstance(v, (dict, list)) for v in row.values()):
        return row
    return {k: json.dumps(v, ensure_ascii=False, separators=(",", ":")) if isinstance(v, (dict, list)) else v
            for k, v in row.items()}


def _cell(value: Any) -> str:
    """A table cell: `prices` as `key value; key value` (as `check` and `show` spell them)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return "; ".join(f"{k} {v}" for k, v in value.items())
    return str(value)
