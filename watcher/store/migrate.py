"""Schema migrations through Alembic, run programmatically on our own engine."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaOutOfDateError(RuntimeError):
    pass


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Apply migrations up to `revision`; returns (before, after)."""
    before = current_revision(engine)
    config = _config()
    with engine.execution_options(write=True).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return before, current_revision(engine) or ""


def ensure_schema(engine: Engine) -> None:
    """Create the schema on a new, empty database; refuse to run on an outdated one.

    An existing database is only migrated by `watcher db upgrade`, so that an
    operator (or ExecStartPre) decides when a shared PostgreSQL schema moves.
    """
    current = current_revision(engine)
    if current == head_revision():
        return
    if current is None:
        tables = set(inspect(engine).get_table_names())
        if tables - {"alembic_version"}:
            raise SchemaOutOfDateError(
                f"database has tables ({', '.join(sorted(tables)[:5])}) but no migration "
                "history: it is not a watcher database"
            )
        upgrade(engine)
        return
    raise SchemaOutOfDateError(
        f"database schema is at revision {current}, this watcher needs {head_revision()}: "
        "run `watcher db upgrade`"
    )
