"""How the commands that list changes (`poll`, `accept`, `ingest`, `changes`) print them."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, Final

from watcher.output import Format, default_format, render

CHANGE_COLUMNS: Final = ("detected_at", "source", "model", "kind", "field", "old", "new", "severity", "note",
                         "silence_id")


def show_changes(rows: Iterable[dict[str, Any]], fmt: Format | None, *, title: str) -> None:
    """Changes on stdout: the compact view on a terminal (or --format table), every field otherwise."""
    fmt = fmt or default_format()
    if fmt is Format.TABLE:
        from watcher.change_view import print_changes

        print_changes(rows, title=title, out=sys.stdout)
    else:
        render(rows, fmt, columns=CHANGE_COLUMNS, title=title)
