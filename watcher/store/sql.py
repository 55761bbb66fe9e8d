"""SQL text for the read side, run the same way on sqlite3 and on a SQLAlchemy connection.

The query commands read through this so that on SQLite they start without
importing SQLAlchemy (a third of a query command's start-up, issue 13): a query
module writes its SELECT once, as text with `:name` parameters (`Params` names
them), and `rows` runs it on whatever it is handed: a `sqlite3.Connection`
(`watcher.store.reading`'s query database), or a SQLAlchemy connection or session
(PostgreSQL, the web, the daemon, the tests), through `text()`. Either way the
values come back as the driver returns them, as the Core listings read them
(`watcher.store.values.raw`), and `watcher.store.values` makes them plain.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from watcher.store import times

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

# What a read is handed: the query database's own connection on SQLite, or SQLAlchemy's.
Readable: TypeAlias = "sqlite3.Connection | Connection | Session"


def dialect(connection: Readable) -> str:
    """`sqlite` or `postgresql`: what the SQL text may say (globs, see `glob`)."""
    if isinstance(connection, sqlite3.Connection):
        return "sqlite"
    bind = connection.get_bind() if hasattr(connection, "get_bind") else connection
    return str(bind.dialect.name)


def rows(connection: Readable, sql: str, params: dict[str, Any] | None = None) -> Iterator[Sequence[Any]]:
    """The rows `sql` selects, each a sequence of the driver's values."""
    values = _bound(params or {}, dialect(connection))
    if isinstance(connection, sqlite3.Connection):
        return iter(connection.execute(sql, values))
    from sqlalchemy import text

    return iter(connection.execute(text(sql), values))


def scalar(connection: Readable, sql: str, params: dict[str, Any] | None = None) -> Any:
    """The first column of the first row, or None when there is no row."""
    first = next(rows(connection, sql, params), None)
    return None if first is None else first[0]


def _bound(params: dict[str, Any], name: str) -> dict[str, Any]:
    """Parameters as the columns store them: on SQLite a time as `watcher.store.times`
    says (what `watcher.store.types.UTCDateTime` writes, so it compares as stored; its
    microseconds where it is bound as `times.Compact`), a day
    ISO text, a flag 0 or 1; PostgreSQL's driver takes the values themselves."""
    if name != "sqlite":
        return {key: value.at if isinstance(value, times.Compact) else value for key, value in params.items()}
    return {key: _sqlite(value) for key, value in params.items()}


def _sqlite(value: Any) -> Any:
    if isinstance(value, times.Compact):
        return times.micros(value.at)
    if isinstance(value, dt.datetime):
        return times.sqlite_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def listed(values: Iterable[str]) -> str:
    """`('a', 'b')`: constants of the code (outcomes, states) written into a statement
    built once; never a value from outside."""
    return "(" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + ")"


class Params(dict[str, Any]):
    """A statement's parameters, each given a fresh name where the text uses it."""

    def __call__(self, value: Any) -> str:
        """`:pN`, bound to `value`."""
        name = f"p{len(self)}"
        self[name] = value
        return f":{name}"

    def among(self, values: Iterable[Any]) -> str:
        """`(:pN, :pM, …)` for `column IN …` (never empty: callers test for values first)."""
        return f"({', '.join(map(self, values))})"

    def glob(self, column: str, pattern: str, dialect: str) -> str:
        """`column` fits the model glob `pattern` (see `watcher.store.globs`): equality
        (indexable everywhere) unless it has wildcards; GLOB on SQLite, LIKE on PostgreSQL,
        both case-sensitive."""
        from watcher.store.globs import is_glob, like_pattern, sqlite_glob

        if not is_glob(pattern):
            return f"{column} = {self(pattern)}"
        if dialect == "sqlite":
            return f"{column} GLOB {self(sqlite_glob(pattern))}"
        return f"{column} LIKE {self(like_pattern(pattern))} ESCAPE '\\'"
