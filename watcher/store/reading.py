"""Opening the database for a query command, cheaply.

On an embedded SQLite file the query commands read through the standard
library's sqlite3 (`SqliteQueries`): importing SQLAlchemy alone costs more than
the rest of a query command's start-up, and the read queries are SQL text that
runs on either (`watcher.store.sql`). PostgreSQL, and any other URL, is read
through a SQLAlchemy engine, as the daemon and the web do.

Either way the schema must be current. `ensure_schema` asks Alembic for the head
revision, and importing Alembic costs about a quarter of the half second a query
command may take. The common case is a database already at head: read
`alembic_version` and the revision ids written in the migration files, and only
fall back to Alembic when they differ (a new database to create, or an outdated
one to refuse).
"""

from __future__ import annotations

import contextlib
import functools
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from watcher.store.engine import (
    OPEN_FAILURES,
    SQLITE_BUSY_TIMEOUT_MS,
    DatabaseOpenError,
    DatabaseURLError,
    database_url,
    normalise_url,
    sqlite_file,
)
from watcher.store.sql import Readable, rows

if TYPE_CHECKING:
    from sqlalchemy import Engine

_VERSIONS = Path(__file__).with_name("migrations") / "versions"
_REVISION = re.compile(r'^revision\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)
_DOWN = re.compile(r'^down_revision\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)


class SqliteQueries:
    """The query commands' SQLite database: sqlite3 connections, each one read
    transaction (a consistent snapshot across a command's queries). What still reads
    through Core (exports, statistics, the audit) asks `engine()` for a SQLAlchemy one."""

    def __init__(self, url: str, path: Path) -> None:
        self.url = url
        self.path = path

    def connect(self) -> contextlib.closing[sqlite3.Connection]:
        """A connection, open now (a file that cannot be read fails here, before any
        row is asked for), closed when its `with` ends."""
        connection = _opened(self.url, lambda: sqlite3.connect(
            self.path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, isolation_level=None))
        connection.execute("BEGIN DEFERRED")
        return contextlib.closing(connection)

    @functools.cached_property
    def _engine(self) -> Engine:
        from watcher.store.engine import make_engine

        return make_engine(self.url)

    def engine(self) -> Engine:
        return self._engine


# What the query commands and the web read through: a SQLAlchemy engine, or on an
# SQLite file `SqliteQueries`; either on a current schema, with no application
# wiring. The read facade (`watcher.store.readers`) takes one.
QueryEngine: TypeAlias = "Engine | SqliteQueries"


def _opened(url: str, connect: Callable[[], sqlite3.Connection]) -> sqlite3.Connection:
    """`connect()`, its failure to open the file said as `engine` says it for SQLAlchemy."""
    try:
        connection = connect()
        connection.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.Error as exc:
        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if any(words in message for words in OPEN_FAILURES):
            raise DatabaseOpenError(f"cannot open database {url}: {message}") from exc
        raise
    return connection


@functools.cache
def head_revision() -> str | None:
    """The one revision no other migration revises, or None when that is ambiguous."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in _VERSIONS.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        if found := _REVISION.search(source):
            revisions.add(found.group(1))
        if down := _DOWN.search(source):
            revised.add(down.group(1))
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def _at_head(connection: Readable) -> bool:
    head = head_revision()
    if head is None:
        return False
    try:
        current = next(iter(rows(connection, "SELECT version_num FROM alembic_version")), None)
    except sqlite3.OperationalError:  # no alembic_version yet: a new database
        return False
    return current is not None and current[0] == head


def _engine_at_head(engine: Engine) -> bool:
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as connection:
            return _at_head(connection)
    except DBAPIError:  # no alembic_version yet: a new database
        return False


def reading_engine(url: str) -> Engine:
    """An engine on a database whose schema is current (created when new, refused when outdated)."""
    from watcher.store.engine import make_engine

    engine = make_engine(url)
    if not _engine_at_head(engine):
        from watcher.store.migrate import ensure_schema

        ensure_schema(engine)
    return engine


def query_database(url: str) -> QueryEngine:
    """`reading_engine`, or on a plain SQLite file the sqlite3 reader of it."""
    path = sqlite_file(url)
    if path is None:
        return reading_engine(url)
    if path.parent and not path.parent.exists():
        raise DatabaseURLError(f"directory {path.parent} does not exist (database {path})")
    queries = SqliteQueries(normalise_url(url), path)
    with queries.connect() as connection:
        current = _at_head(connection)
    if not current:
        from watcher.store.migrate import ensure_schema

        ensure_schema(queries.engine())
    return queries


def open_for_queries(cli_value: str | None, config_value: str | None) -> QueryEngine:
    """The query database `--db` (or WATCHER_DB, or the config's URL) names."""
    return query_database(database_url(cli_value, config_value))


def recorded_sources(connection: Readable) -> set[str]:
    """Every source the database holds runs of (configured now or not)."""
    return {source for source, in rows(connection, "SELECT DISTINCT source FROM run")}
