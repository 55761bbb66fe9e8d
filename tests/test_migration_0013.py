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
from sqlalchemy import Engine, inspect

from tests.migration_support import RELEASES, answers, poll_release
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


def test_0013_keeps_every_version_change_and_answer_and_the_downgrade_gives_them_back(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    for day, name in enumerate(RELEASES):
        assert poll_release(engine, day, name) in ("baseline", "changed")
    today, shown = answers(engine), _as_analysts_read(engine)
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

    upgrade(engine)

    assert current_revision(engine) == "0013"
    assert _as_analysts_read(engine) == shown
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
        connection.exec_driver_sql(f'GRANT SELECT ON observation_version, "change" TO "{role}"')
    try:
        upgrade(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql(f'SET ROLE "{role}"')
            for name in ("observation_version", "change"):
                assert connection.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar_one() == 0
            connection.exec_driver_sql("RESET ROLE")
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
            connection.exec_driver_sql(f'DROP ROLE "{role}"')
        engine.dispose()
