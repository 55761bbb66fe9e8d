"""Migration 0011 (issue 13: a version names its prices by a set stored once) moves a
database the 0010 release built without losing a version or changing an answer, and
the writer goes on from it."""

from __future__ import annotations

import re
from typing import Any

from alembic import command
from sqlalchemy import Connection, Engine, func, literal_column, select, text
from sqlmodel import Session

from tests.migration_support import RELEASES, answers, poll_release, read_plans
from watcher.store.codec import price_digest, prices_to_text
from watcher.store.engine import make_engine
from watcher.store.export import export_rows
from watcher.store.migrate import _config, current_revision, upgrade
from watcher.store.polls import current_versions
from watcher.store.relations import OBSERVATION_VERSION, PRICE_SET, VIEWS


def _downgrade(engine: Engine, revision: str) -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _as_0010_stores(engine: Engine) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every version as stored (the 0010 layout: prices in the row) and every view."""
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.exec_driver_sql(
            "SELECT * FROM observation_version ORDER BY id")]
        views: dict[str, Any] = {name: sorted(connection.execute(select(literal_column("*")).select_from(view)).all(), key=repr)
                 for name, view in VIEWS.items()}
    return rows, views


def _as_0011_stores(engine: Engine) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The same, each version's prices read from its set."""
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.exec_driver_sql(
            "SELECT v.*, s.prices FROM observation_version AS v LEFT JOIN price_set AS s ON s.id = v.price_set"
            " ORDER BY v.id")]
        views: dict[str, Any] = {name: sorted(connection.execute(select(literal_column("*")).select_from(view)).all(), key=repr)
                 for name, view in VIEWS.items()}
    for row in rows:
        del row["price_set"]
    return rows, views


def test_0011_keeps_every_version_and_answer_of_a_0010_database(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    for day, name in enumerate(RELEASES):
        assert poll_release(engine, day, name) in ("baseline", "changed")
    today, exported = answers(engine), _export(engine)
    _downgrade(engine, "0010")  # what the 0010 release leaves: each version's prices in its row
    assert current_revision(engine) == "0010"
    rows, views = _as_0010_stores(engine)
    assert sum(row["prices"] is not None for row in rows) > len({row["prices"] for row in rows}) > 1  # sets shared
    with engine.connect() as connection:
        current: dict[str, str | None] = dict(connection.exec_driver_sql(
            "SELECT key, prices FROM observation_version WHERE valid_to IS NULL").all())

    upgrade(engine, "0011")

    assert current_revision(engine) == "0011"
    assert _as_0011_stores(engine) == (rows, views)
    with engine.connect() as connection:
        sets = connection.execute(select(PRICE_SET.c.digest, PRICE_SET.c.prices)).all()
        # PostgreSQL computes the digests in SQL: they are the writer's.
        assert sets and all(price_digest(prices) == digest for digest, prices in sets)
        assert len(sets) == len({row["prices"] for row in rows if row["prices"] is not None})
    upgrade(engine)  # today's queries and writer go on from the head (0012 keeps times compactly on SQLite)
    assert answers(engine) == today and _export(engine) == exported
    with Session(engine) as session:  # what the next poll diffs against
        stated = {key: prices_to_text(obs.prices) for key, obs in current_versions(session, "litellm").items()}
    assert stated == current
    # The writer goes on: the first release again reopens versions whose sets are stored.
    assert poll_release(engine, len(RELEASES), RELEASES[0]) == "changed"
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(PRICE_SET)).scalar() == len(sets)
        orphans = connection.execute(text(
            "SELECT count(*) FROM observation_version AS v WHERE v.price_set IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM price_set AS s WHERE s.id = v.price_set)")).scalar()
        assert orphans == 0
    engine.dispose()


def _export(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        out = list(export_rows(connection, "observation_version"))
        assert len(out) == connection.execute(select(func.count()).select_from(OBSERVATION_VERSION)).scalar()
    return out


def test_a_rows_versions_are_found_by_its_key_through_an_index(sqlite_url: str) -> None:
    """The key index holds the key alone now: history, `watcher show` and the views' period
    ends still seek it rather than scan every version."""
    from watcher.store.catalog import current_named
    from watcher.store.queries_versions import history

    engine = make_engine(sqlite_url)
    upgrade(engine)
    for day, name in enumerate(RELEASES):
        poll_release(engine, day, name)

    def name_lookups(connection: Connection) -> None:
        history(connection, "gpt-4o")
        current_named(connection, "gpt-4o", "gpt-4o")

    plans = [plan for sql, plan in read_plans(engine, name_lookups) if "version_record" in sql]
    with engine.connect() as connection:
        periods = " ".join(str(row[-1]) for row in connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT * FROM price_history WHERE key = 'gpt-4o'"))
    assert any("USING INDEX ix_observation_key (key=?)" in plan for plan in plans), plans
    # No read walks every version: a row-value IN (subquery) made SQLite scan them all (90 ms -> 7 ms
    # on bench.web_pages' year of history once history() joins the rows it found instead).
    assert not [plan for plan in plans if re.search(r"\bSCAN (v|version_record)\b", plan)], plans
    # Each period end looks up the row's other versions by key, and their prices by set.
    assert "SCAN" not in periods.replace("SCAN p VIRTUAL TABLE", ""), periods
    assert periods.count("USING INDEX ix_observation_key (key=?)") == 4, periods
    engine.dispose()
