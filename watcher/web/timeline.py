"""The timeline of shutdowns ahead, as the page, the API and the calendar show it:
the store's `upcoming` rows, with each model's watch status and the sources that
disagree about it (the disagreement rules live above the store, so this does too)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

from watcher.matching import watched
from watcher.store.engine import read_session
from watcher.store.queries_versions import upcoming


def upcoming_shutdowns(engine: Engine, *, today: dt.date, within: dt.timedelta, watchlist: Sequence[str] = (),
                       sources: Sequence[str] = (), model: str | None = None, watched_only: bool = False,
                       offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
    """Shutdowns ahead, watched models first, then soonest first (`watched_only`: the
    watched alone); each row says whether the model is watched and which sources disagree
    about it. The store orders and pages, so a page reads only the rows it shows."""
    from watcher.disagreements.hook import open_disagreements

    with engine.connect() as connection:
        rows = upcoming(connection, today=today, within=within, sources=sources, model=model,
                        watchlist=watchlist, watched_only=watched_only, offset=offset, limit=limit)
    if not rows:
        return rows
    with read_session(engine) as session:
        disputes = open_disagreements(session)
    disagreeing: dict[tuple[str | None, str | None], set[str]] = {}
    for found in disputes.values():
        disagreeing.setdefault((found.provider, found.model), set()).add(found.source)
    for row in rows:
        row["watched"] = watched((row["model"], row["key"]), watchlist)
        row["disagreeing_sources"] = sorted(disagreeing.get((row["provider"], row["model"]), ()))
    return rows
