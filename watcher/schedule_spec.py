"""From a source's schedule settings to an APScheduler trigger, and when it is next due.

Pure: no scheduler, no database. Everything here is decided from the settings,
the last run the database remembers, and the time given. Shared vocabulary: the
config checks a schedule with the code that will run it (so `watcher sources`
rejects what `watcher run` would), and the daemon schedules with it
(watcher.daemon.schedule), neither importing the other.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Final, Protocol
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from watcher.durations import format_duration

UTC: Final = ZoneInfo("UTC")  # APScheduler wants a zoneinfo zone; cron is evaluated in UTC
MAX_DEFAULT_JITTER: Final = dt.timedelta(minutes=5)
MIN_MISFIRE_GRACE: Final = 1


class ScheduleError(ValueError):
    """A schedule that cannot run, phrased as a config error: `sources.x.cron: why`."""


class ScheduleSettings(Protocol):
    """What scheduling reads of a source's settings (watcher.config.SourceSettings)."""

    @property
    def name(self) -> str: ...
    @property
    def every(self) -> dt.timedelta | None: ...
    @property
    def cron(self) -> str | None: ...
    @property
    def jitter(self) -> dt.timedelta | None: ...
    @property
    def stale_after(self) -> dt.timedelta | None: ...


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    """How one source is scheduled."""

    source: str
    trigger: BaseTrigger
    interval: dt.timedelta  # `every`, or the gap between two cron firings
    jitter: dt.timedelta
    misfire_grace_time: int  # seconds a late firing may still run
    stale_after: dt.timedelta  # /healthz: no success for this long is unhealthy
    cron: str | None = None

    def due(self, last_run: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
        """When to poll next: now if overdue (or never polled), else one interval after the last run.

        None means "whenever the trigger says" (a cron source that is not overdue)."""
        if last_run is None or last_run + self.interval <= now:
            return now
        return None if self.cron else last_run + self.interval

    def describe(self) -> str:
        what = f"cron {self.cron!r} (UTC)" if self.cron else f"every {format_duration(self.interval)}"
        return f"{what}, jitter {format_duration(self.jitter)}"


def plan_schedule(settings: ScheduleSettings, now: dt.datetime) -> Plan:
    """The source's plan; ScheduleError names the key when the schedule cannot run."""
    where = f"sources.{settings.name}"
    if settings.cron:
        try:
            trigger: BaseTrigger = _crontab(settings.cron)
        except ValueError as exc:
            raise ScheduleError(f"{where}.cron: {exc} (got {settings.cron!r})") from None
        interval = _cron_gap(trigger, now, where)
    else:
        assert settings.every is not None, "config gives every source `every` or `cron`"
        interval = settings.every
    jitter = settings.jitter if settings.jitter is not None else min(interval / 10, MAX_DEFAULT_JITTER)
    if jitter >= interval:
        raise ScheduleError(f"{where}.jitter: must be shorter than the interval ({format_duration(interval)})")
    if not settings.cron:
        trigger = IntervalTrigger(seconds=interval.total_seconds(), timezone=UTC,
                                  jitter=jitter.total_seconds() or None)
    else:
        trigger = _crontab(settings.cron, jitter=jitter.total_seconds() or None)
    return Plan(
        source=settings.name,
        trigger=trigger,
        interval=interval,
        jitter=jitter,
        misfire_grace_time=max(MIN_MISFIRE_GRACE, int(interval.total_seconds() / 2)),
        stale_after=settings.stale_after or interval * 3,
        cron=settings.cron,
    )


def _crontab(expr: str, jitter: float | None = None) -> CronTrigger:
    minute, hour, day, month, weekday = expr.split()
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=crontab_weekdays(weekday),
                       timezone=UTC, jitter=jitter)


def _cron_gap(trigger: BaseTrigger, now: dt.datetime, where: str) -> dt.timedelta:
    first = trigger.get_next_fire_time(None, now)
    if first is None:
        raise ScheduleError(f"{where}.cron: the expression never fires")
    second = trigger.get_next_fire_time(first, first + dt.timedelta(seconds=1))
    return (second - first) if second is not None else dt.timedelta(days=365)


_DAYS: Final = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_ITEM: Final = re.compile(r"^(\*|\w+)(?:-(\w+))?(?:/(\d+))?$")


def crontab_weekdays(field: str) -> str:
    """Crontab's day-of-week field (0 or 7 = Sunday) in APScheduler 3's terms (names).

    APScheduler 3 numbers weekdays from Monday = 0, so `1-5` would silently mean
    Tuesday to Saturday; names mean the same thing to both."""
    if field == "*":
        return field
    days: set[int] = set()
    for item in field.lower().split(","):
        match = _ITEM.match(item)
        if not match:
            raise ValueError(f"day of week {item!r} is not understood")
        start, end, step = match.groups()
        if start == "*":
            low, high = 0, 6
        else:
            low = _day(start)
            high = _day(end) if end else (6 if step else low)
        if high < low:
            raise ValueError(f"day-of-week range {item!r} runs backwards")
        days.update(d % 7 for d in range(low, high + 1, int(step or 1)))
    return ",".join(_DAYS[d] for d in sorted(days))


def _day(token: str) -> int:
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token[:3] in _DAYS:
        return _DAYS.index(token[:3])
    raise ValueError(f"day of week {token!r} is not understood")


