"""Streaming a whole table or view out, in constant memory.

Rows come through a server-side cursor on PostgreSQL and a stepping cursor on
SQLite, `BATCH` at a time, so exporting a year of history never holds it whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from sqlalchemy import Connection, select

from watcher.store.derived import COLUMNS, resolved
from watcher.store.relations import RELATIONS
from watcher.store.values import plain_rows, raw

BATCH: Final = 2000
# Raw bodies are compressed binary, not analyst data, and which body a delta is stored
# against is how it is compressed; their metadata is exported.
LEFT_OUT: Final = {"document": frozenset({"body", "base"})}


# The order of each export: a table's key; a view's natural reading order, made
# total by its identifying columns.
ORDER: Final[dict[str, tuple[str, ...]]] = {
    "run": ("id",), "document": ("sha256",), "observation_version": ("id",), "price_set": ("id",),
    "change": ("id",),
    "absence": ("source", "key"), "delivery": ("id",), "silence": ("id",),
    "reminder_sent": ("model", "shutdown_on", "days"), "lease": ("name",),
    "current_models": ("source", "key"),
    "price_history": ("source", "key", "price_key", "valid_from"),
    "lifecycle_history": ("source", "key", "valid_from"),
    "upcoming_shutdowns": ("shutdown_on", "source", "key"),
    "source_health": ("source",),
}
NOT_TEXT: Final = frozenset({"id", "days", "shutdown_on", "valid_from"})


class UnknownRelationError(ValueError):
    pass


def exportable() -> list[str]:
    return sorted(RELATIONS)


def export_columns(name: str) -> list[str]:
    return [c.name for c in export_relation_columns(name)]


def export_relation_columns(name: str) -> list[Any]:
    relation = _relation(name)
    # A version's own id, url and prices read back where the row leaves them to the
    # key, the run and its price set.
    columns = resolved(relation.c, COLUMNS) if name == "observation_version" else list(relation.columns)
    return [c for c in columns if c.name not in LEFT_OUT.get(name, ())]


def export_rows(connection: Connection, name: str) -> Iterator[dict[str, Any]]:
    relation = _relation(name)
    columns = export_relation_columns(name)
    query = select(*map(raw, columns))
    # Every export in one order, the same on SQLite and PostgreSQL: text compared
    # byte by byte (PostgreSQL's collation would put `gpt-4o` and `GPT-4o` elsewhere).
    binary = connection.dialect.name == "postgresql"
    query = query.order_by(*(relation.c[key].collate("C") if binary and key not in NOT_TEXT
                             else relation.c[key] for key in ORDER[name]))
    result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(query)
    yield from plain_rows(result, columns)


def _relation(name: str) -> Any:
    try:
        return RELATIONS[name]
    except KeyError:
        raise UnknownRelationError(
            f"no table or view {name!r}: expected one of {', '.join(exportable())}") from None
