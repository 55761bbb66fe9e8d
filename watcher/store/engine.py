"""Opening the database: SQLite (WAL) by default, PostgreSQL through a URL."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    # SQLAlchemy is imported where an engine is made: the query commands on SQLite
    # read through sqlite3 (`watcher.store.reading`) and never import it. SQLModel (and
    # pydantic under it) costs ~0.1 s more: only the ORM sessions need it.
    from sqlalchemy import Engine
    from sqlalchemy.engine import Connection
    from sqlmodel import Session

DEFAULT_URL: Final = "sqlite:///watcher.db"
SQLITE_BUSY_TIMEOUT_MS: Final = 15_000
SQLITE_SYNCHRONOUS: Final = "FULL"


class DatabaseURLError(ValueError):
    pass


class DatabaseOpenError(RuntimeError):
    """The database named by the URL cannot be opened or read; the message says which and why."""


POSTGRES_EXTRA: Final = "pip install 'model-lifecycle-watcher[postgres]'"


def normalise_url(url: str) -> str:
    """Accept what operators type: a bare file path, `postgres://`, `postgresql://`."""
    url = url.strip()
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def redact_url(url: str) -> str:
    """The URL with any password hidden, safe to log or print."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        return "<unparsable database URL>"


def sqlite_path(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def sqlite_file(url: str) -> Path | None:
    """The file a plain `sqlite:///PATH` URL names (no driver, no query string), read
    without SQLAlchemy; None for any other URL."""
    url = normalise_url(url)
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url or url[len(prefix):] in ("", ":memory:"):
        return None
    return Path(url[len(prefix):])


def make_engine(url: str, **kwargs: Any) -> Engine:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        raise DatabaseURLError(f"not a database URL: {redact_url(url)}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = _sqlite_engine(url, **kwargs)
    elif backend == "postgresql":
        try:
            import psycopg  # noqa: F401  (the driver comes with an extra)
        except ImportError:
            raise DatabaseURLError(f"PostgreSQL support is not installed: {POSTGRES_EXTRA}") from None
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(url, **kwargs)
    else:
        raise DatabaseURLError(f"unsupported database {backend!r}: use sqlite:///PATH or postgresql://…")
    _name_database_in_open_errors(engine, redact_url(url))
    return engine


def cap_sqlite_page_cache(engine: Engine, kib: int) -> None:
    """Each of `engine`'s SQLite connections keeps at most `kib` KiB of pages (the
    daemon's, watcher/daemon/memory.py); a no-op on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _cap(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA cache_size=-{int(kib)}")


def _name_database_in_open_errors(engine: Engine, where: str) -> None:
    """A database that cannot be opened (no server, no access to the file, not a
    database) fails in the driver's words only: say which database it was."""
    from sqlalchemy import event

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        original = context.original_exception
        message = (str(original).strip().splitlines() or [type(original).__name__])[0]
        connecting = context.connection is None  # the error came from opening a connection
        if connecting or any(words in message for words in OPEN_FAILURES):
            raise DatabaseOpenError(f"cannot open database {where}: {message}") from original


# sqlite3's words for a file it cannot use as a database at all (said on the first
# statement, not at connect): about the file, never about one statement.
OPEN_FAILURES: Final = ("unable to open database file", "file is not a database")


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    from sqlalchemy import create_engine, event

    path = sqlite_path(url)
    if path is not None and path.parent and not path.parent.exists():
        raise DatabaseURLError(f"directory {path.parent} does not exist (database {path})")
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin,
        # so that writers can take the lock up front (BEGIN IMMEDIATE) and never
        # fail half-way with "database is locked" on a read→write upgrade.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before it returns. NORMAL (durable only at
        # checkpoints) lost the last ~30 s of commits, alerts already sent, in a
        # power cut or an emergency read-only remount. Cost: bench/durability.py.
        cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = "IMMEDIATE" if connection.get_execution_options().get("write") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextlib.contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One write transaction: committed on success, rolled back on any error."""
    from sqlmodel import Session

    with Session(engine.execution_options(write=True), expire_on_commit=False) as session, session.begin():
        yield session


@contextlib.contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        yield session


def database_url(cli_value: str | None, config_value: str | None) -> str:
    """--db beats WATCHER_DB beats [storage] url beats the embedded default."""
    return cli_value or os.environ.get("WATCHER_DB") or config_value or DEFAULT_URL
