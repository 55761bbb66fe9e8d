"""/healthz's judgement: is the scheduler running, and is every source fresh enough?"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from watcher.daemon.schedule import Plan


def problems(
    now: dt.datetime,
    *,
    scheduler_running: bool,
    plans: Mapping[str, Plan],
    last_success: Mapping[str, dt.datetime],
    started_at: dt.datetime,
) -> list[str]:
    """Reasons to report unhealthy, one per line; empty when healthy.

    A source never polled successfully is given its staleness limit from the
    daemon's start before it counts, so a fresh install is not born unhealthy."""
    found: list[str] = [] if scheduler_running else ["scheduler is not running"]
    for name, plan in sorted(plans.items()):
        last = last_success.get(name)
        since = last or started_at
        if now - since <= plan.stale_after:
            continue
        limit = _human(plan.stale_after)
        if last is None:
            found.append(f"{name}: no successful poll since start-up {_human(now - started_at)} ago "
                         f"(stale after {limit})")
        else:
            found.append(f"{name}: last successful poll {_human(now - last)} ago (stale after {limit})")
    return found


def _human(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"
