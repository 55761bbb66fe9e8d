"""Detected changes, filtered: `watcher changes` and anything that lists them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any, Final

from sqlalchemy import Connection, or_, select

from watcher.store.globs import matches
from watcher.store.relations import CHANGE
from watcher.store.values import plain_rows, raw

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


def changes(connection: Connection, flt: ChangeFilter) -> Iterator[dict[str, Any]]:
    """Matching changes, oldest first (or newest first), as plain dicts (streamed, not loaded whole)."""
    c = CHANGE.c
    columns = [c[name] for name in CHANGE_FIELDS]
    query = select(*map(raw, columns))
    if flt.since is not None:
        query = query.where(c.detected_at >= flt.since)
    if flt.until is not None:
        query = query.where(c.detected_at < flt.until)
    if flt.sources:
        query = query.where(c.source.in_(flt.sources))
    if flt.providers:
        query = query.where(c.provider.in_(flt.providers))
    if flt.kinds:
        query = query.where(c.kind.in_(flt.kinds))
    if flt.severities:
        query = query.where(c.severity.in_(flt.severities))
    if flt.model:
        dialect = connection.dialect.name
        query = query.where(or_(matches(c.model, flt.model, dialect), matches(c.key, flt.model, dialect)))
    order = (c.detected_at.desc(), c.id.desc()) if flt.newest_first else (c.detected_at, c.id)
    query = query.order_by(*order)
    if flt.offset:
        query = query.offset(flt.offset)
    if flt.limit:
        query = query.limit(flt.limit)
    yield from plain_rows(connection.execute(query), columns)
