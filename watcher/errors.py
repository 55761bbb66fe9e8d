"""Turning expected failures into one line for the operator (never a traceback)."""

from __future__ import annotations

import sqlite3

from watcher.secrets import redact_text


def describe(exc: BaseException) -> str | None:
    """The operator-facing message for an expected failure, or None for a bug."""
    from sqlalchemy.exc import OperationalError, SQLAlchemyError

    from watcher.app import UsageError
    from watcher.config import ConfigError
    from watcher.model import ParseError
    from watcher.poll.pipeline import OutOfOrderError
    from watcher.store.bodies import MissingBaseError
    from watcher.store.engine import DatabaseOpenError, DatabaseURLError
    from watcher.store.migrate import MigrationRefusedError, SchemaOutOfDateError

    if isinstance(exc, ParseError):
        return redact_text(f"cannot parse: {exc}")
    if isinstance(exc, (ConfigError, UsageError, DatabaseURLError, DatabaseOpenError, SchemaOutOfDateError, OutOfOrderError,
                        MissingBaseError, MigrationRefusedError)):
        return redact_text(str(exc))
    if isinstance(exc, OperationalError):
        return redact_text(f"database error: {str(exc.orig).strip().splitlines()[0]}")
    if isinstance(exc, SQLAlchemyError):
        return redact_text(f"database error: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    if isinstance(exc, sqlite3.Error):  # the query commands' own SQLite reads (watcher.store.reading)
        return redact_text(f"database error: {(str(exc).strip().splitlines() or [type(exc).__name__])[0]}")
    if isinstance(exc, OSError):
        return redact_text(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))
    return None
