"""The JSON API: the query commands (`changes`, `show`, `upcoming`, `history`, `asof`,
`sources`) over HTTP, with the rows `--format json` prints and a schema version."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request

from watcher.durations import parse_time
from watcher.store import readers
from watcher.web.context import (
    Many,
    bad_request,
    change_filter,
    checked_sources,
    model_views,
    web_context,
    within,
)
from watcher.web.schemas import (
    AsofOut,
    ChangesOut,
    HistoryOut,
    ModelOut,
    Problem,
    SourcesOut,
    UpcomingOut,
)
from watcher.web.sources_view import source_rows
from watcher.web.timeline import upcoming_shutdowns

router = APIRouter(prefix="/api/v1", tags=["api"], responses={400: {"model": Problem}})




@router.get("/changes", response_model=ChangesOut, summary="Detected changes, newest first")
def api_changes(request: Request, source: Many = [], provider: Many = [], model: str | None = None,  # noqa: B006
                kind: Many = [], severity: Many = [], since: str | None = None,  # noqa: B006
                until: str | None = None, offset: Annotated[int, Query(ge=0)] = 0,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> ChangesOut:
    ctx = web_context(request)
    flt = change_filter(ctx, source=source, provider=provider, model=model, kind=kind, severity=severity,
                        since=since, until=until)
    page = readers.recent_changes(ctx.engine, flt, offset=offset, limit=limit)
    return ChangesOut.model_validate({"changes": page.rows,
                                      "next_offset": offset + limit if page.more else None})


@router.get("/models/{model:path}", response_model=ModelOut, summary="What every source says now about a model",
            responses={404: {"model": Problem}})
def api_model(request: Request, model: str) -> ModelOut:
    views = model_views(web_context(request), model)
    for view in views:
        view.pop("history", None)
    return ModelOut.model_validate({"models": views})


@router.get("/upcoming", response_model=UpcomingOut, summary="Shutdowns ahead, watched models first")
def api_upcoming(request: Request, within_: Annotated[str, Query(alias="within")] = "90d",
                 source: Many = [], model: str | None = None, offset: Annotated[int, Query(ge=0)] = 0,  # noqa: B006
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> UpcomingOut:
    ctx = web_context(request)
    rows = upcoming_shutdowns(ctx.engine, today=ctx.today(), within=within(within_),
                              watchlist=ctx.settings.watchlist, sources=checked_sources(ctx, source),
                              model=model, offset=offset, limit=limit + 1)
    return UpcomingOut.model_validate({"today": ctx.today().isoformat(), "upcoming": rows[:limit],
                                       "next_offset": offset + limit if len(rows) > limit else None})


@router.get("/history/{model:path}", response_model=HistoryOut, summary="Every version of a model's facts")
def api_history(request: Request, model: str) -> HistoryOut:
    rows = readers.model_history(web_context(request).engine, model)
    return HistoryOut.model_validate({"model": model, "history": rows})


@router.get("/asof", response_model=AsofOut, summary="The catalog as it was at a time")
def api_asof(request: Request, at: str, source: Many = [], model: str | None = None) -> AsofOut:  # noqa: B006
    ctx = web_context(request)
    try:
        when = parse_time(at)
    except ValueError as exc:
        raise bad_request(f"at: {exc}") from None
    rows = readers.catalog_asof(ctx.engine, when, sources=checked_sources(ctx, source), model=model)
    return AsofOut.model_validate({"at": when.astimezone(dt.UTC).isoformat(), "rows": rows})


@router.get("/sources", response_model=SourcesOut, summary="Configured sources, schedule and health")
def api_sources(request: Request) -> SourcesOut:
    return SourcesOut.model_validate({"sources": source_rows(web_context(request))})
