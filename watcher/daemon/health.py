"""The daemon's two health questions, answered apart.

Liveness (/livez): does the process work? Its event loop answers (the reply
itself proves it) and its scheduler runs. A restart would fix a "no" here, so
this is what systemd's watchdog and a Kubernetes liveness probe ask.

Readiness (/readyz, and /healthz for compatibility): is the watcher doing its
job? Every enabled source has succeeded since this process started, is not
being refused, and is not stale; the database is readable. A restart fixes none
of these (an upstream is down, a layout changed), so they must never get a
healthy process killed: they are for a readiness probe and for alerting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from watcher.daemon.schedule import Plan
from watcher.daemon.snapshot import Latest
from watcher.secrets import redact_text

_MAX_ERROR = 160  # characters of a run's error quoted in a reason


def liveness_problems(*, scheduler_running: bool, stopping: bool) -> list[str]:
    """Reasons the process does not work (empty when it does). Draining after
    SIGTERM is working: the process is doing what it was told."""
    return [] if scheduler_running or stopping else ["scheduler is not running"]


def problems(
    now: dt.datetime,
    *,
    scheduler_running: bool,
    plans: Mapping[str, Plan],
    last_success: Mapping[str, dt.datetime],
    started_at: dt.datetime,
    latest: Mapping[str, Latest] | None = None,
) -> list[str]:
    """Reasons not to be ready, one per line; empty when ready.

    `latest` is each source's newest run (any replica), `last_success` its
    newest successful one."""
    found: list[str] = [] if scheduler_running else ["scheduler is not running"]
    for name, plan in sorted(plans.items()):
        reason = source_problem(now, plan, last_success.get(name), (latest or {}).get(name), started_at)
        if reason is not None:
            found.append(f"{name}: {reason}")
    return found


def source_problem(now: dt.datetime, plan: Plan, last_ok: dt.datetime | None, latest: Latest | None,
                   started_at: dt.datetime) -> str | None:
    """Why one source is not healthy, or None. The most telling reason wins:
    refused, then failing since start-up, then stale."""
    if latest is not None and last_ok is not None and latest.at <= last_ok:
        latest = None  # a success newer than the run we read: that run is history
    if latest is not None and latest.outcome == "refused":
        since = latest.failing_since or latest.at
        return (f"refused since {_stamp(since)} ({_count(latest.failures)}; the guard keeps the last good "
                f"data until the source is fixed or accepted){_error(latest)}")
    if last_ok is None or last_ok < started_at:
        if latest is not None and latest.at >= started_at:
            return (f"no successful poll since start-up {_human(now - started_at)} ago "
                    f"({_count(latest.failures)}){_error(latest)}")
        if last_ok is None:
            return "no successful poll yet (waiting for the first)"
    if last_ok is not None and now - last_ok > plan.stale_after:
        return f"last successful poll {_human(now - last_ok)} ago (stale after {_human(plan.stale_after)})"
    return None


def _error(latest: Latest) -> str:
    if not latest.error:
        return ""
    text = redact_text(" ".join(latest.error.split()))
    return f": {text[:_MAX_ERROR]}{'…' if len(text) > _MAX_ERROR else ''}"


def _count(failures: int) -> str:
    return f"{failures} failed poll{'s' if failures != 1 else ''} in a row"


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _human(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"
