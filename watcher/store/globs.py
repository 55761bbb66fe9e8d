"""Model globs (`sora-2*`, `gpt-4o-????-??-??`) as SQL conditions, the same on every backend.

Watchlists and routes match with `fnmatch.fnmatchcase`: case-sensitive, `*` and
`?`. SQLite's LIKE ignores case and PostgreSQL's does not, so each backend gets
the operator that matches case-sensitively: GLOB on SQLite (which also uses an
index for a literal prefix), LIKE on PostgreSQL. `[` is taken literally.
`matches` says it in Core; `watcher.store.sql.Params.glob` in SQL text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.sql.expression import ColumnClause


def is_glob(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def sqlite_glob(pattern: str) -> str:
    return pattern.replace("[", "[[]")


def like_pattern(pattern: str) -> str:
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def matches(column: ColumnClause[object] | ColumnElement[object], pattern: str, dialect: str) -> ColumnElement[bool]:
    """`column` fits `pattern`: plain equality (indexable everywhere) unless it has wildcards."""
    from sqlalchemy import literal

    if not is_glob(pattern):
        return column == literal(pattern)
    if dialect == "sqlite":
        return column.op("GLOB", is_comparison=True)(literal(sqlite_glob(pattern)))
    return column.like(like_pattern(pattern), escape="\\")
