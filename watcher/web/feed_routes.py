"""The feed endpoints: changes as Atom (the page's filters apply), shutdowns as iCalendar."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from watcher.store import readers
from watcher.web import feeds
from watcher.web.context import change_filter, many, text, web_context, within
from watcher.web.pages import base_path
from watcher.web.timeline import upcoming_shutdowns

FEED_SIZE = 100


def _absolute_base(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}{base_path(request)}"


def changes_atom(request: Request) -> Response:
    ctx = web_context(request)
    model = text(request, "model")
    flt = change_filter(ctx, source=many(request, "source"), provider=many(request, "provider"), model=model,
                        kind=many(request, "kind"), severity=many(request, "severity"))
    page = readers.recent_changes(ctx.engine, flt, limit=FEED_SIZE)
    title = "Model changes" + (f": {model}" if model else "")
    body = feeds.atom(page.rows, base=_absolute_base(request), self_url=str(request.url), title=title,
                      now=ctx.clock())
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def shutdowns_ics(request: Request) -> Response:
    """One event per model: `?model=glob`, else the watchlist's models (every model with
    a shutdown ahead when the watchlist is empty)."""
    ctx = web_context(request)
    model = text(request, "model")
    rows = upcoming_shutdowns(ctx.engine, today=ctx.today(), within=within(text(request, "within", "730d") or ""),
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


ROUTES = [Route("/feeds/changes.atom", changes_atom), Route("/feeds/shutdowns.ics", shutdowns_ics)]
