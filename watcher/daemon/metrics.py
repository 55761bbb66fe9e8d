"""Prometheus metrics, `watcher_` prefix, in a registry of our own.

Counters and the poll histogram move as this process works; gauges that
describe shared state (outbox, watched shutdowns, last success) are set from
the periodic database snapshot, so every replica reports the same truth,
whoever polled.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import time
from collections.abc import Iterable, Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from watcher import __version__
from watcher.daemon.snapshot import Snapshot
from watcher.poll.pipeline import PollResult

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_DELIVERY_STATUSES = ("pending", "sent", "dead")


class Metrics:
    def __init__(self) -> None:
        disable_created_metrics()  # `_created` series double the output and nobody graphs them
        self.registry = CollectorRegistry()
        self._sources: set[str] = set()
        r = self.registry
        r.register(_Process())  # resident memory, CPU, open fds: the month-long view
        Info("watcher_build", "Watcher version.", registry=r).info({"version": __version__})
        self.polls = Counter("watcher_polls", "Polls by source and outcome "
                             "(baseline, changed, unchanged, not_modified, failed, refused, fenced, error).",
                             ["source", "outcome"], registry=r)
        self.poll_duration = Histogram("watcher_poll_duration_seconds", "Wall time of one poll, fetch to commit.",
                                       ["source"], registry=r,
                                       buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900))
        self.last_success = Gauge("watcher_last_success_timestamp_seconds",
                                  "Unix time of the last successful poll of a source (any replica).",
                                  ["source"], registry=r)
        self.changes = Counter("watcher_changes", "Changes detected by this process, by source and kind.",
                               ["source", "kind"], registry=r)
        self.deliveries = Gauge("watcher_deliveries", "Outbox deliveries by outcome (pending, sent, dead).",
                                ["status"], registry=r)
        self.dead_deliveries = Gauge("watcher_dead_deliveries",
                                     "Deliveries given up, per channel (listed by `watcher outbox --state dead`).",
                                     ["channel"], registry=r)
        self.oldest_pending = Gauge("watcher_oldest_pending_delivery_age_seconds",
                                    "Age of the oldest delivery still pending; 0 when none.", registry=r)
        # A timestamp, not "days left": it never goes negative, alerts compute
        # `(x - time()) / 86400`, and a past shutdown is simply `x < time()`.
        self.shutdown = Gauge("watcher_shutdown_timestamp_seconds",
                              "Unix time (00:00 UTC) of a watched model's shutdown date, per source that states one.",
                              ["model", "source"], registry=r)
        self.consecutive_failures = Gauge("watcher_source_consecutive_failures",
                                          "Failed or refused polls of a source since its last successful one "
                                          "(any replica).", ["source"], registry=r)
        self.reload_ok = Gauge("watcher_config_last_reload_successful",
                               "1 when the last configuration load (start-up or SIGHUP) was accepted, 0 when the "
                               "last reload was rejected and the previous configuration still runs.", registry=r)
        self.reload_at = Gauge("watcher_config_last_reload_success_timestamp_seconds",
                               "Unix time the running configuration was loaded.", registry=r)
        self.leader = Gauge("watcher_leader", "1 while this replica holds the leader lease.", registry=r)
        self.lease_epoch = Gauge("watcher_lease_epoch", "Fencing epoch of the lease this replica holds.",
                                 registry=r)
        self.scheduler_running = Gauge("watcher_scheduler_running", "1 while the scheduler runs.", registry=r)
        self.healthy = Gauge("watcher_healthy", "1 when /healthz answers 200.", registry=r)
        self.jobs = Counter("watcher_job_runs", "Maintenance job runs by job and outcome.", ["job", "outcome"],
                            registry=r)
        self.delivery_attempts = Counter("watcher_delivery_attempts", "Sends tried by this process, by channel and "
                                         "outcome (sent, pending = failed and will retry, dead).",
                                         ["channel", "outcome"], registry=r)
        for status in _DELIVERY_STATUSES:
            self.deliveries.labels(status)

    def known_sources(self, names: Iterable[str]) -> None:
        """Create the per-source series up front, so a source that never succeeded shows up as 0."""
        for name in names:
            self._sources.add(name)
            self.last_success.labels(name)
            self.consecutive_failures.labels(name)

    def known_channels(self, names: Iterable[str]) -> None:
        """Every channel's outcomes exist from the start, so `increase(…{outcome="dead"})` works at the first one."""
        for name in names:
            for status in _DELIVERY_STATUSES:
                self.delivery_attempts.labels(name, status)

    def loaded(self, ok: bool, at: dt.datetime | None = None) -> None:
        self.reload_ok.set(1 if ok else 0)
        if ok and at is not None:
            self.reload_at.set(at.timestamp())

    def observe_poll(self, result: PollResult | None, source: str, outcome: str, seconds: float) -> None:
        self.polls.labels(source, outcome).inc()
        self.poll_duration.labels(source).observe(seconds)
        if result is None:
            return
        if result.ok:
            self.last_success.labels(source).set(result.observed_at.timestamp())
        for change in result.changes:
            self.changes.labels(source, change.kind).inc()

    def observe_job(self, outcome: object) -> None:
        for attempt in getattr(outcome, "outcomes", ()) or ():  # a dispatch pass
            self.delivery_attempts.labels(getattr(attempt, "channel", "unknown"),
                                          getattr(attempt, "status", "unknown")).inc()

    def apply(self, snapshot: Snapshot, now: dt.datetime) -> None:
        for source, at in snapshot.last_success.items():
            self.last_success.labels(source).set(at.timestamp())
        for status in {*_DELIVERY_STATUSES, *snapshot.deliveries}:
            self.deliveries.labels(status).set(snapshot.deliveries.get(status, 0))
        self.dead_deliveries.clear()  # `watcher deliver --retry-dead` brings a channel back to none
        for channel, n in snapshot.dead_by_channel.items():
            self.dead_deliveries.labels(channel).set(n)
        oldest = snapshot.oldest_pending
        self.oldest_pending.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        self.shutdown.clear()  # a model leaving the watchlist leaves the metrics
        for shutdown in snapshot.shutdowns:
            midnight = dt.datetime.combine(shutdown.on, dt.time(), dt.UTC)
            self.shutdown.labels(shutdown.model, shutdown.source).set(midnight.timestamp())
        for source in self._sources:
            latest = snapshot.latest.get(source)
            self.consecutive_failures.labels(source).set(latest.failures if latest else 0)

    def set_leader(self, epoch: int | None) -> None:
        self.leader.set(1 if epoch is not None else 0)
        self.lease_epoch.set(epoch or 0)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _Process(Collector):
    """The standard `process_*` series, from /proc/self only.

    prometheus_client's ProcessCollector needs /proc/stat for the boot time and
    reports nothing without it, which is what the unit's ProcSubset=pid leaves."""

    def __init__(self) -> None:
        self._started = time.time()
        self._page = resource.getpagesize()

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        times = os.times()
        yield CounterMetricFamily("process_cpu_seconds", "User and system CPU time spent, in seconds.",
                                  value=times.user + times.system)
        yield GaugeMetricFamily("process_start_time_seconds", "Start time of the process since the epoch.",
                                value=self._started)
        try:
            with open("/proc/self/statm", "rb") as statm:
                virtual, resident = (int(x) * self._page for x in statm.read().split()[:2])
            open_fds = len(os.listdir("/proc/self/fd"))
        except OSError:
            return
        yield GaugeMetricFamily("process_resident_memory_bytes", "Resident memory size in bytes.", value=resident)
        yield GaugeMetricFamily("process_virtual_memory_bytes", "Virtual memory size in bytes.", value=virtual)
        yield GaugeMetricFamily("process_open_fds", "Number of open file descriptors.", value=open_fds)
