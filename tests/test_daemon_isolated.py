"""The daemon records a body to parse in a child process (watcher/daemon/isolated.py):
the same history as in-process, under the lease fence, and what the child raised comes back."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path

import pytest

from watcher.config import parse
from watcher.daemon import isolated
from watcher.daemon.lease import Lease, LeaseLost
from watcher.model import Document
from watcher.store.engine import make_engine, read_session
from watcher.store.migrate import ensure_schema

FIXTURES = Path(__file__).parent / "fixtures" / "litellm"
AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _request(db: str, version: str, day: int, fence: isolated.Fence | None) -> isolated.Request:
    doc = Document("litellm", "https://example.invalid/litellm.json",
                   (FIXTURES / f"model_prices-{version}.json").read_bytes(), AT + dt.timedelta(days=day),
                   content_type="application/json")
    settings = parse({"sources": {"litellm": {}}}, path=None, environ={})
    return isolated.Request(db_url=db, settings=settings, source="litellm", document=doc, trigger="daemon",
                            fence=fence, log_level=logging.WARNING, log_format="text")


def _runs(db: str) -> list[tuple[str, int]]:
    from sqlmodel import col, select

    from watcher.store.tables import Run

    with read_session(make_engine(db)) as session:
        return [(run.outcome, run.changes or 0) for run in session.exec(select(Run).order_by(col(Run.id)))]


@pytest.mark.slow
def test_a_new_body_is_recorded_by_a_child_under_the_lease(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'watcher.db'}"
    engine = make_engine(db)
    ensure_schema(engine)
    lease = Lease(engine, 60)
    assert lease.acquire_or_renew()
    fence = isolated.Fence(holder=lease.holder, name=lease.name, seconds=lease.seconds, epoch=lease.epoch)

    first = asyncio.run(isolated.record(_request(db, "1.97.0", 0, fence)))
    second = asyncio.run(isolated.record(_request(db, "1.98.0", 1, fence)))

    assert (first.outcome, second.outcome) == ("baseline", "changed")
    assert second.changes and all(change.source == "litellm" for change in second.changes)
    assert _runs(db) == [("baseline", 0), ("changed", len(second.changes))]

    # An epoch this replica no longer holds: the child's transaction is fenced, nothing is written.
    stale = isolated.Fence(holder=lease.holder, name=lease.name, seconds=lease.seconds, epoch=(lease.epoch or 0) - 1)
    with pytest.raises(LeaseLost):
        asyncio.run(isolated.record(_request(db, "1.97.0", 2, stale)))
    assert len(_runs(db)) == 2
