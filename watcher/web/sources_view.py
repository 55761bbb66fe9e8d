"""Sources as the page and the API show them: schedule, health, the last refusal's
reason and when the next poll is due (from the same plan the daemon schedules by)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from watcher.config import ConfigError
from watcher.durations import format_duration
from watcher.store import readers
from watcher.store.values import iso_time
from watcher.web.context import WebContext


def _parse(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None



def next_poll(ctx: WebContext, name: str, last_run: dt.datetime | None, now: dt.datetime) -> str | None:
    from watcher.daemon.schedule import plan

    settings = ctx.settings.sources[name]
    if not settings.enabled:
        return None
    try:
        schedule = plan(settings, now)
    except ConfigError:
        return None
    due = schedule.due(last_run, now)
    if due is None:  # a cron source that is not overdue: its next firing
        due = schedule.trigger.get_next_fire_time(None, now)
    return iso_time(due) if due else None



def source_rows(ctx: WebContext) -> list[dict[str, Any]]:
    names = ctx.source_names
    health = readers.source_health(ctx.engine, names)
    now = ctx.clock()
    rows = []
    for name in names:
        settings = ctx.settings.sources[name]
        every = f"every {format_duration(settings.every)}" if settings.every else "-"
        schedule = f"cron {settings.cron}" if settings.cron else every  # as `watcher sources` says it
        found = health.get(name, {})
        rows.append({
            "source": name, "enabled": settings.enabled, "schedule": schedule, **found,
            "failures": found.get("failures", 0), "rows": found.get("rows", 0),
            "next_poll": next_poll(ctx, name, _parse(found.get("last_run")), now),
        })
    return rows
