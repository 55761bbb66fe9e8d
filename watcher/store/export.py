"""Streaming a whole table or view out, in constant memory.

Rows come through a server-side cursor on PostgreSQL and a stepping cursor on
SQLite, `BATCH` at a time, so exporting a year of history never holds it whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from sqlalchemy import Connection, select

from watcher.store.relations import RELATIONS, TABLES
from watcher.store.values import plain_rows, raw

BATCH: Final = 2000
# Raw bodies are compressed binary, not analyst data; their metadata is exported.
LEFT_OUT: Final = {"document": frozenset({"body"})}


class UnknownRelationError(ValueError):
    pass


def exportable() -> list[str]:
    return sorted(RELATIONS)


def export_columns(name: str) -> list[str]:
    relation = _relation(name)
    return [c.name for c in relation.columns if c.name not in LEFT_OUT.get(name, ())]


def export_rows(connection: Connection, name: str) -> Iterator[dict[str, Any]]:
    relation = _relation(name)
    names = export_columns(name)
    columns = [relation.c[column] for column in names]
    query = select(*map(raw, columns))
    if name in TABLES:  # a stable order where there is a key to order by (it is indexed)
        key = "id" if "id" in names else "sha256" if name == "document" else None
        if key is not None:
            query = query.order_by(relation.c[key])
    result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(query)
    yield from plain_rows(result, columns)


def _relation(name: str) -> Any:
    try:
        return RELATIONS[name]
    except KeyError:
        raise UnknownRelationError(
            f"no table or view {name!r}: expected one of {', '.join(exportable())}") from None
