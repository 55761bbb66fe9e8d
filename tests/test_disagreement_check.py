"""Disagreements through the commit hook, on a real database: an open one is not
"resolved" by something unrelated to it, so it can't flap."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence

from sqlmodel import select

from sources.base import BuiltinSource
from watcher.config import SourceSettings
from watcher.disagreements.hook import DisagreementHook
from watcher.model import ChangeKind, Document, Observation
from watcher.poll.pipeline import Poller
from watcher.store.engine import make_engine, read_session
from watcher.store.migrate import ensure_schema
from watcher.store.tables import ChangeRecord

T0 = dt.datetime(2026, 8, 1, tzinfo=dt.UTC)


def _parse(doc: Document) -> list[Observation]:
    return [Observation(key=row["id"], provider="openai", model=row["id"],
                        shutdown_on=dt.date.fromisoformat(row["shutdown"]) if row.get("shutdown") else None)
            for row in json.loads(doc.body)]


OFFICIAL = BuiltinSource(name="official", urls=("http://127.0.0.1/o",), parser_version="1", parse_fn=_parse)
CATALOG = BuiltinSource(name="catalog", urls=("http://127.0.0.1/c",), parser_version="1", parse_fn=_parse)


def record(poller: Poller, source: BuiltinSource, rows: Sequence[Mapping[str, str]], hours: int) -> None:
    doc = Document(source.name, source.urls[0], json.dumps(list(rows)).encode(), T0 + dt.timedelta(hours=hours))
    poller.record_document(source, SourceSettings(name=source.name), doc)


def test_a_catalog_losing_its_last_dated_row_does_not_resolve_its_missing_dates(db_url: str) -> None:
    engine = make_engine(db_url)
    ensure_schema(engine)
    poller = Poller(engine=engine, hooks=(DisagreementHook(official_sources=frozenset({"official"})),))
    record(poller, OFFICIAL, [{"id": "sora-2", "shutdown": "2026-09-24"}], 0)
    dated = [{"id": "sora-2"}, {"id": "gpt-x", "shutdown": "2027-01-01"}]
    record(poller, CATALOG, dated, 1)  # a catalog that states dates, but none for sora-2
    record(poller, CATALOG, [{"id": "sora-2"}, {"id": "gpt-x"}], 2)  # its one dated row loses the date
    record(poller, CATALOG, dated, 3)  # and gets it back
    with read_session(engine) as session:
        found = session.exec(select(ChangeRecord.field, ChangeRecord.new)
                             .where(ChangeRecord.kind == ChangeKind.DISAGREEMENT.value)).all()
    assert [field for field, _ in found] == ["no_shutdown_date"]  # appeared once; no resolve, no repeat
