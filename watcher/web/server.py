"""Serving the web app with uvicorn: on its own (`watcher serve`) or inside the
daemon's event loop, on its `[daemon] listen` address beside /metrics and /healthz."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)


def _config(app: Any, host: str, port: int, root_path: str = "") -> Any:
    import uvicorn

    # Our own logging stays in charge (journald priorities, redaction): uvicorn's is off.
    # No WebSocket routes: ws="none" keeps a websockets library installed beside us unloaded.
    return uvicorn.Config(app, host=host, port=port, root_path=root_path, log_config=None, access_log=False,
                          server_header=False, proxy_headers=True, forwarded_allow_ips="127.0.0.1",
                          lifespan="off", ws="none", timeout_graceful_shutdown=5)


def _server(config: Any) -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn that leaves signals to its host: the daemon drains on SIGTERM, and
        `watcher serve` exits 0 on it (uvicorn's own handling re-raises the signal)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return Server(config)


class WebServer:
    """uvicorn on the caller's loop: `start()` returns once it listens, `close()` stops it."""

    def __init__(self, app: Any, host: str, port: int, root_path: str = "") -> None:
        self.server = _server(_config(app, host, port, root_path))
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
    """Blocking: `watcher serve`. Raises OSError when it cannot listen; Ctrl-C or SIGTERM
    stops it cleanly (exit 0)."""

    async def main() -> None:
        web = WebServer(app, host, port, root_path)
        base = await web.start()
        log.info("serving %s%s (read-only); Ctrl-C stops", base, root_path)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await web.close()

    asyncio.run(main())
