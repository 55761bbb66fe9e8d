"""Schema migrations through Alembic, run programmatically on our own engine."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only when a migration has to run or be inspected: it costs
# ~10 MB resident and ~100 ms, and a database already at head needs neither.
MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION = re.compile(r"^revision\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)


class SchemaOutOfDateError(RuntimeError):
    pass


class MigrationRefusedError(RuntimeError):
    """A migration cannot go on without the operator (something of theirs in the way); its
    transaction is rolled back, so the database is as it was."""


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head", *, only_ours: bool = False) -> tuple[str | None, str]:
    """Apply migrations up to `revision`; returns (before, after).

    Replicas starting together (or `db upgrade` run beside a first start) must
    not all create the same tables: on PostgreSQL the migration holds an
    advisory lock for its transaction, per schema, and the revision is read
    after it is granted, so whoever waited finds the work done. SQLite's writers
    are already serialised by BEGIN IMMEDIATE.

    `only_ours` refuses a database that has tables but no migration history,
    judged under that lock: a first start beside another one sees either nothing
    or the other's whole committed schema, never a half-created one."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    config = _config()
    with engine.execution_options(write=True).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('watcher:migrate:' || current_schema()))"))
        before = MigrationContext.configure(connection).get_current_revision()
        if only_ours and before is None and (tables := set(inspect(connection).get_table_names()) - {"alembic_version"}):
            raise SchemaOutOfDateError(
                f"database has tables ({', '.join(sorted(tables)[:5])}) but no migration "
                "history: it is not a watcher database"
            )
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return before, current_revision(engine) or ""


def upgrade_database(cli_value: str | None, config_value: str | None) -> tuple[str, str | None, str, int]:
    """`watcher db upgrade` on the database `--db` (or WATCHER_DB, or the config's URL)
    names: (where, with any password masked; the revision before; the revision after;
    the bytes of free pages the file holds, 0 on PostgreSQL).

    A migration that moves a table (0013) leaves the space the old one held free
    inside a SQLite file: later writes reuse it, and a `VACUUM` gives it back to the
    file system, which the operator decides (it writes a copy of the whole file)."""
    from watcher.store.engine import database_url, make_engine, redact_url
    from watcher.store.stats import free_bytes

    url = database_url(cli_value, config_value)
    engine = make_engine(url)
    before, after = upgrade(engine)
    with engine.connect() as connection:
        free = free_bytes(connection)
    engine.dispose()
    return redact_url(url), before, after, free


def ensure_schema(engine: Engine) -> None:
    """Create the schema on a new, empty database; refuse to run on an outdated one.

    An existing database is only migrated by `watcher db upgrade`, so that an
    operator (or ExecStartPre) decides when a shared PostgreSQL schema moves.
    """
    head = _head_from_files()
    if head is not None and _stamped(engine) == head:  # the usual case: no Alembic needed
        return
    current = current_revision(engine)
    if current == head_revision():
        return
    if current is None:
        # Read again under the migration lock: another first start may be creating it now.
        upgrade(engine, only_ours=True)
        return
    raise SchemaOutOfDateError(
        f"database schema is at revision {current}, this watcher needs {head_revision()}: "
        "run `watcher db upgrade`"
    )


def _stamped(engine: Engine) -> str | None:
    """The revision recorded in the database, read without Alembic."""
    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _head_from_files() -> str | None:
    """The newest revision, read from the migration files' `revision =` lines; None when unsure."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        if (found := _REVISION.search(source)) is not None:
            revisions.add(found.group(1))
        if (parent := _DOWN_REVISION.search(source)) is not None:
            parents.add(parent.group(1))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None
