"""The history's two tables store their times compactly; analysts read them through views

Revision ID: 0013
Revises: 0012

Versions and changes are most of the database, and on SQLite each of their times
was 26 bytes of text, in the row and again in every index on it (issue 13). Their
rows now live in `version_record` and `change_record`, whose times SQLite stores as
integer microseconds since the epoch (8 bytes; `watcher.store.times`). The names
analysts know, `observation_version` and `change`, become views over them with the
same columns in the same order, the times as the same text as before, so every
documented query (`detected_at >= datetime('now', '-30 days')`) still compares text
with text. The analyst views are rebuilt over the tables, converting only what they
show, so their filters still use the tables' indexes.

PostgreSQL already stores `timestamptz`: there the tables are renamed and the views
show them as they are; the analyst views follow the rename by themselves, and whoever
could read the tables can read the views that take their names.

Downgrading moves the rows back into tables with the old names and text times.
"""

from __future__ import annotations

import importlib
import re
from typing import Final

import sqlalchemy as sa
from alembic import op

from watcher.store import times

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_V3 = importlib.import_module("watcher.store.migrations.versions.0003_views")
_V10 = importlib.import_module("watcher.store.migrations.versions.0010_derived_ids")
_V11 = importlib.import_module("watcher.store.migrations.versions.0011_price_sets")

# Shown name -> stored name, and the time columns each stores compactly on SQLite.
TABLES: Final = {"observation_version": "version_record", "change": "change_record"}
TIMES: Final = {"observation_version": ("valid_from", "valid_to"), "change": ("detected_at",)}

# The analyst views as 0012 left them on SQLite, each with its columns, those of them
# that show a column of the history's tables as it is (converted by a view around it),
# and those it computes (converted where they are computed: converting them around the
# view would compute them twice, as the conversion reads its value twice).
_PERIOD_END = ("THEN w.valid_from ELSE w.valid_to END", "THEN {w_from} ELSE {w_to} END")
_LAST_CHANGE = ("SELECT MAX(c.detected_at) FROM", "SELECT {last} FROM")
_SQLITE_VIEWS: Final[dict[str, tuple[str, str, tuple[str, ...], tuple[tuple[str, str], ...]]]] = {
    "current_models": (_V11.CURRENT_MODELS, (
        "source, key, provider, model, source_id, distribution, is_model, status, announced_on, shutdown_on, "
        "shutdown_qualifier, replacement, aliases, prices, availability, section, url, valid_from, run_id"),
        ("valid_from",), ()),
    "price_history": (_V11.PRICE_HISTORY_SQLITE, (
        "source, key, provider, model, price_key, component, unit, tier, variant, price, valid_from, valid_to, "
        "price_value"), ("valid_from",), (_PERIOD_END,)),
    "lifecycle_history": (_V3._lifecycle("IS"), (
        "source, key, provider, model, status, announced_on, shutdown_on, shutdown_qualifier, replacement, "
        "availability, valid_from, valid_to"), ("valid_from",), (_PERIOD_END,)),
    "upcoming_shutdowns": (_V10.UPCOMING_SQLITE, (
        "source, key, provider, model, is_model, status, announced_on, shutdown_on, shutdown_qualifier, "
        "replacement, days_left, url"), (), ()),
    "source_health": (_V3.SOURCE_HEALTH, (
        "source, last_run_at, last_outcome, last_error, last_success_at, consecutive_failures, runs, failed_runs, "
        "current_rows, last_change_at"), (), (_LAST_CHANGE,)),
}


def _sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def _text(column: str) -> str:
    return times.TEXT_OF_MICROS.format(micros=column)


def _over_records(name: str) -> str:
    """The 0012 view `name`, reading the stored tables and showing their times as text."""
    sql, columns, compact, computed = _SQLITE_VIEWS[name]
    for old, new in computed:
        assert sql.count(old) == 1, (name, old)  # the earlier revision's SQL is what this one rewrites
        sql = sql.replace(old, new.format(w_from=_text("w.valid_from"), w_to=_text("w.valid_to"),
                                          last=_text("MAX(c.detected_at)")))
    inner = re.sub(r"\bobservation_version\b", "version_record", sql)
    inner = re.sub(r"\bFROM change\b", "FROM change_record", inner)
    inner = inner.replace(f"CREATE VIEW {name} AS", "", 1)
    shown = ", ".join(f"{_text(c)} AS {c}" if c in compact else c for c in columns.split(", "))
    return f"CREATE VIEW {name} AS\nSELECT {shown}\nFROM ({inner}) AS stored\n"


def _columns(connection: sa.Connection, table: str) -> list[str]:
    return [row[1] for row in connection.exec_driver_sql(f'PRAGMA table_info("{table}")')]


