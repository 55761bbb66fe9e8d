"""The scheduler's in-memory job store, kept equal to the configuration.

Built from config at start and rebuilt on SIGHUP: one job per enabled source and
one per maintenance job. A source whose schedule did not change keeps its job,
and so its phase; a new or rescheduled one is due one interval after its last
run in the database, or at once when that is already past.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from watcher.daemon.jobs import Job
from watcher.daemon.schedule import Plan

log = logging.getLogger("watcher.daemon")

Runner = Callable[[str], Awaitable[None]]


def source_id(name: str) -> str:
    return f"source:{name}"


def job_id(name: str) -> str:
    return f"job:{name}"


@dataclasses.dataclass(frozen=True, slots=True)
class Changes:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    rescheduled: tuple[str, ...]

    def __str__(self) -> str:
        parts = (("added", self.added), ("removed", self.removed), ("rescheduled", self.rescheduled))
        return "; ".join(f"{what}: {', '.join(names) or '-'}" for what, names in parts)


class JobStore:
    def __init__(self, scheduler: AsyncIOScheduler, *, poll: Runner, run: Runner) -> None:
        self.scheduler = scheduler
        self._poll = poll
        self._run = run

    def install(self, plans: Mapping[str, Plan], jobs: Mapping[str, Job], *, previous_plans: Mapping[str, Plan],
                previous_jobs: Mapping[str, Job], last_runs: Mapping[str, dt.datetime], now: dt.datetime) -> Changes:
        """Add, drop and reschedule so that the store holds exactly `plans` and `jobs`."""
        added = tuple(n for n in plans if n not in previous_plans)
        removed = tuple(n for n in previous_plans if n not in plans)
        rescheduled = tuple(n for n in plans if n in previous_plans
                            and plans[n].describe() != previous_plans[n].describe())
        for name in removed:
            self.scheduler.remove_job(source_id(name))
        for name in (*added, *rescheduled):
            self._add_source(plans[name], last_runs.get(name), now)
            log.info("source %s: %s", name, plans[name].describe())
        for name in previous_jobs:
            if name not in jobs:
                self.scheduler.remove_job(job_id(name))
        for name, job in jobs.items():
            if name not in previous_jobs or not job.same_schedule(previous_jobs[name]):
                self.scheduler.add_job(self._run, job.trigger, args=[name], id=job_id(name), name=name,
                                       misfire_grace_time=job.misfire_grace_time, coalesce=True, max_instances=1,
                                       replace_existing=True)
        return Changes(added, removed, rescheduled)

    def align(self, plans: Mapping[str, Plan], last_runs: Mapping[str, dt.datetime], now: dt.datetime) -> None:
        """Bring forward whatever the database says is overdue (on taking the lead)."""
        for name, plan in plans.items():
            due = plan.due(last_runs.get(name), now)
            job = self.scheduler.get_job(source_id(name))
            if job is not None and due is not None and (job.next_run_time is None or due < job.next_run_time):
                job.modify(next_run_time=due)

    def run_soon(self, name: str, now: dt.datetime) -> None:
        """Run maintenance job `name` now rather than at its next tick."""
        job = self.scheduler.get_job(job_id(name))
        if job is not None:
            job.modify(next_run_time=now)

    def _add_source(self, plan: Plan, last_run: dt.datetime | None, now: dt.datetime) -> None:
        due = plan.due(last_run, now)
        first: dict[str, Any] = {"next_run_time": due} if due is not None else {}
        self.scheduler.add_job(self._poll, plan.trigger, args=[plan.source], id=source_id(plan.source),
                               name=f"poll {plan.source}", misfire_grace_time=plan.misfire_grace_time,
                               coalesce=True, max_instances=1, replace_existing=True, **first)
