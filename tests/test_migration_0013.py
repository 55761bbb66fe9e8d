"""Migration 0013 (issue 13: the history's two tables store their times compactly, and
analysts read them through views with the old names) moves a database the 0012 release
built without losing a version or changing an answer: plain SQL on `observation_version`
and `change` returns the same rows, text times included, and compares them with text
literals as before; a downgrade gives the 0012 release its tables back."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from tests.migration_support import RELEASES, answers, poll_release
from tests.support import run_watcher
from watcher.store.engine import make_engine
from watcher.store.migrate import _config, current_revision, upgrade
from watcher.store.relations import VIEWS

# The releases are polled at 2026-07-01 and 2026-07-02, midnight UTC.
_DOCUMENTED: dict[str, str] = {
    "changes_since_day_two": "SELECT id FROM change WHERE detected_at >= '2026-07-02' ORDER BY id",
    "changes_after_day_two": "SELECT id FROM change WHERE detected_at > '2026-07-02 00:00:00.000000' ORDER BY id",
    "catalog_at_noon": ("SELECT id FROM observation_version WHERE valid_from <= '2026-07-01 12:00'"
                        " AND (valid_to IS NULL OR valid_to > '2026-07-01 12:00') ORDER BY id"),
}


def _downgrade(engine: Engine, revision: str) -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _as_analysts_read(engine: Engine) -> dict[str, list[Any]]:
    """What plain SQL on the names analysts know returns, as the driver returns it."""
    with engine.connect() as connection:
        out: dict[str, list[Any]] = {
            name: list(connection.exec_driver_sql(f'SELECT * FROM "{name}" ORDER BY id').all())
            for name in ("observation_version", "change")}
        out.update({name: sorted(connection.exec_driver_sql(f"SELECT * FROM {name}").all(), key=repr)
                    for name in VIEWS})
        out.update({name: list(connection.exec_driver_sql(sql).all()) for name, sql in _DOCUMENTED.items()})
    return out


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _declared(engine: Engine) -> dict[str, list[tuple[str, str]]]:
    """Each relation analysts read: its columns in order, with the type the database declares
    for each, which tools that read types go by (SQLAlchemy's reflection, pandas)."""
    names = ("observation_version", "change", *VIEWS)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return {name: [(row[1], row[2]) for row in connection.exec_driver_sql(f'PRAGMA table_info("{name}")')]
                    for name in names}
        return {name: [tuple(row) for row in connection.execute(text(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = :name ORDER BY ordinal_position"), {"name": name})] for name in names}


def test_0013_keeps_every_version_change_and_answer_and_the_downgrade_gives_them_back(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    for day, name in enumerate(RELEASES):
        assert poll_release(engine, day, name) in ("baseline", "changed")
    today, shown, declared = answers(engine), _as_analysts_read(engine), _declared(engine)
    # The text literals select what they say: all of day two's changes, none after it,
    # and day one's catalog, some of it closed on day two.
    assert [row.id for row in shown["change"]] == [row.id for row in shown["changes_since_day_two"]]
    assert shown["changes_after_day_two"] == []
    assert 0 < len(shown["catalog_at_noon"]) < len(shown["observation_version"])
    assert {"version_record", "change_record"} <= _tables(engine)
    assert not {"observation_version", "change"} & _tables(engine)  # views now

    _downgrade(engine, "0012")

    assert current_revision(engine) == "0012"
    assert {"observation_version", "change"} <= _tables(engine)
    assert not {"version_record", "change_record"} & _tables(engine)
    assert _as_analysts_read(engine) == shown  # the 0012 tables hold exactly what the views showed
    assert _declared(engine) == declared  # ... and declare the same types
    assert declared["change"][-2:] == [("detected_at", "DATETIME" if engine.dialect.name == "sqlite"
                                        else "timestamp with time zone"), ("silence_id", "INTEGER" if
                                        engine.dialect.name == "sqlite" else "integer")]

    upgrade(engine)

    assert current_revision(engine) == "0013"
    assert _as_analysts_read(engine) == shown and _declared(engine) == declared
    assert answers(engine) == today
    if engine.dialect.name == "sqlite":  # stored compactly: integers, none left as text
        with engine.connect() as connection:
            stored = connection.exec_driver_sql(
                "SELECT DISTINCT typeof(valid_from), typeof(valid_to) FROM version_record"
                " UNION SELECT DISTINCT typeof(detected_at), 'null' FROM change_record").all()
        assert set(stored) == {("integer", "integer"), ("integer", "null")}
    # The writer goes on from the migrated tables.
    assert poll_release(engine, len(RELEASES), RELEASES[0]) == "changed"
    engine.dispose()


def test_on_postgresql_whoever_could_read_the_tables_reads_the_views(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has no roles")
    engine = make_engine(db_url)
    upgrade(engine, "0012")
    role = f"reader_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
        connection.exec_driver_sql(f'CREATE ROLE "{role}"')
        connection.exec_driver_sql(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        connection.exec_driver_sql(f'GRANT SELECT ON observation_version TO "{role}"')
        connection.exec_driver_sql(f'GRANT SELECT ON "change" TO "{role}" WITH GRANT OPTION')
    try:
        upgrade(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql(f'SET ROLE "{role}"')
            for name in ("observation_version", "change"):
                assert connection.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar_one() == 0
            connection.exec_driver_sql("RESET ROLE")
            grantable: dict[str, str] = dict(connection.exec_driver_sql(
                "SELECT table_name, is_grantable FROM information_schema.role_table_grants"
                f" WHERE grantee = '{role}' AND table_schema = current_schema() AND privilege_type = 'SELECT'").all())
        assert grantable == {"observation_version": "NO", "change": "YES", "version_record": "NO",
                             "change_record": "YES"}
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
            connection.exec_driver_sql(f'DROP ROLE "{role}"')
        engine.dispose()


def test_sqlite_moves_an_index_of_ones_own_and_refuses_to_drop_a_trigger(sqlite_url: str) -> None:
    """What someone added to the old tables: an index moves with the rows (spelt however it
    is); a trigger would change meaning on integer times, so the upgrade stops and says so,
    changing nothing."""
    engine = make_engine(sqlite_url)
    upgrade(engine, "0012")
    with engine.begin() as connection:
        connection.exec_driver_sql("create index my_recent on change(model, detected_at)")
        connection.exec_driver_sql('CREATE INDEX main.my_rows ON"observation_version"(source)')
    upgrade(engine)
    assert {ix["name"] for ix in inspect(engine).get_indexes("change_record")} >= {"my_recent", "ix_change_detected"}
    assert "my_rows" in {ix["name"] for ix in inspect(engine).get_indexes("version_record")}
    _downgrade(engine, "0012")
    assert "my_recent" in {ix["name"] for ix in inspect(engine).get_indexes("change")}
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TRIGGER my_audit AFTER INSERT ON change BEGIN SELECT 1; END")
    engine.dispose()
    result = run_watcher(["--db", sqlite_url, "db", "upgrade"])
    assert result.returncode == 1 and result.stderr == (
        "watcher: cannot upgrade to 0013: table change has triggers it cannot move (my_audit); nothing was"
        " changed. Drop them, upgrade, and create them again on the table the rows are now in (change_record)\n")
    assert current_revision(engine) == "0012" and {"observation_version", "change"} <= _tables(engine)
