"""A new body is parsed, diffed and recorded in a short-lived child process.

Parsing a 2 MB catalog builds tens of megabytes of objects. Freed, they leave
the heap fragmented, and a months-long daemon kept that peak: 99 MB after a
simulated day of LiteLLM releases, 75 MB of it heap (issue 13). A child that
exits after one poll gives all of it back to the kernel, so the daemon stays at
what its imports cost. The child runs the same `Poller.record_document` the
daemon ran on its worker thread: one transaction, the same commit hooks, and
the lease fence with the epoch the poll started under. A body the source last
believed (nothing to parse), a 304 and a failed fetch stay in the daemon.

The child ignores SIGTERM and SIGINT: the daemon drains it as it drained a poll
on its thread, and a child killed outright rolls its transaction back.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import pickle
import signal
import sys
from typing import Final

from watcher.config import Settings
from watcher.daemon.boot import command, environment
from watcher.logs import JsonFormatter
from watcher.model import Document
from watcher.poll.pipeline import PollResult

log = logging.getLogger("watcher.daemon")

_OK: Final = "ok"
_RAISED: Final = "raised"


class ChildFailed(RuntimeError):
    """The recording child died without an answer (killed, out of memory, a crash)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Fence:
    """The lease the poll must still hold at commit (lease.Lease.fence, in the child)."""

    holder: str
    name: str
    seconds: int
    epoch: int | None


@dataclasses.dataclass(frozen=True, slots=True)
class Request:
    db_url: str
    settings: Settings
    source: str
    document: Document
    trigger: str
    fence: Fence | None
    log_level: int
    log_format: str


async def record(request: Request) -> PollResult:
    """Record `request.document` in a child process; its PollResult, or what it raised."""
    child = await asyncio.create_subprocess_exec(
        *command("record"), env=environment(), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    out, _ = await child.communicate(pickle.dumps(request, pickle.HIGHEST_PROTOCOL))
    if child.returncode != 0 or not out:
        raise ChildFailed(f"the child recording {request.source} exited with {child.returncode}")
    status, value = pickle.loads(out)
    if status == _RAISED:
        assert isinstance(value, BaseException)
        raise value
    assert isinstance(value, PollResult)
    return value


def log_format() -> str:
    """The daemon's log format, for the child's lines to match."""
    handlers = logging.getLogger().handlers
    return "json" if any(isinstance(h.formatter, JsonFormatter) for h in handlers) else "text"


def main() -> None:
    """The child: read a Request on stdin, write (status, value) on stdout, exit."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    answer = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but the answer on stdout
    request = pickle.loads(sys.stdin.buffer.read())
    assert isinstance(request, Request)
    from watcher.logs import setup_logging

    setup_logging(request.log_level, request.settings.secrets(), request.log_format)
    try:
        reply: tuple[str, object] = (_OK, _record(request))
        payload = pickle.dumps(reply, pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        try:
            payload = pickle.dumps((_RAISED, exc), pickle.HIGHEST_PROTOCOL)
        except Exception:
            payload = pickle.dumps((_RAISED, RuntimeError(f"{type(exc).__name__}: {exc}")))
    answer.write(payload)
    answer.flush()


def _record(request: Request) -> PollResult:
    from watcher.app import App
    from watcher.daemon.lease import Lease
    from watcher.store.engine import make_engine

    app = App.create(request.settings, request.db_url)
    engine = make_engine(app.db_url, pool_size=1, max_overflow=0)
    app.engine = engine  # the daemon checked the schema; seeds App's cached property
    fence = request.fence
    if fence is not None:
        lease = Lease(engine, fence.seconds, holder=fence.holder, name=fence.name)
        app.hooks = (*app.hooks, lambda session, *_: lease.fence(session, fence.epoch))
    try:
        return app.poller.record_document(app.source(request.source), app.source_settings(request.source),
                                          request.document, trigger=request.trigger)
    finally:
        engine.dispose()
