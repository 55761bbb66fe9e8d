"""The read-only pages, rendered on the server with Jinja2 (autoescaping on: every
scraped string reaches the browser as text, never as markup). No JavaScript is
needed; filters are plain GET forms, so every view has a URL to share."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from watcher.store import readers
from watcher.web.context import KINDS, SEVERITIES, change_filter, many, model_views, number, text, web_context, within
from watcher.web.prices import human_price
from watcher.web.sources_view import source_rows
from watcher.web.timeline import upcoming_shutdowns

PAGE_SIZE = 50
TIMELINE_ROWS = 100  # a page of the timeline: watched first, then the soonest

_templates = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                         autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)



def when(value: str | None) -> str:
    """`2026-06-26T00:00:00Z` -> `2026-06-26 00:00` (UTC, as the footer says); `—` for never."""
    if not value:
        return "—"
    return value.replace("T", " ")[:16]


def replacement(value: str | None) -> str:
    """OpenAI's `---` is an explicit "no replacement", not a model called ---."""
    return "none (stated)" if value == "---" else value or ""


_templates.filters["when"] = when
_templates.filters["replacement"] = replacement



def base_path(request: Request) -> str:
    """The prefix the app is served under (a reverse proxy's root_path), without a trailing slash."""
    # app_root_path: the app's own, which a Mount (the API's) leaves as it was while it
    # adds its own prefix to root_path.
    scope = request.scope
    return str(scope.get("app_root_path", scope.get("root_path", ""))).rstrip("/")


def render(request: Request, template: str, **values: Any) -> HTMLResponse:
    base = base_path(request)
    ctx = web_context(request)
    html = _templates.get_template(template).render(
        base=base, today=ctx.today().isoformat(),
        model_url=lambda model: f"{base}/models/{quote(model, safe='')}", **values)
    return HTMLResponse(html)


def _prices(prices: Any) -> list[str]:
    if isinstance(prices, str):  # history rows carry the stored JSON text
        import json

        try:
            prices = json.loads(prices)
        except ValueError:
            return [prices]
    if not isinstance(prices, dict):
        return []
    return [human_price(str(key), str(value)) for key, value in sorted(prices.items())]


def upcoming_page(request: Request) -> HTMLResponse:
    ctx = web_context(request)
    model, within_ = text(request, "model"), text(request, "within", "180d") or ""
    page = number(request, "page", 1, low=1)
    rows = upcoming_shutdowns(ctx.engine, today=ctx.today(), within=within(within_), watchlist=ctx.settings.watchlist,
                              model=model or None, offset=(page - 1) * TIMELINE_ROWS, limit=TIMELINE_ROWS + 1)
    base = base_path(request)

    def link(to_page: int) -> str:
        query = urlencode({k: v for k, v in {"model": model or "", "within": within_, "page": to_page}.items() if v})
        return f"{base}/?{query}"

    return render(request, "upcoming.html", page="upcoming", title="Upcoming shutdowns", rows=rows[:TIMELINE_ROWS],
                  within=within_, model=model, prev_url=link(page - 1) if page > 1 else None,
                  next_url=link(page + 1) if len(rows) > TIMELINE_ROWS else None)


def changes_page(request: Request) -> HTMLResponse:
    ctx = web_context(request)
    source, provider, model = many(request, "source"), many(request, "provider"), text(request, "model")
    kind, severity, page = many(request, "kind"), many(request, "severity"), number(request, "page", 1, low=1)
    flt = change_filter(ctx, source=source, provider=provider, model=model, kind=kind, severity=severity)
    result = readers.recent_changes(ctx.engine, flt, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    kept = {"source": [s for s in source if s], "provider": [p for p in provider if p], "model": model or "",
            "kind": [k for k in kind if k], "severity": [s for s in severity if s]}
    base = base_path(request)

    def link(to_page: int) -> str:
        query = urlencode({k: v for k, v in {**kept, "page": to_page}.items() if v}, doseq=True)
        return f"{base}/changes?{query}"

    feed_query = urlencode({k: v for k, v in kept.items() if v}, doseq=True)
    return render(request, "changes.html", page="changes", title="Recent changes", rows=result.rows,
                  f=kept, kinds=KINDS, severities=SEVERITIES, source_names=ctx.source_names,
                  prev_url=link(page - 1) if page > 1 else None, next_url=link(page + 1) if result.more else None,
                  feed_url=f"{base}/feeds/changes.atom" + (f"?{feed_query}" if feed_query else ""))


def model_page(request: Request) -> HTMLResponse:
    model = request.path_params["model"]
    views = model_views(web_context(request), model)
    for view in views:
        for row in view["sources"]:
            row["human_prices"] = _prices(row["prices"])
        for row in view["history"]:
            row["human_prices"] = _prices(row["prices"])
    return render(request, "model.html", page="model", title=model, views=views)


def sources_page(request: Request) -> HTMLResponse:
    return render(request, "sources.html", page="sources", title="Sources", rows=source_rows(web_context(request)))


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    titles = {400: "Bad request", 404: "Not found", 500: "Internal error"}
    response = render(request, "error.html", page="error", title=titles.get(status, "Error"), detail=detail)
    response.status_code = status
    return response


ROUTES = [Route("/", upcoming_page), Route("/changes", changes_page), Route("/models/{model:path}", model_page),
          Route("/sources", sources_page)]
