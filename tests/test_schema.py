"""The migrations create exactly the tables the code declares, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import watcher.store.tables  # noqa: F401
from watcher.store.engine import make_engine
from watcher.store.migrate import current_revision, ensure_schema, head_revision


def test_migrated_schema_matches_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    ensure_schema(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = [d for d in compare_metadata(context, SQLModel.metadata) if not _for_analysts(d)]
    assert differences == []


def _for_analysts(difference: object) -> bool:
    # Views (migration 0003) are not tables in the metadata: alembic reports them as removed tables.
    # Nor are the text columns SQLite computes for the history's views (0013): removed columns.
    if not isinstance(difference, tuple):
        return False
    if difference[0] == "remove_table":
        return difference[1].name in {
            "current_models", "price_history", "lifecycle_history", "upcoming_shutdowns", "source_health"}
    return difference[0] == "remove_column" and (difference[2], difference[3].name) in {
        ("version_record", "valid_from_text"), ("version_record", "valid_to_text"),
        ("change_record", "detected_at_text")}


def test_sqlite_runs_in_wal_mode(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    ensure_schema(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"


def test_lightweight_relations_declare_the_same_columns_as_the_models() -> None:
    # Query commands read through Core relations to start fast; they must not drift.
    from watcher.store.relations import TABLES
    from watcher.store.types import UTCDateTime

    models = {name: table for name, table in SQLModel.metadata.tables.items()}
    assert {relation.name for relation in TABLES.values()} == set(models)
    for name, relation in TABLES.items():
        model = models[relation.name]
        assert [c.name for c in relation.columns] == [c.name for c in model.columns], name
        # A time is bound as the table stores it: compact in the history's tables, and only there.
        assert [(c.name, c.type.compact) for c in relation.columns if isinstance(c.type, UTCDateTime)] == [
            (c.name, c.type.compact) for c in model.columns if isinstance(c.type, UTCDateTime)], name
    assert {relation.name for relation in TABLES.values() if any(
        getattr(c.type, "compact", False) for c in relation.columns)} == {"version_record", "change_record"}


def test_partial_indexes_state_the_same_clause_on_postgresql() -> None:
    # The models leave PostgreSQL's clause out until asked (watcher.store.tables._partial),
    # so that a daemon on SQLite never loads that dialect; asked, it is SQLite's.
    from sqlalchemy.engine import make_url
    from sqlalchemy.schema import CreateIndex

    from watcher.store.tables import declare_postgresql_where

    declare_postgresql_where()
    partial = [index for table in SQLModel.metadata.tables.values() for index in table.indexes
               if index.dialect_options["sqlite"]["where"] is not None]
    assert len(partial) == 7
    for index in partial:
        where = str(index.dialect_options["sqlite"]["where"])
        assert str(index.dialect_options["postgresql"]["where"]) == where, index.name
        assert str(CreateIndex(index).compile(dialect=make_url("postgresql://").get_dialect()())).endswith(f" WHERE {where}")


def test_table_models_build_their_pydantic_schema_only_when_used() -> None:
    # defer_build (watcher.store.tables._Table): a daemon that never validates or dumps a row
    # keeps 0.5 MB less (issue 13). Checked in a process of its own, where nothing used them.
    import subprocess
    import sys

    script = ("from sqlmodel import SQLModel\n"
              "import watcher.store.tables\n"
              "seen, todo = [], list(SQLModel.__subclasses__())\n"
              "while todo:\n"
              "    m = todo.pop()\n"
              "    seen.append(m)\n"
              "    todo += m.__subclasses__()\n"
              "models = [m for m in seen if getattr(m, '__table__', None) is not None]\n"
              "print(len(models), sorted(m.__name__ for m in models if m.__pydantic_complete__))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout == f"{len(SQLModel.metadata.tables)} []\n", done.stderr
