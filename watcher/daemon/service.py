"""`watcher run`: the long-running service's life cycle.

One asyncio loop holds everything: the APScheduler `AsyncIOScheduler` and its
job store (jobstore.py), the work it starts (work.py), the leader lease, the
periodic database snapshot, the status HTTP server and the systemd watchdog.
Polls parse and write on one worker thread, one at a time (fetches overlap):
one catalog's worth of objects in memory at once, not five. The lease,
snapshots and maintenance (a slow SMTP send) run on side threads, so none of
them waits behind a parse.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import datetime as dt
import functools
import logging
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine

from watcher.app import App, UsageError
from watcher.config import ConfigError, Settings, check_channels, load
from watcher.daemon import health, memory, snapshot
from watcher.daemon.http import Reply, StatusServer
from watcher.daemon.jobs import DELIVER, Job, maintenance
from watcher.daemon.jobstore import JobStore, job_id, source_id
from watcher.daemon.lease import Lease
from watcher.daemon.metrics import CONTENT_TYPE, Metrics
from watcher.daemon.notify import Notifier
from watcher.daemon.schedule import UTC, Plan, plan
from watcher.daemon.work import Work, brief
from watcher.logs import RedactingFilter
from watcher.poll.fetch import Fetcher
from watcher.store.engine import cap_sqlite_page_cache, make_engine, redact_url
from watcher.store.migrate import ensure_schema

if TYPE_CHECKING:
    from watcher.web.server import WebServer

log = logging.getLogger("watcher.daemon")

DRAIN_TIMEOUT: Final = 60.0  # seconds; systemd's TimeoutStopSec (90 s) leaves room for the rest
SNAPSHOT_EVERY: Final = 10.0
SNAPSHOT_STALE: Final = 60.0  # /healthz fails when the database could not be read for this long

_T = TypeVar("_T")


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
        self._initial = settings
        self._config_path = config_path
        self._db = db
        self._redactor = redactor
        self.notifier = notifier or Notifier()
        self.metrics = Metrics()
        self.started_at = _now()
        self._background: list[asyncio.Task[None]] = []
        self._snapshot_at = time.monotonic()
        self._dead: dict[str, int] = {}  # dead deliveries per channel, from the last snapshot
        self._stopping = False
        self._retired_fetchers: list[Fetcher] = []
        self._http: StatusServer | WebServer | None = None
        self._latest: dict[str, snapshot.Latest] = {}

    # --- life cycle ----------------------------------------------------------------------

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(max_workers=1, thread_name_prefix="poll"))  # App.poll's
        self._side = ThreadPoolExecutor(max_workers=4, thread_name_prefix="side")
        self._stop = asyncio.Event()
        self._lease_kick = asyncio.Event()
        self._snapshot_kick = asyncio.Event()
        self._reload_lock = asyncio.Lock()
        self.config = await self._configure(self._initial)
        engine = await self._beside(_open_database, self.config.app)
        self.db_url = self.config.app.db_url
        self.lease = Lease(engine, self.config.settings.daemon.lease_seconds)
        self.work = Work(self.lease, self.metrics, self._beside)
        self.work.on_changes = lambda: self.jobs.run_soon(DELIVER, _now())
        self.work.on_fenced = self._lease_kick.set
        self.work.on_written = self._snapshot_kick.set  # metrics follow a poll or a delivery at once
        self.fetcher = Fetcher(self.config.settings.fetch)
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.jobs = JobStore(self.scheduler, poll=self._poll_job, run=self._maintenance_job)
        await self._start_http(self.config.settings)  # a busy port fails the start, before anything runs

        for sig, why in ((signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT")):
            loop.add_signal_handler(sig, self._request_stop, why)
        loop.add_signal_handler(signal.SIGHUP, self._request_reload)

        await self._refresh_snapshot()
        await self._lease_round()  # know whether we lead before the first job fires
        await self._install(self.config, previous=None)
        self.metrics.loaded(ok=True, at=self.started_at)
        self.scheduler.start()
        self._background += [asyncio.create_task(self._lease_loop(), name="lease"),
                             asyncio.create_task(self._snapshot_loop(), name="snapshot")]
        if self.notifier.watchdog_interval:
            self._background.append(asyncio.create_task(self._watchdog_loop(), name="watchdog"))
        log.info("running: %d sources (%s), %s, database %s", len(self.config.plans),
                 ", ".join(self.config.plans), self._role(), redact_url(self.db_url))
        self.notifier.ready(self._status())

        await self._stop.wait()
        await self._shutdown()
        return 0

    def _request_stop(self, why: str) -> None:
        if not self._stopping:
            log.info("%s: stopping after in-flight work", why)
            self._stopping = self.work.stopping = True
            for fetcher in (self.fetcher, *self._retired_fetchers):
                fetcher.stop_retrying()
            self._stop.set()

    async def _shutdown(self) -> None:
        self.notifier.stopping()
        self.scheduler.pause()  # nothing new starts; what runs, finishes
        await self.work.drain(DRAIN_TIMEOUT)
        self.scheduler.shutdown(wait=False)
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        try:
            await self._beside(self.lease.release)  # a standby need not wait the lease out
        except Exception as exc:
            log.warning("could not release the lease: %s", brief(exc))
        if self._http is not None:
            await self._http.close()
        for fetcher in (self.fetcher, *self._retired_fetchers):
            await fetcher.aclose()
        self._side.shutdown(wait=True)
        self.config.app.engine.dispose()
        log.info("stopped")

    async def _beside(self, fn: Callable[..., _T], *args: Any) -> _T:
        """Run blocking `fn` on the side threads, with this task's context (the lease epoch)."""
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self._side, functools.partial(context.run, fn, *args))

    # --- configuration -------------------------------------------------------------------

    async def _configure(self, settings: Settings) -> Config:
        """Validate `settings` completely (raising ConfigError/UsageError) and build what runs it."""
        check_channels(settings)
        app = App.create(settings, self._db)
        app.hooks = (*app.hooks, self._fence)
        now = _now()
        plans: dict[str, Plan] = {}
        for name in app.enabled_sources():
            try:
                app.source(name)  # the parser loads, the URLs are valid
            except UsageError:
                raise
            except Exception as exc:
                raise ConfigError(f"sources.{name}: cannot load the source: {brief(exc)}") from None
            plans[name] = plan(settings.sources[name], now)
        jobs = {job.name: job for job in maintenance(settings, now)}
        return Config(settings=settings, app=app, plans=plans, jobs=jobs)

    def _fence(self, *args: Any) -> None:
        self.work.fence(*args)  # late-bound: App is built before the lease exists

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
                self.metrics.loaded(ok=False)
                self.notifier.ready(self._status())
                return
            new.app.engine = self.config.app.engine  # same database, same pool (seeds the cached property)
            old, self.config = self.config, new
            if self._redactor is not None:
                self._redactor.secrets = list({*self._redactor.secrets, *settings.secrets()})
            if settings.fetch != old.settings.fetch:
                self._retired_fetchers.append(self.fetcher)  # in-flight polls still use it
                self.fetcher = Fetcher(settings.fetch)
            self.lease.seconds = settings.daemon.lease_seconds
            if settings.daemon.listen != old.settings.daemon.listen:
                log.warning("daemon.listen changed: takes effect at the next restart")
            changes = await self._install(new, previous=old)
            self.metrics.loaded(ok=True, at=_now())
            log.info("configuration reloaded from %s: %s", where, changes)
            self.notifier.ready(self._status())

    async def _install(self, new: Config, previous: Config | None) -> str:
        last_runs = await self._beside(snapshot.last_runs, new.app.engine)
        changes = self.jobs.install(new.plans, new.jobs, previous_plans=previous.plans if previous else {},
                                    previous_jobs=previous.jobs if previous else {}, last_runs=last_runs,
                                    now=_now())
        self.metrics.known_sources(new.plans)
        self.metrics.known_channels(name for name, c in new.settings.channels.items() if c.enabled)
        return str(changes)

    # --- jobs (the scheduler calls these) ----------------------------------------------------

    async def _poll_job(self, name: str) -> None:
        await self.work.spawn(source_id(name), lambda: self.work.poll(self.config.app, self.fetcher, name))

    async def _maintenance_job(self, name: str) -> None:
        job = self.config.jobs.get(name)
        if job is not None:
            await self.work.spawn(job_id(name), lambda: self.work.maintenance(self.config.app, job))

    # --- background loops ----------------------------------------------------------------

    async def _lease_round(self) -> None:
        was = self.lease.held
        try:
            await self._beside(self.lease.acquire_or_renew)
        except Exception as exc:
            log.warning("lease: database unreachable: %s", brief(exc))
        held = self.lease.held
        self.metrics.set_leader(self.lease.epoch if held else None)
        if held and not was:
            log.info("leading (lease epoch %s, holder %s)", self.lease.epoch, self.lease.holder)
            if self.scheduler.running:  # poll at once whatever the previous leader left overdue
                last_runs = await self._beside(snapshot.last_runs, self.config.app.engine)
                self.jobs.align(self.config.plans, last_runs, _now())
            self.notifier.status(self._status())
        elif was and not held:
            log.warning("no longer leading: standing by")
            self.notifier.status(self._status())

    async def _lease_loop(self) -> None:
        while not self._stopping:
            # The leader renews at a third of the lease; a standby looks twice as
            # often, so it takes over soon after the lease runs out.
            await _woken(self._lease_kick, self.lease.seconds / (3 if self.lease.held else 6))
            await self._lease_round()

    async def _refresh_snapshot(self) -> None:
        settings = self.config.settings
        try:
            snap = await self._beside(snapshot.take, self.config.app.engine, settings.watchlist, _now())
        except Exception as exc:
            log.warning("snapshot: database unreachable: %s", brief(exc))
            return
        self._snapshot_at = time.monotonic()
        known = self.work.last_success
        for name, at in snap.last_success.items():  # a standby learns the leader's progress here
            if name not in known or at > known[name]:
                known[name] = at
        self._latest = snap.latest
        self.metrics.apply(snap, _now())
        self._dead = snap.dead_by_channel

    async def _snapshot_loop(self) -> None:
        while not self._stopping:
            await _woken(self._snapshot_kick, SNAPSHOT_EVERY)
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
        routes = {"/metrics": self._metrics_reply, "/livez": self._live_reply,
                  "/readyz": self._health_reply, "/healthz": self._health_reply}
        try:
            self._http = self._web_server(settings, routes) if settings.daemon.web else StatusServer(listen, routes)
            base = await self._http.start()
        except (OSError, ValueError) as exc:
            raise ConfigError(f"daemon.listen: cannot listen on {listen}: {exc}") from None
        log.info("metrics on %s/metrics, liveness on %s/livez, readiness on %s/readyz (and /healthz)",
                 base, base, base)
        if settings.daemon.web:
            log.info("web page on %s/, feeds on %s/feeds/, API on %s/api/v1/", base, base, base)

    def _web_server(self, settings: Settings, routes: dict[str, Callable[[], Reply]]) -> StatusServer | WebServer:
        """The read-only page, feeds and API, with the status routes answered on this loop."""
        from watcher.daemon.http import parse_listen
        from watcher.web.lazy import LazyWebApp
        from watcher.web.server import WebServer

        def adapt(handler: Callable[[], Reply]) -> Callable[[], tuple[int, bytes, str]]:
            def call() -> tuple[int, bytes, str]:
                reply = handler()
                return reply.status, reply.body, reply.content_type
            return call

        status = {path: adapt(handler) for path, handler in routes.items()}
        engine = self.config.app.engine

        def build() -> Any:  # on the first page, feed or API request: most daemons never pay for it
            from watcher.web.app import create_app
            from watcher.web.official import official_sources

            return create_app(engine, settings, official_sources=official_sources(), status_routes=status)

        host, port = parse_listen(settings.daemon.listen or "")
        return WebServer(LazyWebApp(build, status), host, port)

    def _problems(self) -> list[str]:
        found = health.problems(_now(), scheduler_running=self.scheduler.running and not self._stopping,
                                plans=self.config.plans, last_success=self.work.last_success,
                                started_at=self.started_at, latest=self._latest)
        unread = time.monotonic() - self._snapshot_at
        if unread > SNAPSHOT_STALE:
            found.append(f"database unreadable for {unread:.0f}s")
        return found

    def _health_reply(self) -> Reply:
        found = self._problems()
        self.metrics.healthy.set(0 if found else 1)
        news = self._dead_deliveries()
        if found:
            return Reply(503, ("unhealthy\n" + "\n".join([*found, *news]) + "\n").encode())
        return Reply(200, "\n".join([f"ok: {self._role()}, {len(self.config.plans)} sources fresh", *news, ""])
                     .encode())

    def _dead_deliveries(self) -> list[str]:
        """Not unhealthy (restarting would not help) but news: alerts that did not get through."""
        return [f"dead deliveries: {channel} {n} (watcher outbox --state dead)"
                for channel, n in sorted(self._dead.items())]

    def _live_reply(self) -> Reply:
        found = health.liveness_problems(scheduler_running=self.scheduler.running, stopping=self._stopping)
        if found:
            return Reply(503, ("not live\n" + "\n".join(found) + "\n").encode())
        return Reply(200, f"alive: {self._role()}\n".encode())

    def _metrics_reply(self) -> Reply:
        self.metrics.scheduler_running.set(1 if self.scheduler.running else 0)
        self.metrics.healthy.set(0 if self._problems() else 1)
        return Reply(200, self.metrics.exposition(), CONTENT_TYPE)

    def _role(self) -> str:
        return f"leader (epoch {self.lease.epoch})" if self.lease.held else "standby"

    def _status(self) -> str:
        return f"{self._role()}, {len(self.config.plans)} sources"


def _open_database(app: App) -> Engine:
    """The daemon's engine: one pooled connection, more opened when needed and closed
    after (each idle SQLite connection keeps its own page cache)."""
    engine = make_engine(app.db_url, pool_size=1, max_overflow=8)
    cap_sqlite_page_cache(engine, memory.SQLITE_CACHE_KIB)
    ensure_schema(engine)  # creates the schema on an empty database, refuses an outdated one
    app.engine = engine  # seeds App's cached property
    return engine


async def _woken(event: asyncio.Event, seconds: float) -> None:
    """Wait until `event` is set or `seconds` pass, then clear it.

    Not asyncio.wait_for: on 3.11 it can swallow a cancellation that arrives as
    the event fires, and shutdown would then wait on this loop for ever."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
    event.clear()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
