"""Migrations 0009 and 0010 (issue 13: the source's own id indexed only where it is not
the key, then left out where the key states it, and the url where the run states it)
move a database the previous release built, at revision 0008, without changing
anything it answers, and the lookups by a source's own id still seek an index."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, func, inspect, or_, select
from sqlmodel import Session

from tests.migration_support import (
    add_document_base,
    add_price_sets,
    answers,
    read_plans,
    record_releases,
    store_prices_as_then,
    todays_tables,
)
from watcher.store.catalog import current_named
from watcher.store.codec import from_row
from watcher.store.derived import resolved
from watcher.store.engine import make_engine
from watcher.store.export import export_rows
from watcher.store.migrate import current_revision, upgrade
from watcher.store.polls import current_versions
from watcher.store.queries_versions import history
from watcher.store.relations import OBSERVATION_VERSION, RUN

_V = OBSERVATION_VERSION.c


def build_at_0008(engine: Engine) -> None:
    """What the 0008 release leaves: its schema, two real releases polled, and one row
    whose own id is not its key (LiteLLM's never differ)."""
    upgrade(engine, "0008")
    with engine.begin() as connection:
        add_price_sets(connection)
        add_document_base(connection)
    record_releases(engine)
    with todays_tables(engine), engine.begin() as connection:
        # The 0008 release stored every own id and url in full; today's writer leaves out
        # the ones the key and the run state, so write them back as that release did.
        connection.execute(OBSERVATION_VERSION.update().where(_V.source_id == "").values(source_id=_V.key))
        run_url = select(RUN.c.url).where(RUN.c.id == _V.run_id).scalar_subquery()
        connection.execute(OBSERVATION_VERSION.update().where(_V.url == "").values(url=run_url))
        connection.execute(OBSERVATION_VERSION.update().where(_V.key == "gpt-4o").values(source_id="openai/gpt-4o"))
        assert not connection.execute(select(_V.key).where(or_(_V.source_id == "", _V.url == ""))).all()
    with engine.begin() as connection:
        store_prices_as_then(connection)


def lookups(engine: Engine) -> dict[str, tuple[list[Any], list[Any]]]:
    """`watcher history` and `watcher show` by the source's own id, equal to the key or not."""
    with todays_tables(engine), engine.connect() as connection:
        return {name: (history(connection, name), current_named(connection, name, name))
                for name in ("openai/sora-2", "openai/gpt-4o", "gpt-4o", "gpt-4o*", "azure/*")}


def test_0009_keeps_every_version_and_answer_of_a_0008_database(db_url: str) -> None:
    engine = make_engine(db_url)
    build_at_0008(engine)
    before, found = answers(engine), lookups(engine)
    assert len(before["observation_version"]) > len(before["run"]) > 1 and before["change"]
    assert all(rows for rows, _ in found.values())

    upgrade(engine, "0009")

    assert current_revision(engine) == "0009"
    assert answers(engine) == before
    assert lookups(engine) == found
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("observation_version")}
    assert indexes["ix_observation_key_source"] == ["key", "source"] and "ix_observation_source_key" not in indexes
    engine.dispose()


def resolved_answers(engine: Engine) -> dict[str, Any]:
    """`answers`, with the versions as every reader and the export see them."""
    out = answers(engine)
    with todays_tables(engine), engine.connect() as connection:
        out["observation_version"] = list(export_rows(connection, "observation_version"))
        assert len(out["observation_version"]) == connection.execute(select(func.count()).select_from(
            OBSERVATION_VERSION)).scalar()
    return out


def test_0010_keeps_every_version_and_answer_and_stores_no_id_or_url_twice(db_url: str) -> None:
    engine = make_engine(db_url)
    build_at_0008(engine)
    upgrade(engine, "0009")
    before, found = resolved_answers(engine), lookups(engine)
    with todays_tables(engine), engine.connect() as connection:
        stored = connection.execute(select(_V.id, _V.source_id, _V.url).order_by(_V.id)).all()
        current = {row.key: from_row(row) for row in connection.execute(
            select(*resolved(_V)).where(_V.valid_to.is_(None)))}

    upgrade(engine, "0010")

    assert current_revision(engine) == "0010"
    assert resolved_answers(engine) == before
    assert lookups(engine) == found
    with todays_tables(engine), engine.connect() as connection:
        after = {row.id: row.source_id for row in connection.execute(select(_V.id, _V.source_id))}
        assert {row.id for row in stored if row.source_id != "openai/gpt-4o"} == {i for i, own in after.items()
                                                                                 if own == ""}
        assert set(connection.execute(select(_V.url)).scalars()) == {""}
        # What the next poll diffs against is what the 0009 release read.
        with Session(engine) as session:
            assert current_versions(session, "litellm") == current
    engine.dispose()


def test_a_lookup_by_the_sources_own_id_seeks_an_index(sqlite_url: str) -> None:
    """Both halves of the own-id lookup are answered by an index, not a scan of every version."""
    engine = make_engine(sqlite_url)
    build_at_0008(engine)
    upgrade(engine, "0010")  # 0011 leaves these indexes as they are; the build already has its price sets

    def own_id_lookups(connection: Connection) -> None:
        history(connection, "openai/gpt-4o")
        current_named(connection, "openai/gpt-4o", "gpt-4o")

    with todays_tables(engine):
        plans = [plan for _sql, plan in read_plans(engine, own_id_lookups)]
    assert plans and all("SCAN version_record" not in plan for plan in plans), plans
    assert any("ix_observation_source_id" in plan and "ix_observation_key_source" in plan for plan in plans)
    engine.dispose()
