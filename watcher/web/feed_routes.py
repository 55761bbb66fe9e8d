"""The feed endpoints: changes as Atom (the page's filters apply), shutdowns as iCalendar."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from watcher.store import readers
from watcher.web import feeds
from watcher.web.context import Many, change_filter, web_context, within
from watcher.web.pages import base_path
from watcher.web.timeline import upcoming_shutdowns

router = APIRouter(prefix="/feeds", include_in_schema=False)
FEED_SIZE = 100




def _absolute_base(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}{base_path(request)}"


@router.get("/changes.atom")
def changes_atom(request: Request, source: Many = [], provider: Many = [], model: str | None = None,  # noqa: B006
                 kind: Many = [], severity: Many = []) -> Response:  # noqa: B006
    ctx = web_context(request)
    flt = change_filter(ctx, source=source, provider=provider, model=model, kind=kind, severity=severity)
    page = readers.recent_changes(ctx.engine, flt, limit=FEED_SIZE)
    title = "Model changes" + (f": {model}" if model else "")
    body = feeds.atom(page.rows, base=_absolute_base(request), self_url=str(request.url), title=title,
                      now=ctx.clock())
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.get("/shutdowns.ics")
def shutdowns_ics(request: Request, model: str | None = None,
                  within_: Annotated[str, Query(alias="within")] = "730d") -> Response:
    """One event per model: `?model=glob`, else the watchlist's models (every model with
    a shutdown ahead when the watchlist is empty)."""
    ctx = web_context(request)
    rows = upcoming_shutdowns(ctx.engine, today=ctx.today(), within=within(within_),
                              watchlist=ctx.settings.watchlist, model=model or None,
                              watched_only=not model and bool(ctx.settings.watchlist))
    revisions = readers.shutdown_revisions(ctx.engine, rows)
    for row in rows:
        count, last = revisions.get((row["source"], row["key"]), (0, None))
        row["revision"], row["valid_from"] = count, last
    items = feeds.shutdowns_from_rows(rows, ctx.official_sources)
    body = feeds.calendar(items, base=_absolute_base(request), reminder_days=ctx.settings.alerts.reminder_days,
                          now=ctx.clock())
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="shutdowns.ics"'})

