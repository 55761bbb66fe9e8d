"""The web application: pages, feeds and the JSON API over one read-only engine.

FastAPI (on Starlette) because the daemon already runs an asyncio loop and uvicorn
serves an ASGI app on that same loop; SQLModel already brings pydantic, so the
OpenAPI document is generated from the response models instead of written by hand.
Database reads are plain `def` endpoints, which Starlette runs in its thread pool:
a slow query never holds up the daemon's loop.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from watcher.config import Settings
from watcher.web.context import WebContext
from watcher.web.lazy import StatusRoute


def create_app(engine: Engine, settings: Settings, *, official_sources: frozenset[str],
               clock: Callable[[], dt.datetime] | None = None,
               status_routes: Mapping[str, StatusRoute] | None = None) -> FastAPI:
    """The app. `status_routes` (the daemon's /metrics, /healthz, …) are answered on the
    event loop itself, so they still tell whether the loop is alive."""
    from watcher import __version__
    from watcher.web import api, feed_routes, pages

    app = FastAPI(title="Model Lifecycle Watcher", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json",
                  description="Read-only access to what the watcher knows: changes, models, shutdowns, sources.")
    app.state.web = WebContext(engine, settings, official_sources, **({"clock": clock} if clock else {}))
    app.include_router(api.router)
    app.include_router(feed_routes.router)
    app.include_router(pages.router)
    for path, handler in (status_routes or {}).items():
        app.add_api_route(path, _status_endpoint(handler), methods=["GET", "HEAD"], include_in_schema=False)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_html(request):
            return pages.error_page(request, exc.status_code, str(exc.detail))
        return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_query(request: Request, exc: RequestValidationError) -> Response:
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors())
        if _wants_html(request):
            return pages.error_page(request, 400, detail)
        return JSONResponse({"detail": detail}, status_code=400)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> Response:
        # A bug, not a bad request: the log gets the whole story, the reader one line.
        logging.getLogger("watcher.web").exception("%s %s failed", request.method, request.url.path)
        if _wants_html(request):
            return pages.error_page(request, 500, "Something went wrong on our side; the log says what.")
        return JSONResponse({"detail": "internal error; the server's log says what"}, status_code=500)

    return app


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith(("/api/", "/feeds/")))


def _status_endpoint(handler: StatusRoute) -> Callable[[], object]:
    async def endpoint() -> Response:  # async: runs on the loop, not in the thread pool
        status, body, content_type = handler()
        return Response(body, status_code=status, media_type=content_type)

    return endpoint
