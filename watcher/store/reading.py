"""Opening the database for a query command, cheaply.

`ensure_schema` asks Alembic for the head revision, and importing Alembic costs
about a quarter of the half second a query command may take. The common case is
a database already at head: read `alembic_version` and the revision ids written
in the migration files, and only fall back to Alembic when they differ (a new
database to create, or an outdated one to refuse).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TypeAlias

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from watcher.store.engine import database_url, make_engine

# What the query commands and the web read through: an engine on a current schema,
# with no application wiring. The read facade (`watcher.store.readers`) takes one.
QueryEngine: TypeAlias = Engine

_VERSIONS = Path(__file__).with_name("migrations") / "versions"
_REVISION = re.compile(r'^revision\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)
_DOWN = re.compile(r'^down_revision\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)


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


def _at_head(engine: Engine) -> bool:
    head = head_revision()
    if head is None:
        return False
    try:
        with engine.connect() as connection:
            current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:  # no alembic_version yet: a new database
        return False
    return current == head


def reading_engine(url: str) -> Engine:
    """An engine on a database whose schema is current (created when new, refused when outdated)."""
    engine = make_engine(url)
    if not _at_head(engine):
        from watcher.store.migrate import ensure_schema

        ensure_schema(engine)
    return engine


def open_for_queries(cli_value: str | None, config_value: str | None) -> QueryEngine:
    """The query engine on the database `--db` (or WATCHER_DB, or the config's URL) names."""
    return reading_engine(database_url(cli_value, config_value))


def recorded_sources(connection: Connection) -> set[str]:
    """Every source the database holds runs of (configured now or not)."""
    return set(connection.execute(text("SELECT DISTINCT source FROM run")).scalars())
