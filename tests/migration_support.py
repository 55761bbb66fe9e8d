"""What the migration tests share: a database a previous release built, holding two real
LiteLLM releases polled a day apart, and every answer it gives, to compare across a migration."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event, literal_column, select

from sources.registry import builtin
from tests.support import FIXTURES
from watcher.config import SourceSettings
from watcher.disagreements.hook import DisagreementHook
from watcher.model import Document
from watcher.poll.pipeline import Poller
from watcher.store.documents import load_document
from watcher.store.engine import read_session
from watcher.store.migrate import current_revision
from watcher.store.queries_changes import ChangeFilter, changes
from watcher.store.queries_versions import asof, history
from watcher.store.relations import CHANGE, DOCUMENT, OBSERVATION_VERSION, RUN, VIEWS

_V13 = importlib.import_module("watcher.store.migrations.versions.0013_compact_history")
T0 = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
RELEASES = ("model_prices-1.97.0.json", "model_prices-1.98.0.json")


def poll_release(engine: Engine, day: int, name: str) -> str:
    """Record the LiteLLM release `name` as fetched `day` days after `T0`, with today's writer: its outcome."""
    source = builtin("litellm")
    doc = Document("litellm", source.urls[0], (FIXTURES / "litellm" / name).read_bytes(),
                   T0 + dt.timedelta(days=day), content_type="application/json")
    poller = Poller(engine=engine, hooks=(DisagreementHook(),))
    return poller.record_document(source, SourceSettings(name="litellm"), doc).outcome


@contextmanager
def todays_tables(engine: Engine) -> Iterator[None]:
    """Today's writer and readers on a database an earlier release built: while they run,
    the history's tables are where today's code keeps them (0013's move, rows as they are),
    and then back where that release keeps them. Its views read them only outside."""
    if (current_revision(engine) or "") >= "0013":
        yield
        return
    with engine.begin() as connection:
        _V13.move(connection, to_records=True)
    try:
        yield
    finally:
        with engine.begin() as connection:
            _V13.move(connection, to_records=False)


def record_releases(engine: Engine) -> None:
    """Poll `RELEASES` into `engine`, one a day from `T0`."""
    with todays_tables(engine):
        for day, name in enumerate(RELEASES):
            assert poll_release(engine, day, name) in ("baseline", "changed")


def add_price_sets(connection: Connection) -> None:
    """Today's writer names a version's prices by their set (0011): its table and column first."""
    serial = "INTEGER" if connection.dialect.name == "sqlite" else "SERIAL"
    connection.exec_driver_sql(f"CREATE TABLE price_set (id {serial} NOT NULL PRIMARY KEY, digest INTEGER NOT NULL,"
                               " prices VARCHAR NOT NULL)")
    connection.exec_driver_sql("ALTER TABLE observation_version ADD COLUMN price_set INTEGER")


def add_document_base(connection: Connection) -> None:
    """Today's writer stores a body as a delta against the one its `base` names (0012)."""
    connection.exec_driver_sql("ALTER TABLE document ADD COLUMN base VARCHAR(64)")


def store_prices_as_then(connection: Connection) -> None:
    """Each version's prices in its own column, where releases before 0011 kept them (the views read them)."""
    connection.exec_driver_sql("UPDATE observation_version SET prices = (SELECT s.prices FROM price_set AS s"
                               " WHERE s.id = observation_version.price_set)")


def answers(engine: Engine) -> dict[str, Any]:
    """Every table row of history, every view, the query commands' answers and each raw body."""
    out: dict[str, Any] = {}
    with engine.connect() as connection:
        for name, view in VIEWS.items():  # the columns the view has at this revision (0006 adds one)
            out[name] = sorted(connection.execute(select(literal_column("*")).select_from(view)).all(), key=repr)
    with todays_tables(engine), engine.connect() as connection:
        for name, relation in (("run", RUN), ("observation_version", OBSERVATION_VERSION), ("change", CHANGE)):
            out[name] = connection.execute(select(relation).order_by(relation.c.id)).all()
        out["changes"] = list(changes(connection, ChangeFilter()))
        out["history"] = list(history(connection, "gpt-4o*"))
        out["asof"] = list(asof(connection, T0 + dt.timedelta(hours=12), sources=(), model=None))
        digests = connection.execute(select(DOCUMENT.c.sha256).order_by(DOCUMENT.c.sha256)).scalars().all()
    with read_session(engine) as session:
        out["documents"] = [load_document(session, digest) for digest in digests]
    return out


def read_plans(engine: Engine, read: Callable[[Connection], object]) -> list[tuple[str, str]]:
    """Each statement `read` sends on `engine`, with SQLite's query plan for it on one line."""
    sent: list[tuple[str, Any]] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, params, *_: sent.append((sql, params)))
    with engine.connect() as connection:
        read(connection)
        return [(sql, " ".join(str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)))
                for sql, params in list(sent)]
