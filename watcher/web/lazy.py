"""The daemon's web app, built on the first request that needs it.

Starlette, uvicorn's HTTP machinery, Jinja2 and the page modules cost the daemon
about 10 MB resident; most daemons answer /metrics and /healthz all their life
and never serve a page. So the daemon listens with this small ASGI app: it
answers the status routes itself, on the event loop (so they still tell whether
the loop is alive), and builds the real app, in a worker thread so the loop
keeps answering, when the first other request arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

StatusRoute = Callable[[], tuple[int, bytes, str]]  # status, body, content type
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class LazyWebApp:
    def __init__(self, build: Callable[[], ASGIApp], status_routes: Mapping[str, StatusRoute]) -> None:
        self._build = build
        self._status = dict(status_routes)
        self._app: ASGIApp | None = None
        self._lock = asyncio.Lock()

    @property
    def built(self) -> bool:
        return self._app is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self._status.get(scope.get("path", "")) if scope["type"] == "http" else None
        if handler is not None and scope["method"] in ("GET", "HEAD"):
            status, body, content_type = handler()
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", content_type.encode("latin-1")),
                                    (b"content-length", str(len(body)).encode("ascii"))]})
            await send({"type": "http.response.body", "body": body if scope["method"] == "GET" else b""})
            return
        app = await self._built_app()
        await app(scope, receive, send)

    async def _built_app(self) -> ASGIApp:
        if self._app is None:
            async with self._lock:
                if self._app is None:
                    self._app = await asyncio.to_thread(self._build)
        return self._app
