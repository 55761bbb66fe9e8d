"""Serving the web app with uvicorn: on its own (`watcher serve`) or inside the
daemon's event loop, on its `[daemon] listen` address beside /metrics and /healthz."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

log = logging.getLogger(__name__)


def _config(app: Any, host: str, port: int, root_path: str = "") -> Any:
    import uvicorn

    # Our own logging stays in charge (journald priorities, redaction): uvicorn's is off.
    return uvicorn.Config(app, host=host, port=port, root_path=root_path, log_config=None, access_log=False,
                          server_header=False, proxy_headers=True, forwarded_allow_ips="127.0.0.1",
                          lifespan="off", timeout_graceful_shutdown=5)


class WebServer:
    """uvicorn on the caller's loop: `start()` returns once it listens, `close()` stops it."""

    def __init__(self, app: Any, host: str, port: int, root_path: str = "") -> None:
        import uvicorn

        self.server = uvicorn.Server(_config(app, host, port, root_path))
        self.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # the daemon owns signals
        self.host, self.port = host, port
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None

    async def start(self) -> str:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))  # binding here makes "address in use" an error at start-up
        sock.listen(128)
        sock.setblocking(False)
        self._socket = sock
        self._task = asyncio.get_running_loop().create_task(self.server.serve(sockets=[sock]))
        while not self.server.started:
            if self._task.done():
                self._task.result()
                raise OSError(f"web server on {self.host}:{self.port} stopped at start-up")
            await asyncio.sleep(0.01)
        host, port = sock.getsockname()[:2]
        return f"http://{host if ':' not in host else f'[{host}]'}:{port}"

    async def close(self) -> None:
        if self._task is not None:
            self.server.should_exit = True
            await self._task
        if self._socket is not None:
            self._socket.close()


def serve_forever(app: Any, host: str, port: int, root_path: str = "") -> None:
    """Blocking: `watcher serve`. Ctrl-C or SIGTERM stops it cleanly."""
    import uvicorn

    uvicorn.Server(_config(app, host, port, root_path)).run()