def _micros_of_text(text: str | None) -> int | None:
    return None if text is None else times.micros(times.read(text))


def _text_of_micros(micros: int | None) -> str | None:
    return None if micros is None else times.sqlite_text(times.read(micros))


def move(connection: sa.Connection, *, to_records: bool) -> None:
    """The history's two tables under their stored names, their times compact (or back
    under the shown names, times as text), rows, constraints and indexes as they are.
    Views that read them are left alone (0012's still name the old tables)."""
    if connection.dialect.name != "sqlite":
        for name, stored in TABLES.items():
            old, new = (name, stored) if to_records else (stored, name)
            connection.exec_driver_sql(f'ALTER TABLE "{old}" RENAME TO "{new}"')
        return
    convert = _micros_of_text if to_records else _text_of_micros
    connection.connection.driver_connection.create_function(  # type: ignore[union-attr]
        convert.__name__, 1, convert, deterministic=True)
    for name, stored in TABLES.items():
        old, new = (name, stored) if to_records else (stored, name)
        _move(connection, old, new, TIMES[name], convert.__name__, to_records)


def _move(connection: sa.Connection, source: str, target: str, compact: tuple[str, ...], convert: str,
          to_records: bool) -> None:
    """SQLite: the table `source` re-created as `target` (its columns, constraints and
    indexes as they are, the `compact` ones' type swapped), its rows copied in id order
    with `convert` applied to those columns, and `source` dropped."""
    ddl, = connection.exec_driver_sql("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?",
                                      (source,)).one()
    indexes = [sql for sql, in connection.exec_driver_sql(
        "SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (source,))]
    old_type, new_type = ("DATETIME", "BIGINT") if to_records else ("BIGINT", "DATETIME")
    ddl = re.sub(rf'^CREATE TABLE "?{source}"? \(', f'CREATE TABLE "{target}" (', ddl)
    for column in compact:
        ddl, swapped = re.subn(rf"\b{column} {old_type}\b", f"{column} {new_type}", ddl)
        assert swapped == 1, (source, column)
    columns = _columns(connection, source)
    connection.exec_driver_sql(ddl)
    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(f'{convert}("{c}")' if c in compact else f'"{c}"' for c in columns)
    connection.exec_driver_sql(f'INSERT INTO "{target}" ({names}) SELECT {values} FROM "{source}" ORDER BY id')
    connection.exec_driver_sql(f'DROP TABLE "{source}"')
    for sql in indexes:
        connection.exec_driver_sql(re.sub(rf' ON "?{source}"? \(', f' ON "{target}" (', sql, count=1))


def _shown(connection: sa.Connection, name: str, stored: str, compact: tuple[str, ...]) -> str:
    """The view `name` over the table `stored`: its columns in order, the `compact` ones as text."""
    columns = ", ".join(f"{_text(c)} AS {c}" if c in compact else f'"{c}"' for c in _columns(connection, stored))
    return f'CREATE VIEW "{name}" AS SELECT {columns} FROM {stored}'


def upgrade() -> None:
    connection = op.get_bind()
    if not _sqlite():
        readers = {name: _readers(connection, name) for name in TABLES}
        move(connection, to_records=True)
        for name, stored in TABLES.items():
            columns = connection.execute(sa.text(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND table_name = :name ORDER BY ordinal_position"), {"name": stored}).scalars().all()
            op.execute(f'CREATE VIEW "{name}" AS SELECT {", ".join(_quoted(c) for c in columns)} FROM {stored}')
            for reader in readers[name]:
                op.execute(f'GRANT SELECT ON "{name}" TO {"PUBLIC" if reader == "PUBLIC" else _quoted(reader)}')
        return
    for view in _SQLITE_VIEWS:
        op.execute(f"DROP VIEW {view}")
    move(connection, to_records=True)
    for name, stored in TABLES.items():
        op.execute(_shown(connection, name, stored, TIMES[name]))
    for view in _SQLITE_VIEWS:
        op.execute(_over_records(view))


def downgrade() -> None:
    connection = op.get_bind()
    for name in TABLES:
        op.execute(f'DROP VIEW "{name}"')
    if not _sqlite():
        move(connection, to_records=False)
        return
    for view in _SQLITE_VIEWS:
        op.execute(f"DROP VIEW {view}")
    move(connection, to_records=False)
    for sql, *_ in _SQLITE_VIEWS.values():
        op.execute(sql)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _readers(connection: sa.Connection, table: str) -> list[str]:
    """Who may read `table` besides its owner: they may read the view that takes its name."""
    return list(connection.execute(sa.text(
        "SELECT grantee FROM information_schema.role_table_grants WHERE table_schema = current_schema()"
        " AND table_name = :name AND privilege_type = 'SELECT' AND grantee <> current_user"),
        {"name": table}).scalars())
