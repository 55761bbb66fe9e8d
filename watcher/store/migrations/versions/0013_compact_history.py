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
from watcher.store.migrate import MigrationRefusedError

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_V3 = importlib.import_module("watcher.store.migrations.versions.0003_views")
_V10 = importlib.import_module("watcher.store.migrations.versions.0010_derived_ids")
_V11 = importlib.import_module("watcher.store.migrations.versions.0011_price_sets")

# Shown name -> stored name, and the time columns each stores compactly on SQLite. There
# each also has a generated column, `<name>_text`, computed when read and stored nowhere:
# the time as text, declared DATETIME, which the views show under the column's name, so
# that tools reading declared types (SQLAlchemy's reflection, pandas) type it as before.
TABLES: Final = {"observation_version": "version_record", "change": "change_record"}
TIMES: Final = {"observation_version": ("valid_from", "valid_to"), "change": ("detected_at",)}
TEXT_SUFFIX: Final = "_text"


def _text(column: str) -> str:
    return times.TEXT_OF_MICROS.format(micros=column)


# The analyst views as 0012 left them on SQLite, and what each must now read instead:
# the stored tables, and the text of a time it shows as it is (a time it computes, as the
# maximum of several, has no declared type to keep and is converted where computed).
_SHOWN_FROM = (", v.valid_from,\n", ", v.valid_from_text AS valid_from,\n")
_PERIOD_END = ("THEN w.valid_from ELSE w.valid_to END", "THEN w.valid_from_text ELSE w.valid_to_text END")
_SQLITE_VIEWS: Final[dict[str, tuple[str, tuple[tuple[str, str], ...]]]] = {
    "current_models": (_V11.CURRENT_MODELS, ((", valid_from, run_id\n", ", valid_from_text AS valid_from, run_id\n"),)),
    "price_history": (_V11.PRICE_HISTORY_SQLITE, (_SHOWN_FROM, _PERIOD_END)),
    "lifecycle_history": (_V3._lifecycle("IS"), (_SHOWN_FROM, _PERIOD_END)),
    "upcoming_shutdowns": (_V10.UPCOMING_SQLITE, ()),
    "source_health": (_V3.SOURCE_HEALTH, (
        ("SELECT MAX(c.detected_at) FROM change AS c",
         f"SELECT {_text('MAX(c.detected_at)')} FROM change_record AS c"),)),
}


def _sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def _over_records(name: str) -> str:
    """The 0012 view `name`, reading the stored tables and showing their times as text."""
    sql, rewrites = _SQLITE_VIEWS[name]
    for old, new in rewrites:
        assert sql.count(old) == 1, (name, old)  # the earlier revision's SQL is what this one rewrites
        sql = sql.replace(old, new)
    sql = re.sub(r"\bobservation_version\b", "version_record", sql)
    assert not re.search(r"\b(FROM|JOIN) change\b", sql), name  # no table left unread
    return sql


def _columns(connection: sa.Connection, table: str) -> list[str]:
    """`table`'s stored columns in order (on SQLite, not its generated ones)."""
    if connection.dialect.name == "sqlite":
        return [row[1] for row in connection.exec_driver_sql(f'PRAGMA table_info("{table}")')]
    return list(connection.execute(sa.text(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name = :name ORDER BY ordinal_position"), {"name": table}).scalars())


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
    triggers = [name for name, in connection.exec_driver_sql(
        "SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ?", (source,))]
    if triggers:  # someone's own: moving them would change what they do, dropping them would lose them
        raise MigrationRefusedError(
            f"cannot upgrade to {revision}: table {source} has triggers it cannot move ({', '.join(triggers)});"
            " nothing was changed. Drop them, upgrade, and create them again on the table the rows are now in"
            f" ({target})")
    for column in compact if not to_records else ():  # the generated text columns stay behind
        generated = re.escape(_generated(column))
        ddl, count = re.subn(rf"{generated},\s*|,\s*{generated}", "", ddl, count=1)
        assert count == 1, (source, column)
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
    for sql in indexes:  # ours and anyone's, on the same columns
        on = rf'\bON\s*(?:"?main"?\s*\.\s*)?"?{source}"?\s*\('
        moved, count = re.subn(on, f'ON "{target}" (', sql, count=1, flags=re.IGNORECASE)
        assert count == 1, sql
        connection.exec_driver_sql(moved)
    for column in compact if to_records else ():
        connection.exec_driver_sql(f'ALTER TABLE "{target}" ADD COLUMN {_generated(column)}')


def _generated(column: str) -> str:
    """The definition of `column`'s text, as SQLite keeps it in the table's SQL."""
    return f"{column}{TEXT_SUFFIX} DATETIME GENERATED ALWAYS AS ({_text(column)}) VIRTUAL"


def _shown(connection: sa.Connection, name: str, stored: str, compact: tuple[str, ...]) -> str:
    """The view `name` over the table `stored`: its columns in order, the `compact` ones as text."""
    columns = ", ".join(f"{_quoted(c + TEXT_SUFFIX)} AS {_quoted(c)}" if c in compact else _quoted(c)
                        for c in _columns(connection, stored))
    return f'CREATE VIEW "{name}" AS SELECT {columns} FROM {stored}'


def upgrade() -> None:
    connection = op.get_bind()
    if not _sqlite():
        readers = {name: _readers(connection, name) for name in TABLES}
        move(connection, to_records=True)
        for name, stored in TABLES.items():
            op.execute(_shown(connection, name, stored, ()))  # timestamptz is compact already
            for reader, grantable in readers[name]:
                op.execute(f'GRANT SELECT ON "{name}" TO {reader}{" WITH GRANT OPTION" if grantable else ""}')
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
    for sql, _ in _SQLITE_VIEWS.values():
        op.execute(sql)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _readers(connection: sa.Connection, table: str) -> list[tuple[str, bool]]:
    """Who may read `table` besides its owner (PUBLIC, or a role as SQL names it), and
    whether they may grant that on: they may do the same with the view that takes its name.
    Read from the table's ACL, which names every grant, whoever made it."""
    rows = connection.execute(sa.text(
        "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,"
        " bool_or(a.is_grantable) FROM pg_class AS c CROSS JOIN LATERAL aclexplode(c.relacl) AS a"
        " WHERE c.oid = to_regclass(:name) AND a.privilege_type = 'SELECT' AND a.grantee <> c.relowner"
        " GROUP BY 1 ORDER BY 1"), {"name": _quoted(table)})
    return [(grantee, bool(grantable)) for grantee, grantable in rows]
