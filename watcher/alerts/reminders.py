"""Deadline reminders for watched models: one message at each threshold before the
shutdown date (default 90, 30, 14, 7, 1, 0 days), once each, across restarts.

A reminder is a `deadline` change (recorded, routed, silenced and delivered like
any other) plus a `reminder_sent` row whose primary key (model, shutdown date,
threshold) makes "once" hold even when two schedulers run it at the same time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from sqlmodel import Session

from sources.registry import reference_sources
from watcher.alerts.items import item
from watcher.alerts.queue import hold_silenced, queue_items
from watcher.disagreements.rules import Row as DisagreementRow
from watcher.disagreements.rules import effective_shutdowns
from watcher.model import Change, ChangeKind, Observation
from watcher.severity import SeverityPolicy, is_watched
from watcher.store import polls
from watcher.store import reminders as reminder_rows
from watcher.store.engine import write_session

if TYPE_CHECKING:
    from watcher.alerts.host import AlertsHost

log = logging.getLogger(__name__)

# After a shutdown date, its day-0 reminder is still sent (late) for this long:
# a daemon that was down on the day must still say so, a fresh database full of
# long-retired models must not page anyone.
LATE_GRACE: Final = 7


@dataclasses.dataclass(frozen=True, slots=True)
class Reminder:
    model: str
    shutdown_on: dt.date
    threshold: int  # the reminder's day mark (90, 30, …, 0)
    days_left: int
    rows: tuple[tuple[str, Observation], ...]  # (source, observation) stating this date, by source


def threshold_for(days_left: int, thresholds: Sequence[int]) -> int | None:
    """The smallest threshold at or above `days_left`: with 20 days left the 30-day
    reminder is due (the 90-day one was missed for good: say the nearest news)."""
    if days_left < -LATE_GRACE:
        return None
    passed = [t for t in thresholds if t >= max(days_left, 0)]
    return min(passed) if passed else None


def due(rows: Sequence[tuple[str, Observation]], watchlist: Sequence[str], thresholds: Sequence[int],
        today: dt.date) -> list[Reminder]:
    """Reminders due today for watched rows with a shutdown date. Pure."""
    groups: dict[tuple[str, dt.date], list[tuple[str, Observation]]] = defaultdict(list)
    for source, obs in rows:
        if obs.shutdown_on is None:
            continue
        probe = Change(source=source, key=obs.key, provider=obs.provider, model=obs.model,
                       kind=ChangeKind.DEADLINE, field=None, old=None, new=None)
        if is_watched(obs, probe, watchlist):
            groups[(obs.model, obs.shutdown_on)].append((source, obs))
    out: list[Reminder] = []
    for (model, shutdown), stated in sorted(groups.items()):
        days_left = (shutdown - today).days
        threshold = threshold_for(days_left, thresholds)
        if threshold is not None:
            out.append(Reminder(model, shutdown, threshold, days_left, tuple(sorted(stated, key=lambda r: r[0]))))
    return out


def authoritative(rows: Sequence[tuple[str, Observation]]) -> list[tuple[str, Observation]]:
    """The shutdown dates a reminder may speak for. Pure.

    Where the provider states a date (its latest announcement, aliases included:
    the same rule as disagreements), only that date: a catalog's wrong date is
    a disagreement to report, never a countdown to page anyone with. A model the
    provider says nothing about keeps the dates catalogs give for the maker's
    own offering; Azure's or Bedrock's own schedules never speak for the model.
    """
    references = reference_sources()
    officials = effective_shutdowns(
        DisagreementRow(source, obs) for source, obs in rows if source in references and obs.is_model)
    out = [(official.source,
            dataclasses.replace(official.row, model=model, provider=provider, shutdown_on=official.shutdown_on))
           for (provider, model), official in sorted(officials.items())]
    out += [(source, obs) for source, obs in rows
            if source not in references and obs.distribution is None
            and (obs.provider, obs.model) not in officials]
    return out


@dataclasses.dataclass(frozen=True, slots=True)
class RemindersResult:
    sent: tuple[Reminder, ...]  # newly recorded (delivered unless silenced)
    deliveries: tuple[int, ...]  # outbox rows queued


def send_reminders(app: AlertsHost, now: dt.datetime | None = None) -> RemindersResult:
    """Record and queue the deadline reminders due at `now` (default: the clock).

    Safe to call as often as you like (the daemon: every hour or so); each
    (model, shutdown date, threshold) is reminded once. Dispatch the outbox
    afterwards (`dispatch_due`) to send them.
    """
    now = now or dt.datetime.now(dt.UTC)
    settings = app.settings
    if not settings.watchlist:
        return RemindersResult((), ())
    policy = SeverityPolicy(watchlist=settings.watchlist, rules=settings.alerts.severity_rules)
    with write_session(app.engine) as session:
        rows = authoritative(reminder_rows.current_with_shutdown(session))
        reminders = [r for r in due(rows, settings.watchlist, settings.alerts.reminder_days, now.date())
                     if _claim(session, r, now)]
        if not reminders:
            return RemindersResult((), ())
        changes: list[Change] = []
        for r in reminders:
            source, obs = r.rows[0]
            others = sorted({s for s, _ in r.rows[1:]} - {source})
            note = f"{r.threshold}-day reminder" + (f"; also stated by {', '.join(others)}" if others else "")
            change = Change(source=source, key=obs.key, provider=obs.provider, model=obs.model,
                            kind=ChangeKind.DEADLINE, field="shutdown_on", old=None,
                            new=r.shutdown_on.isoformat(), note=note)
            changes.append(policy.assess(change, obs, now.date()))
        records = polls.add_changes(session, changes, run_id=None, at=now)
        observations = {r.rows[0][1].key: r.rows[0][1] for r in reminders}
        thresholds = {r.rows[0][1].key: r.threshold for r in reminders}
        loud = hold_silenced(session, records, observations, now)
        queued = queue_items(
            session, settings, [item(rec, observations.get(rec.key), settings.watchlist) for rec in loud],
            kind="reminder", today=now.date(), now=now,
            anchor=lambda i: f"reminder:{thresholds[i.key]}",
        ) if loud else None
    log.info("%d reminders recorded, %d deliveries queued", len(reminders),
             len(queued.deliveries) if queued else 0)
    return RemindersResult(tuple(reminders), queued.deliveries if queued else ())


async def send_reminders_async(app: AlertsHost, now: dt.datetime | None = None) -> RemindersResult:
    """`send_reminders` in a worker thread, for an asyncio scheduler."""
    return await asyncio.to_thread(send_reminders, app, now)


def _claim(session: Session, r: Reminder, now: dt.datetime) -> bool:
    """Record the reminder as sent; False when it already was (or is being sent by a
    concurrent process, whose row won)."""
    return reminder_rows.claim(session, model=r.model, shutdown_on=r.shutdown_on, days=r.threshold, now=now)
