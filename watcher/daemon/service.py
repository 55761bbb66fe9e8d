"""`watcher run`: the long-running service.

One asyncio loop holds everything: the APScheduler `AsyncIOScheduler` (its
in-memory job store rebuilt from config at start and on SIGHUP), the leader
lease, the periodic database snapshot, the status HTTP server and the systemd
watchdog. Database work happens in worker threads so none of those stall.

Every job (poll or maintenance) runs as a task of our own, tracked in
`_inflight`, that the scheduler's job awaits through `shield`: APScheduler's
shutdown cancels the futures it knows about, and SIGTERM must instead let
in-flight polls finish their transaction. Only the lease holder runs jobs;
each runs with the epoch it started under, and the poll's commit hook fences
on it (see lease.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import datetime as dt
import functools
import inspect
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine
from sqlmodel import Session

from watcher.app import App, UsageError
from watcher.config import ConfigError, Settings, load
from watcher.daemon import health, memory, snapshot
from watcher.daemon.http import Reply, StatusServer
from watcher.daemon.jobs import DELIVER, Job, maintenance, summarize
from watcher.daemon.lease import Lease, LeaseLost
from watcher.daemon.metrics import CONTENT_TYPE, Metrics
from watcher.daemon.notify import Notifier
from watcher.daemon.schedule import UTC, Plan, plan
from watcher.errors import describe
from watcher.fetch import Fetcher
from watcher.logs import RedactingFilter
from watcher.model import Observation
from watcher.pipeline import PollResult
from watcher.store.engine import make_engine
from watcher.store.migrate import ensure_schema
from watcher.store.tables import ChangeRecord, Run

log = logging.getLogger("watcher.daemon")

DRAIN_TIMEOUT: Final = 60.0  # seconds; systemd's TimeoutStopSec (90 s) leaves room for the rest
SNAPSHOT_EVERY: Final = 10.0
SNAPSHOT_STALE: Final = 60.0
_PARSED: Final = frozenset({"baseline", "changed", "refused"})  # outcomes that parsed a body  # /healthz fails when the database could not be read for this long

# The lease epoch a job started under, read by the fencing commit hook. A
# ContextVar follows the job into its worker thread, where the commit happens.
_T = TypeVar("_T")
_EPOCH: contextvars.ContextVar[int | None] = contextvars.ContextVar("lease_epoch", default=None)


@dataclasses.dataclass
class Config:
    """Everything a reload may replace, swapped as one."""

    settings: Settings
    app: App
    plans: dict[str, Plan]
    jobs: dict[str, Job]


class Daemon:
    def __init__(self, settings: Settings, *, config_path: Path | None, db: str | None,
                 redactor: RedactingFilter | None = None, notifier: Notifier | None = None) -> None:
        self._config_path = config_path
        self._db = db
        self._redactor = redactor
        self.notifier = notifier or Notifier()
        self.metrics = Metrics()
        self.started_at = _now()
        self._initial = settings
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._background: list[asyncio.Task[None]] = []
        self._last_success: dict[str, dt.datetime] = {}
        self._snapshot_at = time.monotonic()
        self._stopping = False
        self._reload_lock = asyncio.Lock()
        self._retired_fetchers: list[Fetcher] = []
        self._http: StatusServer | None = None

    # --- life cycle ----------------------------------------------------------------------

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        # Polls do their parsing and database work one at a time, on the default
        # executor's single thread (fetches still overlap): one catalog's worth
        # of objects in memory at once, not five, and one malloc arena. Lease,
        # snapshots and maintenance (a slow SMTP send) run beside them.
        loop.set_default_executor(ThreadPoolExecutor(max_workers=1, thread_name_prefix="poll"))
        self._side = ThreadPoolExecutor(max_workers=4, thread_name_prefix="side")
        self._stop = asyncio.Event()
        self._lease_kick = asyncio.Event()
        self.config = await self._configure(self._initial)
        engine = await self._beside(self._open_database, self.config.app)
        self.db_url = self.config.app.db_url
        self.lease = Lease(engine, self.config.settings.daemon.lease_seconds)
        self.fetcher = Fetcher(self.config.settings.fetch)
        self.scheduler = AsyncIOScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})

        for sig, why in ((signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT")):
            loop.add_signal_handler(sig, self._request_stop, why)
        loop.add_signal_handler(signal.SIGHUP, self._request_reload)

        await self._refresh_snapshot()
        await self._lease_round()  # know whether we lead before the first job fires
        await self._install(self.config, previous=None)
        self.scheduler.start()
        self._background += [asyncio.create_task(self._lease_loop(), name="lease"),
                             asyncio.create_task(self._snapshot_loop(), name="snapshot")]
        if self.notifier.watchdog_interval:
            self._background.append(asyncio.create_task(self._watchdog_loop(), name="watchdog"))
        await self._start_http(self.config.settings)
        log.info("running: %d sources (%s), %s, database %s", len(self.config.plans),
                 ", ".join(self.config.plans), self._role(), _redacted(self.db_url))
        self.notifier.ready(self._status())

        await self._stop.wait()
        await self._shutdown()
        return 0

    @staticmethod
    def _open_database(app: App) -> Engine:
        """The daemon's engine: one pooled connection, the rest opened when needed and
        closed after, since each idle SQLite connection keeps its own page cache."""
        engine = make_engine(app.db_url, pool_size=1, max_overflow=8)
        ensure_schema(engine)  # creates the schema on an empty database, refuses an outdated one
        app.engine = engine  # seeds App's cached property
        return engine

    async def _beside(self, fn: Callable[..., _T], *args: Any) -> _T:
        """Run blocking `fn` on the side threads, with this task's context (the lease epoch)."""
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self._side, functools.partial(context.run, fn, *args))

    def _request_stop(self, why: str) -> None:
        if not self._stopping:
            log.info("%s: stopping after in-flight work", why)
            self._stopping = True
            self._stop.set()

    async def _shutdown(self) -> None:
        self.notifier.stopping()
        self.scheduler.pause()  # nothing new starts; what runs, finishes
        pending = list(self._inflight.values())
        if pending:
            log.info("draining %d in-flight job(s): %s", len(pending), ", ".join(self._inflight))
            _, late = await asyncio.wait(pending, timeout=DRAIN_TIMEOUT)
            for task in late:
                # Cancelling rolls back or never starts the transaction; a commit
                # already in its worker thread completes before the process exits.
                log.warning("drain: %s still running after %.0fs, cancelling it", task.get_name(), DRAIN_TIMEOUT)
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        self.scheduler.shutdown(wait=False)
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        try:
            await self._beside(self.lease.release)
        except Exception as exc:  # noqa: BLE001 - the lease expires on its own anyway
            log.warning("could not release the lease: %s", _brief(exc))
        if self._http is not None:
            await self._http.close()
        for fetcher in (self.fetcher, *self._retired_fetchers):
            await fetcher.aclose()
        self._side.shutdown(wait=True)
        self.config.app.engine.dispose()
        log.info("stopped")

    # --- configuration -------------------------------------------------------------------

    async def _configure(self, settings: Settings) -> Config:
        """Validate `settings` completely (raising ConfigError/UsageError) and build what runs it."""
        app = App.create(settings, self._db)
        app.hooks = (*app.hooks, self._fence)
        now = _now()
        plans: dict[str, Plan] = {}
        for name in app.enabled_sources():
            try:
                app.source(name)  # the parser loads, the URLs are valid
            except UsageError:
                raise
            except Exception as exc:  # noqa: BLE001 - a source that cannot load is a config problem
                raise ConfigError(f"sources.{name}: cannot load the source: {_brief(exc)}") from None
            plans[name] = plan(settings.sources[name], now)
        jobs = {job.name: job for job in maintenance(settings, now)}
        return Config(settings=settings, app=app, plans=plans, jobs=jobs)

    def _request_reload(self) -> None:
        if not self._stopping:
            asyncio.get_running_loop().create_task(self._reload(), name="reload")

    async def _reload(self) -> None:
        async with self._reload_lock:
            self.notifier.reloading()
            where = self._config_path or "./config.toml"
            try:
                settings = await self._beside(load, self._config_path)
                new = await self._configure(settings)
                if new.app.db_url != self.db_url:
                    raise ConfigError("storage.url: changing the database needs a restart")
            except (ConfigError, UsageError) as exc:
                log.error("reload of %s rejected, still running the previous configuration: %s", where, exc)
                self.notifier.ready(self._status())
                return
            new.app.engine = self.config.app.engine  # same database: keep the pool (seeds the cached property)
            old, self.config = self.config, new
            if self._redactor is not None:
                self._redactor.secrets = list({*self._redactor.secrets, *settings.secrets()})
            if settings.fetch != old.settings.fetch:
                self._retired_fetchers.append(self.fetcher)  # in-flight polls still use it
                self.fetcher = Fetcher(settings.fetch)
            self.lease.seconds = settings.daemon.lease_seconds
            if settings.daemon.listen != old.settings.daemon.listen:
                log.warning("daemon.listen changed: takes effect at the next restart")
            summary = await self._install(new, previous=old)
            log.info("configuration reloaded from %s: %s", where, summary)
            self.notifier.ready(self._status())

    # --- scheduling ----------------------------------------------------------------------

    async def _install(self, new: Config, previous: Config | None) -> str:
        """Make the job store match `new`: add, drop and reschedule; keep untouched jobs' phase."""
        last_runs = await self._beside(snapshot.last_runs, new.app.engine)
        now = _now()
        old_plans = previous.plans if previous else {}
        added = [n for n in new.plans if n not in old_plans]
        removed = [n for n in old_plans if n not in new.plans]
        changed = [n for n in new.plans if n in old_plans and new.plans[n].describe() != old_plans[n].describe()]
        for name in removed:
            self.scheduler.remove_job(_source_id(name))
        for name in (*added, *changed):
            self._add_source_job(new.plans[name], last_runs.get(name), now)
        old_jobs = previous.jobs if previous else {}
        for name, job in old_jobs.items():
            if name not in new.jobs:
                self.scheduler.remove_job(_job_id(name))
        for name, job in new.jobs.items():
            if name not in old_jobs or not job.same_schedule(old_jobs[name]):
                self.scheduler.add_job(self._maintenance_job, job.trigger, args=[name], id=_job_id(name),
                                       name=name, misfire_grace_time=job.misfire_grace_time, replace_existing=True)
        self.metrics.known_sources(new.plans)
        for name in added + changed:
            log.info("source %s: %s", name, new.plans[name].describe())
        return "; ".join(f"{what}: {', '.join(names) or '-'}"
                         for what, names in (("added", added), ("removed", removed), ("rescheduled", changed)))

    def _add_source_job(self, source_plan: Plan, last_run: dt.datetime | None, now: dt.datetime) -> None:
        due = source_plan.due(last_run, now)
        extra: dict[str, Any] = {"next_run_time": due} if due is not None else {}
        self.scheduler.add_job(self._source_job, source_plan.trigger, args=[source_plan.source],
                               id=_source_id(source_plan.source), name=f"poll {source_plan.source}",
                               misfire_grace_time=source_plan.misfire_grace_time, replace_existing=True, **extra)

    async def _align(self) -> None:
        """On taking the lead: poll at once whatever the previous leader left overdue."""
        last_runs = await self._beside(snapshot.last_runs, self.config.app.engine)
        now = _now()
        for name, source_plan in self.config.plans.items():
            due = source_plan.due(last_runs.get(name), now)
            job = self.scheduler.get_job(_source_id(name))
            if job is not None and due is not None and (job.next_run_time is None or due < job.next_run_time):
                job.modify(next_run_time=due)

    # --- jobs ----------------------------------------------------------------------------

    async def _source_job(self, name: str) -> None:
        await self._spawn(_source_id(name), lambda: self._poll(name))

    async def _maintenance_job(self, name: str) -> None:
        await self._spawn(_job_id(name), lambda: self._run_maintenance(name))

    async def _spawn(self, key: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` as our own task, once at a time per key, only while leading."""
        if self._stopping or not self.lease.held or key in self._inflight:
            return
        epoch = self.lease.epoch

        async def fenced() -> None:
            _EPOCH.set(epoch)
            await work()

        task = asyncio.create_task(fenced(), name=key)
        self._inflight[key] = task
        task.add_done_callback(lambda _: self._inflight.pop(key, None))
        await asyncio.shield(task)

    async def _poll(self, name: str) -> None:
        config, fetcher = self.config, self.fetcher
        started = time.monotonic()
        result: PollResult | None = None
        try:
            result = await config.app.poll(name, fetcher, trigger="daemon")
            outcome = result.outcome
        except LeaseLost as exc:
            outcome = "fenced"
            log.warning("poll %s: discarded, no longer the leader (%s)", name, exc)
            self._lease_kick.set()
        except Exception as exc:  # noqa: BLE001 - one source's crash must not stop the others
            outcome = "error"
            log.error("poll %s: crashed: %s", name, describe(exc) or _brief(exc))
            log.debug("poll %s traceback", name, exc_info=True)
        seconds = time.monotonic() - started
        self.metrics.observe_poll(result, name, outcome, seconds)
        if result is None:
            return
        if result.ok:
            self._last_success[name] = max(result.observed_at, self._last_success.get(name, result.observed_at))
        if result.changes:
            self._deliver_soon()
        if result.outcome in _PARSED:
            memory.release()  # a parse just churned through tens of MB of objects
        level = logging.INFO if result.ok else logging.WARNING
        log.log(level, "poll %s: %s%s, %d change(s), %.2fs%s", name, result.outcome,
                f", {result.rows} rows" if result.rows is not None else "", len(result.changes), seconds,
                f" ({result.error})" if result.error else "")

    async def _run_maintenance(self, name: str) -> None:
        config = self.config
        job = config.jobs.get(name)
        if job is None:
            return
        started = time.monotonic()
        try:
            if inspect.iscoroutinefunction(job.run):
                outcome = await job.run(config.app, _now())
            else:
                outcome = await self._beside(job.run, config.app, _now())
        except LeaseLost as exc:
            self.metrics.jobs.labels(name, "fenced").inc()
            log.warning("job %s: discarded, no longer the leader (%s)", name, exc)
            return
        except Exception as exc:  # noqa: BLE001
            self.metrics.jobs.labels(name, "error").inc()
            log.error("job %s: failed: %s", name, describe(exc) or _brief(exc))
            log.debug("job %s traceback", name, exc_info=True)
            return
        self.metrics.jobs.labels(name, "ok").inc()
        self.metrics.observe_job(outcome)
        if outcome is not None and getattr(outcome, "outcomes", None) != ():  # quiet when nothing was due
            log.info("job %s: %s (%.2fs)", name, summarize(outcome), time.monotonic() - started)

    def _deliver_soon(self) -> None:
        """A poll queued alerts: run the outbox now rather than at its next tick."""
        job = self.scheduler.get_job(_job_id(DELIVER))
        if job is not None and not self._stopping:
            job.modify(next_run_time=_now())

    def _fence(self, session: Session, run: Run, records: Sequence[ChangeRecord],
               by_key: dict[str, Observation]) -> None:
        """Commit hook: a poll commits only under the lease epoch it started with."""
        self.lease.fence(session, _EPOCH.get())

    # --- background loops ----------------------------------------------------------------

    async def _lease_round(self) -> None:
        was = self.lease.held
        try:
            await self._beside(self.lease.acquire_or_renew)
        except Exception as exc:  # noqa: BLE001 - keep trying; the lease simply runs out
            log.warning("lease: database unreachable: %s", _brief(exc))
        held = self.lease.held
        self.metrics.set_leader(self.lease.epoch if held else None)
        if held and not was:
            log.info("leading (lease epoch %s, holder %s)", self.lease.epoch, self.lease.holder)
            if self.scheduler.running:
                await self._align()
            self.notifier.status(self._status())
        elif was and not held:
            log.warning("no longer leading: standing by")
            self.notifier.status(self._status())

    async def _lease_loop(self) -> None:
        while True:
            self._lease_kick.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lease_kick.wait(), timeout=self.lease.seconds / 3)
            await self._lease_round()

    async def _refresh_snapshot(self) -> None:
        settings = self.config.settings
        try:
            snap = await self._beside(snapshot.take, self.config.app.engine, settings.watchlist, _now())
        except Exception as exc:  # noqa: BLE001
            log.warning("snapshot: database unreachable: %s", _brief(exc))
            return
        self._snapshot_at = time.monotonic()
        for name, at in snap.last_success.items():
            if at > self._last_success.get(name, at - dt.timedelta(seconds=1)):
                self._last_success[name] = at
        self.metrics.apply(snap, _now())

    async def _snapshot_loop(self) -> None:
        while True:
            await asyncio.sleep(SNAPSHOT_EVERY)
            await self._refresh_snapshot()

    async def _watchdog_loop(self) -> None:
        interval = self.notifier.watchdog_interval or 1.0
        while True:
            # Pinged from the loop itself: a wedged loop or a dead scheduler stops
            # the pings and systemd restarts us.
            if self.scheduler.running:
                self.notifier.watchdog()
            await asyncio.sleep(interval)

    # --- status --------------------------------------------------------------------------

    async def _start_http(self, settings: Settings) -> None:
        listen = settings.daemon.listen
        if not listen:
            return
        self._http = StatusServer(listen, {"/metrics": self._metrics_reply, "/healthz": self._health_reply})
        try:
            base = await self._http.start()
        except (OSError, ValueError) as exc:
            raise ConfigError(f"daemon.listen: cannot listen on {listen}: {exc}") from None
        log.info("metrics on %s/metrics, health on %s/healthz", base, base)

    def _problems(self) -> list[str]:
        found = health.problems(_now(), scheduler_running=self.scheduler.running and not self._stopping,
                                plans=self.config.plans, last_success=self._last_success,
                                started_at=self.started_at)
        unread = time.monotonic() - self._snapshot_at
        if unread > SNAPSHOT_STALE:
            found.append(f"database unreadable for {unread:.0f}s")
        return found

    def _health_reply(self) -> Reply:
        found = self._problems()
        self.metrics.healthy.set(0 if found else 1)
        if found:
            return Reply(503, ("unhealthy\n" + "\n".join(found) + "\n").encode())
        return Reply(200, f"ok: {self._role()}, {len(self.config.plans)} sources fresh\n".encode())

    def _metrics_reply(self) -> Reply:
        self.metrics.scheduler_running.set(1 if self.scheduler.running else 0)
        self.metrics.healthy.set(0 if self._problems() else 1)
        return Reply(200, self.metrics.exposition(), CONTENT_TYPE)

    def _role(self) -> str:
        return f"leader (epoch {self.lease.epoch})" if self.lease.held else "standby"

    def _status(self) -> str:
        return f"{self._role()}, {len(self.config.plans)} sources"


def _source_id(name: str) -> str:
    return f"source:{name}"


def _job_id(name: str) -> str:
    return f"job:{name}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _brief(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _redacted(url: str) -> str:
    from watcher.store.engine import redact_url

    return redact_url(url)
