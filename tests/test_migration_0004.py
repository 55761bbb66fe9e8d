"""Migration 0004 (issue 13's leaner layout) moves a database the previous release
built, at revision 0003, to the new layout without changing anything it answers."""

from __future__ import annotations

import datetime as dt
import zlib
from typing import Any

from sqlalchemy import Connection, Engine, inspect, literal_column, select

from sources.registry import builtin
from tests.support import FIXTURES
from watcher.config import SourceSettings
from watcher.disagreements.hook import DisagreementHook
from watcher.model import Document
from watcher.poll.pipeline import Poller
from watcher.store.engine import make_engine, read_session
from watcher.store.migrate import current_revision, upgrade
from watcher.store.polls import load_document
from watcher.store.queries_changes import ChangeFilter, changes
from watcher.store.queries_versions import asof, history
from watcher.store.relations import CHANGE, DOCUMENT, OBSERVATION_VERSION, RUN, VIEWS

T0 = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
RELEASES = ("model_prices-1.97.0.json", "model_prices-1.98.0.json")


def build_at_0003(engine: Engine) -> None:
    """What the 0003 release leaves: its schema, two releases polled, raw bodies in zlib.

    Today's writer records them, so the columns later revisions add (0005's
    `milestones`) are added first; 0004 itself never touches them."""
    upgrade(engine, "0003")
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE observation_version ADD COLUMN milestones VARCHAR")
        add_price_sets(connection)
    poller = Poller(engine=engine, hooks=(DisagreementHook(),))
    source = builtin("litellm")
    for day, name in enumerate(RELEASES):
        doc = Document("litellm", source.urls[0], (FIXTURES / "litellm" / name).read_bytes(),
                       T0 + dt.timedelta(days=day), content_type="application/json")
        assert poller.record_document(source, SourceSettings(name="litellm"), doc).outcome in ("baseline", "changed")
    with engine.begin() as connection:
        store_prices_as_then(connection)
        for digest, in connection.execute(select(DOCUMENT.c.sha256)).all():
            with read_session(engine) as session:
                body = load_document(session, digest)
            assert body is not None
            connection.execute(DOCUMENT.update().where(DOCUMENT.c.sha256 == digest)
                               .values(compression="zlib", body=zlib.compress(body, 6)))


def add_price_sets(connection: Connection) -> None:
    """Today's writer names a version's prices by their set (0011): its table and column first."""
    serial = "INTEGER" if connection.dialect.name == "sqlite" else "SERIAL"
    connection.exec_driver_sql(f"CREATE TABLE price_set (id {serial} NOT NULL PRIMARY KEY, digest INTEGER NOT NULL,"
                               " prices VARCHAR NOT NULL)")
    connection.exec_driver_sql("ALTER TABLE observation_version ADD COLUMN price_set INTEGER")


def store_prices_as_then(connection: Connection) -> None:
    """Each version's prices in its own column, where releases before 0011 kept them (the views read them)."""
    connection.exec_driver_sql("UPDATE observation_version SET prices = (SELECT s.prices FROM price_set AS s"
                               " WHERE s.id = observation_version.price_set)")


def answers(engine: Engine) -> dict[str, Any]:
    """Every table row of history, every view, the query commands' answers and each raw body."""
    out: dict[str, Any] = {}
    with engine.connect() as connection:
        for relation in (RUN, OBSERVATION_VERSION, CHANGE):
            out[relation.name] = connection.execute(select(relation).order_by(relation.c.id)).all()
        for name, view in VIEWS.items():  # the columns the view has at this revision (0006 adds one)
            out[name] = sorted(connection.execute(select(literal_column("*")).select_from(view)).all(), key=repr)
        out["changes"] = list(changes(connection, ChangeFilter()))
        out["history"] = list(history(connection, "gpt-4o*"))
        out["asof"] = list(asof(connection, T0 + dt.timedelta(hours=12), sources=(), model=None))
        digests = connection.execute(select(DOCUMENT.c.sha256).order_by(DOCUMENT.c.sha256)).scalars().all()
    with read_session(engine) as session:
        out["documents"] = [load_document(session, digest) for digest in digests]
    return out


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
