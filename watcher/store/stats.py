"""How big the database is: rows and bytes per table, and per source where rows have one.

Bytes come from the backend where it can tell (SQLite's `dbstat`, PostgreSQL's
`pg_total_relation_size`, both counting indexes); SQLite builds without dbstat
get the sum of the stored values' lengths, an underestimate that still shows
which table grows. `bytes_from` says which figure a row carries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import Connection, func, literal_column, select, text
from sqlalchemy.exc import DBAPIError

from watcher.store.relations import TABLES

# Tables whose rows belong to one source: the per-source breakdown.
PER_SOURCE: Final = ("run", "document", "observation_version", "change", "absence")
STAT_FIELDS: Final = ("table", "source", "rows", "bytes", "bytes_from")


def database_stats(connection: Connection) -> list[dict[str, Any]]:
    """One row per table, then one per (table, source); the database total first."""
    sizes, method = _table_bytes(connection)
    rows: list[dict[str, Any]] = []
    for name in sorted(TABLES):
        count = connection.execute(select(func.count()).select_from(TABLES[name])).scalar_one()
        rows.append(_row(name, None, int(count), sizes.get(TABLES[name].name), method))
    total = _database_bytes(connection)
    out = [_row("(database)", None, sum(r["rows"] for r in rows), total[0] if total else None,
                total[1] if total else None)]
    out += rows
    out += _per_source(connection)
    return out


def _row(table: str, source: str | None, rows: int, size: int | None, method: str | None) -> dict[str, Any]:
    return {"table": table, "source": source, "rows": rows, "bytes": size,
            "bytes_from": method if size is not None else None}


def _per_source(connection: Connection) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in PER_SOURCE:
        relation = TABLES[name]
        source = relation.c.source
        measures: list[Any] = [func.count()]
        if name == "document":  # the stored (compressed) bodies: what retention prunes
            measures.append(func.sum(func.length(relation.c.body)))
        query = select(source, *measures).group_by(source).order_by(source)
        for row in connection.execute(query):
            size = int(row[2] or 0) if name == "document" else None
            out.append(_row(name, row[0], int(row[1]), size, "sum of lengths"))
    return out


def _table_bytes(connection: Connection) -> tuple[dict[str, int], str]:
    if connection.dialect.name == "postgresql":
        sizes = {}
        for name in TABLES:  # names from our own list, not from the user
            size = connection.execute(select(func.pg_total_relation_size(
                literal_column(f"'{TABLES[name].name}'::regclass")))).scalar_one()
            sizes[TABLES[name].name] = int(size)
        return sizes, "pg_total_relation_size"
    try:
        return _dbstat(connection), "dbstat"
    except DBAPIError:  # SQLite built without SQLITE_ENABLE_DBSTAT_VTAB
        connection.rollback()
        return {TABLES[name].name: _sum_of_lengths(connection, name) for name in TABLES}, "sum of lengths"


def _dbstat(connection: Connection) -> dict[str, int]:
    """Bytes per table as stored (`TABLES[name].name`), its indexes included."""
    owner: dict[str, str] = dict(connection.execute(text("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')")).all())
    sizes: dict[str, int] = {}
    for name, size in connection.execute(text("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")):
        table = owner.get(name, name)
        sizes[table] = sizes.get(table, 0) + int(size)
    return sizes


def _sum_of_lengths(connection: Connection, name: str) -> int:
    relation = TABLES[name]
    lengths: Sequence[Any] = [func.coalesce(func.length(c), 0) for c in relation.columns]
    total = connection.execute(select(func.sum(sum(lengths[1:], lengths[0])))).scalar()
    return int(total or 0)


def free_bytes(connection: Connection) -> int:
    """The bytes of free pages inside a SQLite file (later writes reuse them, a VACUUM
    gives them back); 0 on PostgreSQL, whose space autovacuum manages."""
    if connection.dialect.name != "sqlite":
        return 0
    pages = connection.exec_driver_sql("PRAGMA freelist_count").scalar_one()
    return int(pages) * int(connection.exec_driver_sql("PRAGMA page_size").scalar_one())


def _database_bytes(connection: Connection) -> tuple[int, str] | None:
    if connection.dialect.name == "postgresql":
        size = connection.execute(text(
            "SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class AS c "
            "JOIN pg_namespace AS n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')")).scalar()
        return int(size or 0), "pg_total_relation_size (schema)"
    pages = connection.execute(text("PRAGMA page_count")).scalar_one()
    page_size = connection.execute(text("PRAGMA page_size")).scalar_one()
    return int(pages) * int(page_size), "page_count x page_size"
