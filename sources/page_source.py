"""What every lifecycle-page parser does around its own table reading.

An empty body, a page with none of the tables the source reads (a layout change,
an error page, a bot challenge), and a body cut short in transfer are each one
clear ParseError: the poll fails as a whole (one `source_health` alert after a
few), never a flood of "removed" rows. Rows keep the first statement of a key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from sources.blocks import Block, Table, blocks, cut_short
from watcher.model import Document, Observation, ParseError

RowReader = Callable[[Sequence[Block], str], Iterable[Observation]]


def read_page(doc: Document, rows: RowReader, expected: str) -> list[Observation]:
    """The observations `rows` reads from `doc`'s headings and tables (it also gets the raw text)."""
    text = doc.text
    if not text.strip():
        raise ParseError("empty document")
    found = blocks(text)
    seen: dict[str, Observation] = {}
    for obs in rows(found, text):
        seen.setdefault(obs.key, obs)
    if not seen:
        tables = sum(isinstance(b, Table) for b in found)
        status = f"; HTTP {doc.http_status}" if doc.http_status != 200 else ""
        raise ParseError(f"no {expected} ({tables} tables in all{status}; layout changed?)")
    if (cut := cut_short(text)) is not None:
        raise ParseError(f"truncated: {cut}")
    return list(seen.values())
