"""Running the daemon's work: polls and maintenance jobs as tasks of our own.

The scheduler's job only starts our task and awaits it through `shield`:
APScheduler's shutdown cancels the futures it knows about, whereas SIGTERM must
let a poll finish its transaction, so `drain` waits for `inflight` itself.
Work starts only while this replica holds the lease, once at a time per key,
and remembers the lease epoch it started under; the fencing commit hook checks
that epoch inside the work's own transaction.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlmodel import Session

from watcher.app import App
from watcher.daemon import isolated, memory
from watcher.daemon.jobs import Job, summarize
from watcher.daemon.lease import Lease, LeaseLost
from watcher.daemon.metrics import Metrics
from watcher.errors import describe
from watcher.model import Document, Observation
from watcher.poll.fetch import Fetcher
from watcher.poll.pipeline import PollResult
from watcher.store.tables import ChangeRecord, Run

log = logging.getLogger("watcher.daemon")

# A ContextVar follows the work into its worker thread, where the commit happens.
_EPOCH: contextvars.ContextVar[int | None] = contextvars.ContextVar("lease_epoch", default=None)

Beside = Callable[..., Awaitable[Any]]


class Work:
    def __init__(self, lease: Lease, metrics: Metrics, beside: Beside) -> None:
        self.lease = lease
        self.metrics = metrics
        self._beside = beside  # runs a blocking call on the side threads, context kept
        self.inflight: dict[str, asyncio.Task[None]] = {}
        self.last_success: dict[str, dt.datetime] = {}
        self.stopping = False
        self.on_changes: Callable[[], None] = lambda: None  # a poll queued alerts
        self.on_written: Callable[[], None] = lambda: None  # history or the outbox moved
        self.on_fenced: Callable[[], None] = lambda: None  # the database says we lost the lease
        # One recording child at a time, as polls parsed on one worker thread before:
        # one catalog's worth of objects in memory at once, not five.
        self._recording = asyncio.Lock()

    async def spawn(self, key: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` as our own task, once at a time per key, only while leading."""
        if self.stopping or not self.lease.held or key in self.inflight:
            return
        epoch = self.lease.epoch

        async def fenced() -> None:
            _EPOCH.set(epoch)
            await work()

        task = asyncio.create_task(fenced(), name=key)
        self.inflight[key] = task
        task.add_done_callback(lambda _: self.inflight.pop(key, None))
        await asyncio.shield(task)

    async def drain(self, timeout: float) -> None:
        pending = list(self.inflight.values())
        if not pending:
            return
        log.info("draining %d in-flight job(s): %s", len(pending), ", ".join(self.inflight))
        _, late = await asyncio.wait(pending, timeout=timeout)
        for task in late:
            # Cancelling rolls back or never starts the transaction; a commit
            # already in its worker thread completes before the process exits.
            log.warning("drain: %s still running after %.0fs, cancelling it", task.get_name(), timeout)
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    def fence(self, session: Session, run: Run, records: Sequence[ChangeRecord],
              by_key: dict[str, Observation]) -> None:
        """Commit hook: work commits only under the lease epoch it started with."""
        self.lease.fence(session, _EPOCH.get())

    async def poll(self, app: App, fetcher: Fetcher, name: str) -> None:
        started = time.monotonic()
        result: PollResult | None = None
        try:
            result = await app.poll(name, fetcher, trigger="daemon",
                                    record_new=lambda source, doc, trigger: self._record_new(app, source, doc, trigger))
            outcome = result.outcome
        except LeaseLost as exc:
            outcome = "fenced"
            log.warning("poll %s: discarded, no longer the leader (%s)", name, exc)
            self.on_fenced()
        except Exception as exc:
            outcome = "error"
            log.error("poll %s: crashed: %s", name, describe(exc) or brief(exc))
            log.debug("poll %s traceback", name, exc_info=True)
        seconds = time.monotonic() - started
        self.metrics.observe_poll(result, name, outcome, seconds)
        if result is None:
            return
        if result.ok:
            self.last_success[name] = max(result.observed_at, self.last_success.get(name, result.observed_at))
        if result.changes:
            self.on_changes()
        # Every outcome is a run in history, a failure too: readiness and the
        # consecutive-failures gauge follow it at once, not at the next snapshot.
        self.on_written()
        # Every poll's commit hooks read across sources (disagreements: the catalogs' dated
        # rows): hand the pages back after every poll, not only after a parse.
        memory.release()
        level = logging.INFO if result.ok else logging.WARNING
        log.log(level, "poll %s: %s%s, %d change(s), %.2fs%s", name, result.outcome,
                f", {result.rows} rows" if result.rows is not None else "", len(result.changes), seconds,
                f" ({result.error})" if result.error else "")

    async def _record_new(self, app: App, source: str, doc: Document, trigger: str) -> PollResult:
        """A body to parse: recorded in a child process, under this work's lease epoch."""
        fence = isolated.Fence(holder=self.lease.holder, name=self.lease.name, seconds=self.lease.seconds,
                               epoch=_EPOCH.get())
        request = isolated.Request(db_url=app.db_url, settings=app.settings, source=source, document=doc,
                                   trigger=trigger, fence=fence, log_level=logging.getLogger().level,
                                   log_format=isolated.log_format())
        async with self._recording:
            return await isolated.record(request)

    async def maintenance(self, app: App, job: Job) -> None:
        started = time.monotonic()
        try:
            if inspect.iscoroutinefunction(job.run):
                outcome = await job.run(app, _now())
            else:
                outcome = await self._beside(job.run, app, _now())
        except LeaseLost as exc:
            self.metrics.jobs.labels(job.name, "fenced").inc()
            log.warning("job %s: discarded, no longer the leader (%s)", job.name, exc)
            self.on_fenced()
            return
        except Exception as exc:
            self.metrics.jobs.labels(job.name, "error").inc()
            log.error("job %s: failed: %s", job.name, describe(exc) or brief(exc))
            log.debug("job %s traceback", job.name, exc_info=True)
            return
        self.metrics.jobs.labels(job.name, "ok").inc()
        self.metrics.observe_job(outcome)
        if outcome is not None and getattr(outcome, "outcomes", None) != ():  # quiet when nothing was due
            self.on_written()
            log.info("job %s: %s (%.2fs)", job.name, summarize(outcome), time.monotonic() - started)


def brief(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
