"""Migration 0004 (issue 13's leaner layout) moves a database the previous release
built, at revision 0003, to the new layout without changing anything it answers."""

from __future__ import annotations

import zlib
from typing import Any

from sqlalchemy import Engine, inspect, select

from tests.migration_support import add_document_base, add_price_sets, answers, record_releases, store_prices_as_then
from watcher.store.documents import load_document
from watcher.store.engine import make_engine, read_session
from watcher.store.migrate import current_revision, upgrade
from watcher.store.relations import DOCUMENT


def build_at_0003(engine: Engine) -> None:
    """What the 0003 release leaves: its schema, two releases polled, raw bodies in zlib.

    Today's writer records them, so the columns later revisions add (0005's
    `milestones`) are added first; 0004 itself never touches them."""
    upgrade(engine, "0003")
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE observation_version ADD COLUMN milestones VARCHAR")
        add_price_sets(connection)
        add_document_base(connection)
    record_releases(engine)
    with engine.begin() as connection:
        store_prices_as_then(connection)
        for digest, in connection.execute(select(DOCUMENT.c.sha256)).all():
            with read_session(engine) as session:
                body = load_document(session, digest)
            assert body is not None
            connection.execute(DOCUMENT.update().where(DOCUMENT.c.sha256 == digest)
                               .values(compression="zlib", body=zlib.compress(body, 6), base=None))


def test_0004_keeps_every_version_and_answer_of_a_0003_database(db_url: str) -> None:
    engine = make_engine(db_url)
    build_at_0003(engine)
    before = answers(engine)
    assert len(before["observation_version"]) > len(before["run"]) > 1 and before["change"]

    upgrade(engine, "0004")

    assert current_revision(engine) == "0004"
    assert answers(engine) == before
    with engine.connect() as connection:
        assert set(connection.execute(select(DOCUMENT.c.compression)).scalars()) == {"xz"}
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("change")}
    assert "ix_change_model" not in indexes and "ix_change_source_detected" not in indexes
    assert indexes["ix_change_health"] == ["source"] and indexes["ix_change_disagreement"] == ["key"]
    versions = {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("observation_version")}
    assert versions["ix_observation_source_key"] == ["source", "key"]
    engine.dispose()


def test_the_per_poll_lookups_use_their_partial_indexes(sqlite_url: str) -> None:
    """The SQL the pipeline and `watcher show` really send, planned by SQLite: each
    finds its rows through its partial index, not by scanning every change."""
    from sqlalchemy import event

    from watcher.poll.pipeline import _health_alerted_since
    from watcher.show import open_for_model

    engine = make_engine(sqlite_url)
    upgrade(engine)
    sent: list[tuple[str, Any]] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, params, *_: sent.append((sql, params)))
    with read_session(engine) as session:
        _health_alerted_since(session, "litellm", None)
    with engine.connect() as connection:
        open_for_model(connection, "openai", "gpt-4o")
    plans = []
    with engine.connect() as connection:
        for sql, params in [q for q in sent if "FROM change" in q[0]]:
            cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            plans.append(" ".join(row[-1] for row in cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)))
    assert len(plans) == 2
    assert "ix_change_health" in plans[0] and "ix_change_disagreement" in plans[1], plans
    engine.dispose()
