"""The daemon's jobs besides polling: outbox delivery, reminders, disagreements, retention.

Each is a plain function of (app, now) that the leader runs on a schedule;
blocking ones run in a worker thread. Adding a job is one entry in `maintenance`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from watcher.daemon.schedule import UTC
from watcher.store.retention import prune_now

if TYPE_CHECKING:
    from watcher.app import App
    from watcher.config import Settings
    from watcher.store.tables import ChangeRecord

log = logging.getLogger(__name__)

JobFunction = Callable[["App", dt.datetime], Any | Awaitable[Any]]
DELIVER = "deliver"


@dataclasses.dataclass(frozen=True, slots=True)
class Job:
    name: str
    trigger: BaseTrigger
    run: JobFunction
    misfire_grace_time: int

    def same_schedule(self, other: Job) -> bool:
        return str(self.trigger) == str(other.trigger)


def maintenance(settings: Settings, now: dt.datetime) -> list[Job]:
    from watcher.alerts.dispatch import dispatch_due
    from watcher.alerts.reminders import send_reminders

    deliver = settings.daemon.deliver_every.total_seconds()
    return [
        # Outbox claims make a second dispatcher harmless; only the leader runs this anyway.
        Job(DELIVER, IntervalTrigger(seconds=deliver, timezone=UTC), dispatch_due, _grace(deliver)),
        Job("reminders", IntervalTrigger(hours=1, start_date=now + dt.timedelta(seconds=30), timezone=UTC),
            send_reminders, 1800),
        # A shutdown date passing changes what no source says: re-judge daily, just after midnight UTC.
        Job("disagreements", CronTrigger(hour=0, minute=5, timezone=UTC), judge_disagreements, 6 * 3600),
        Job("retention", IntervalTrigger(hours=24, start_date=now + dt.timedelta(minutes=10), timezone=UTC),
            prune_raw_documents, 12 * 3600),
    ]


def judge_disagreements(app: App, now: dt.datetime) -> list[ChangeRecord]:
    from watcher.disagreements.hook import check_disagreements

    return check_disagreements(app.poller, now)


def prune_raw_documents(app: App, now: dt.datetime) -> str:
    result = prune_now(app.engine, app.settings.retention, now)
    return f"{result.documents} raw documents pruned ({result.bytes} bytes), {result.kept} kept"


def summarize(outcome: object) -> str:
    """One log line's worth of what a job did."""
    if outcome is None:
        return "done"
    if isinstance(outcome, str):
        return outcome
    outcomes = getattr(outcome, "outcomes", None)
    if outcomes is not None:  # a dispatch pass
        return f"{len(outcomes)} sent or tried" + (
            f" ({', '.join(f'{k} {v}' for k, v in _count(o.status for o in outcomes).items())})" if outcomes else "")
    if isinstance(outcome, (list, tuple)):
        return f"{len(outcome)} item(s)"
    sent = getattr(outcome, "sent", None)
    if isinstance(sent, tuple):  # reminders
        return f"{len(sent)} reminder(s) due"
    return type(outcome).__name__


def _count(items: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def _grace(seconds: float) -> int:
    return max(1, int(seconds / 2))
