"""Detected changes, filtered: `watcher changes` and anything that lists them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any, Final

from watcher.store import times
from watcher.store.layout import kinds
from watcher.store.sql import Params, Readable, dialect, rows
from watcher.store.values import plain_rows_of

CHANGE_FIELDS: Final = ("id", "detected_at", "source", "provider", "model", "key", "kind", "field", "old", "new",
                        "severity", "note", "run_id", "silence_id")


@dataclasses.dataclass(frozen=True, slots=True)
class ChangeFilter:
    since: dt.datetime | None = None  # inclusive
    until: dt.datetime | None = None  # exclusive
    sources: Sequence[str] = ()
    providers: Sequence[str] = ()
    model: str | None = None  # glob, matched against the model and the row key
    kinds: Sequence[str] = ()
    severities: Sequence[str] = ()
    limit: int | None = None
    offset: int = 0  # rows skipped first (pagination)
    newest_first: bool = False


_KINDS: Final = kinds("change")
_COLUMNS: Final = tuple((name, _KINDS[name]) for name in CHANGE_FIELDS)
_SELECT: Final = f"SELECT {', '.join(CHANGE_FIELDS)} FROM change_record"


def changes(connection: Readable, flt: ChangeFilter) -> Iterator[dict[str, Any]]:
    """Matching changes, oldest first (or newest first), as plain dicts (streamed, not loaded whole)."""
    p = Params()
    where: list[str] = []
    if flt.since is not None:
        where.append(f"detected_at >= {p(times.Compact(flt.since))}")
    if flt.until is not None:
        where.append(f"detected_at < {p(times.Compact(flt.until))}")
    for column, values in (("source", flt.sources), ("provider", flt.providers), ("kind", flt.kinds),
                           ("severity", flt.severities)):
        if values:
            where.append(f"{column} IN {p.among(values)}")
    if flt.model:
        name = dialect(connection)
        where.append(f"({p.glob('model', flt.model, name)} OR {p.glob('key', flt.model, name)})")
    sql = _SELECT + (f" WHERE {' AND '.join(where)}" if where else "")
    sql += " ORDER BY detected_at DESC, id DESC" if flt.newest_first else " ORDER BY detected_at, id"
    if flt.limit:
        sql += f" LIMIT {p(flt.limit)}"
    if flt.offset:
        # SQLite has no OFFSET without LIMIT: -1 there is no limit (PostgreSQL: ALL).
        sql += ("" if flt.limit else " LIMIT " + ("-1" if dialect(connection) == "sqlite" else "ALL"))
        sql += f" OFFSET {p(flt.offset)}"
    yield from plain_rows_of(rows(connection, sql, p), _COLUMNS)
