"""A tiny HTTP/1.0-style server on the daemon's own event loop, for /metrics and health.

Why not prometheus_client's threaded server: /healthz must say whether *the
event loop* is alive, and a handler on that loop can only answer when it is
(a server thread would happily report "ok" from a wedged process). It also
needs no locking around daemon state and stops with the daemon. Requests are
GET/HEAD only, one per connection, headers capped and timed out, so a stray
client cannot tie the loop up.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Final

log = logging.getLogger(__name__)

_MAX_HEADER_BYTES: Final = 16_384
_READ_TIMEOUT: Final = 5.0


@dataclasses.dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"


Handler = Callable[[], Reply]


def parse_listen(listen: str) -> tuple[str, int]:
    """`127.0.0.1:9464`, `[::1]:9464` or `localhost:0` -> (host, port)."""
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"daemon.listen: expected HOST:PORT, got {listen!r}")
    return host.strip("[]"), int(port)


class StatusServer:
    def __init__(self, listen: str, routes: Mapping[str, Handler]) -> None:
        self.host, self.port = parse_listen(listen)
        self.routes = routes
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=_MAX_HEADER_BYTES)
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host if ':' not in host else f'[{host}]'}:{port}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(_READ_TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
            method, path = _request_line(head)
            handler = self.routes.get(path.split("?", 1)[0])
            if method not in ("GET", "HEAD"):
                reply = Reply(HTTPStatus.METHOD_NOT_ALLOWED, b"GET only\n")
            elif handler is None:
                reply = Reply(HTTPStatus.NOT_FOUND, b"not found: try /metrics, /livez, /readyz or /healthz\n")
            else:
                reply = handler()
            writer.write(_response(reply, head_only=method == "HEAD"))
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass  # a client that cannot send a request gets nothing
        except Exception:
            log.exception("status server: handler failed")
            writer.write(_response(Reply(HTTPStatus.INTERNAL_SERVER_ERROR, b"internal error\n"), head_only=False))
        finally:
            writer.close()


def _request_line(head: bytes) -> tuple[str, str]:
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split()
    if len(parts) != 3:
        raise ValueError("bad request line")
    return parts[0], parts[1]


def _response(reply: Reply, *, head_only: bool) -> bytes:
    reason = HTTPStatus(reply.status).phrase
    head = (f"HTTP/1.1 {reply.status} {reason}\r\nContent-Type: {reply.content_type}\r\n"
            f"Content-Length: {len(reply.body)}\r\nConnection: close\r\n\r\n").encode("latin-1")
    return head if head_only else head + reply.body
