"""The web application: pages, feeds and the JSON API over one read-only engine.

Starlette, because the daemon already runs an asyncio loop and uvicorn serves an
ASGI app on that same loop. Not FastAPI on top of it: its parameter machinery and
OpenAPI models cost the daemon ~6 MB resident (issue 13), and the few query
parameters here are read in watcher/web/context.py. SQLModel already brings
pydantic, so the OpenAPI document is generated from the response models
(watcher/web/openapi.py) instead of written by hand. Database reads are plain
`def` endpoints, run on the app's own reader threads: a slow query never holds up
the daemon's loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import ASGIApp

from watcher.config import Settings
from watcher.web.context import API_PREFIX, OPENAPI_PATH, WebContext
from watcher.web.lazy import LazyWebApp, StatusRoute

TITLE = "Model Lifecycle Watcher"
DESCRIPTION = "Read-only access to what the watcher knows: changes, models, shutdowns, sources."
# Page, feed and API reads at once; the daemon's engine opens up to 9 connections.
READER_THREADS = 4


def create_app(engine: Engine, settings: Settings, *, official_sources: frozenset[str],
               clock: Callable[[], dt.datetime] | None = None,
               status_routes: Mapping[str, StatusRoute] | None = None) -> Starlette:
    """The app. `status_routes` (the daemon's /metrics, /healthz, …) are answered on the
    event loop itself, so they still tell whether the loop is alive."""
    from watcher.web import feed_routes, pages

    readers = ThreadPoolExecutor(max_workers=READER_THREADS, thread_name_prefix="web")
    routes: list[BaseRoute] = [Mount(API_PREFIX, app=_api(readers))]
    routes += [Route(route.path, _off_loop(route.endpoint, readers)) for route in (*feed_routes.ROUTES, *pages.ROUTES)]
    routes += [Route(OPENAPI_PATH, _openapi_endpoint())]
    routes += [Route(path, _status_endpoint(handler), methods=["GET", "HEAD"])
               for path, handler in (status_routes or {}).items()]

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if _wants_html(request):
            return pages.error_page(request, exc.status_code, str(exc.detail))
        return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    async def bug(request: Request, exc: Exception) -> Response:
        # A bug, not a bad request: the log gets the whole story, the reader one line.
        logging.getLogger("watcher.web").error("%s %s failed", request.method, request.url.path, exc_info=exc)
        if _wants_html(request):
            return pages.error_page(request, 500, "Something went wrong on our side; the log says what.")
        return JSONResponse({"detail": "internal error; the server's log says what"}, status_code=500)

    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {HTTPException: http_error,
                                                                                Exception: bug}
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.state.web = WebContext(engine, settings, official_sources, **({"clock": clock} if clock else {}))
    return app


def _api(readers: Executor) -> ASGIApp:
    """The JSON API's routes, built on its first call: its module and pydantic response
    models cost 0.7 MB resident that a daemon whose page is read but whose API is not
    need never pay (issue 15). Built off the loop, once, as the daemon's page app is."""

    def build() -> Router:
        from watcher.web import api

        return Router(routes=[Route(op.path, _off_loop(op.endpoint, readers)) for op in api.OPERATIONS])

    return LazyWebApp(build, {})


def _off_loop(endpoint: Callable[[Request], Response], readers: Executor) -> Callable[[Request], Awaitable[Response]]:
    """`endpoint` (it reads the database) run on the app's reader threads, never on the loop.

    Starlette would run a plain `def` endpoint in AnyIO's thread pool, whose asyncio
    backend costs a daemon 0.9 MB resident for its life (issue 13); the loop's own
    executor does the same job with what the daemon has already loaded."""

    @functools.wraps(endpoint)
    async def run(request: Request) -> Response:
        context = contextvars.copy_context()  # as Starlette's pool would: the caller's context vars
        return await asyncio.get_running_loop().run_in_executor(readers, context.run, endpoint, request)

    return run


def _wants_html(request: Request) -> bool:
    from watcher.web.pages import base_path  # loaded with the app already

    # The path within the app: behind a reverse proxy's prefix, /w/api/… is still the API.
    path = request.url.path.removeprefix(base_path(request))
    return not (path.startswith(("/api/", "/feeds/")))


def _openapi_endpoint() -> Callable[[Request], Awaitable[Response]]:
    served: list[bytes] = []

    async def endpoint(request: Request) -> Response:
        if not served:
            import json

            from watcher import __version__
            from watcher.web.openapi import document

            served.append(json.dumps(document(title=TITLE, version=__version__, description=DESCRIPTION),
                                     separators=(",", ":")).encode())
        return Response(served[0], media_type="application/json")

    return endpoint


def _status_endpoint(handler: StatusRoute) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:  # async: runs on the loop, not in the thread pool
        status, body, content_type = handler()
        return Response(body, status_code=status, media_type=content_type)

    return endpoint
