"""The query commands' reads on SQLite go through the standard library's sqlite3
(`watcher.store.reading.SqliteQueries`), the web's and PostgreSQL's through
SQLAlchemy: every question of the read facade, filters, globs and paging included,
gets the same answer from both engines on one database, so no surface can drift
from another. (That the answers are right is the query tests' business, on both
backends.)"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.analyst_support import populate
from watcher.poll.pipeline import Poller
from watcher.show import model_statements
from watcher.store import readers
from watcher.store.engine import make_engine, write_session
from watcher.store.migrate import ensure_schema
from watcher.store.queries_changes import ChangeFilter
from watcher.store.reading import SqliteQueries, query_database, reading_engine
from watcher.store.tables import Delivery

TODAY = dt.datetime.now(dt.UTC).date()
MARCH = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('reader') / 'watcher.db'}"
    engine = make_engine(url)
    ensure_schema(engine)
    populate(Poller(engine=engine), TODAY)
    now = dt.datetime.now(dt.UTC)
    with write_session(engine) as session:
        for key, status, attempts in (("a", "pending", 1), ("b", "sent", 1), ("c", "dead", 5), ("d", "pending", 0)):
            session.add(Delivery(dedupe_key=key, channel="ops", kind="digest", severity="warning", title=key,
                                 body_text="", body_markdown="", body_html="", change_ids="[1, 2]", status=status,
                                 attempts=attempts, next_attempt_at=now, created_at=now,
                                 sent_at=now if status == "sent" else None))
    engine.dispose()
    yield url


QUESTIONS: dict[str, Callable[[Any], object]] = {
    "changes": lambda e: list(readers.changes_in_order(e, ChangeFilter())),
    "changes filtered": lambda e: list(readers.changes_in_order(e, ChangeFilter(
        since=MARCH, until=dt.datetime(2026, 7, 1, tzinfo=dt.UTC), sources=["example-catalog", "openai-deprecations"],
        kinds=["price", "status", "shutdown_date"]))),
    "changes by glob, paged": lambda e: list(readers.changes_in_order(e, ChangeFilter(
        model="sora-2*", newest_first=True, offset=1))),
    "changes page": lambda e: dataclasses.asdict(readers.recent_changes(e, ChangeFilter(), offset=2, limit=3)),
    "history": lambda e: readers.model_history(e, "gpt-4o"),
    "history by glob": lambda e: readers.model_history(e, "*o1*"),
    "asof": lambda e: readers.catalog_asof(e, MARCH),
    "asof filtered": lambda e: readers.catalog_asof(e, MARCH, sources=["example-catalog"], model="gpt-4?"),
    "upcoming": lambda e: readers.shutdowns_ahead(e, today=TODAY, within=dt.timedelta(days=90)),
    "upcoming, the past year": lambda e: readers.shutdowns_ahead(e, today=TODAY - dt.timedelta(days=365),
                                                                 within=dt.timedelta(days=800), model="*"),
    "sources": lambda e: readers.source_health(e, ["example-catalog", "example-gateway", "openai-deprecations",
                                                   "never-polled"]),
    "recorded sources": lambda e: readers.recorded_sources(e),
    "outbox": lambda e: readers.outbox_listing(e, ["pending", "failed", "sending", "dead", "sent"]),
    "outbox, failed": lambda e: readers.outbox_listing(e, ["failed"], limit=1),
    "show": lambda e: model_statements(e, "gpt-4o", today=TODAY, official_sources={"openai-deprecations"}),
    "show by glob": lambda e: model_statements(e, "sora*", today=TODAY, official_sources={"openai-deprecations"}),
    "shutdown revisions": lambda e: readers.shutdown_revisions(
        e, readers.shutdowns_ahead(e, today=TODAY - dt.timedelta(days=365), within=dt.timedelta(days=800))),
}


@pytest.mark.parametrize("question", QUESTIONS)
def test_sqlite3_answers_what_sqlalchemy_answers(url: str, question: str) -> None:
    through_sqlite3 = query_database(url)
    assert isinstance(through_sqlite3, SqliteQueries)
    through_sqlalchemy = reading_engine(url)
    ask = QUESTIONS[question]
    answer = ask(through_sqlite3)
    assert answer == ask(through_sqlalchemy)
    assert answer
    through_sqlalchemy.dispose()


def test_a_query_database_on_a_new_file_gets_the_schema(tmp_path: Path) -> None:
    queries = query_database(str(tmp_path / "new.db"))
    assert isinstance(queries, SqliteQueries)
    assert readers.recorded_sources(queries) == set()
