"""The daemon's scheduling: a source's settings -> its plan (watcher.schedule_spec),
with a schedule that cannot run reported as the config error it is."""

from __future__ import annotations

import datetime as dt

from watcher.config import ConfigError, SourceSettings
from watcher.schedule_spec import UTC, Plan, ScheduleError, crontab_weekdays, plan_schedule

__all__ = ["UTC", "Plan", "crontab_weekdays", "plan"]


def plan(settings: SourceSettings, now: dt.datetime) -> Plan:
    try:
        return plan_schedule(settings, now)
    except ScheduleError as exc:
        raise ConfigError(str(exc)) from None
