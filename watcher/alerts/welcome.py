"""The first start says hello, once per channel: what is watched, what is already
open, and the commands that list it. The baseline itself stays silent (a fresh
install must not page anyone about the state of the world it found).

Queued by the outbox hook when the first round of polls is complete: the run
being committed is its source's first, and every enabled source has now run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shlex
from collections.abc import Sequence
from typing import Final

from sqlmodel import Session

from watcher.alerts import escape, outbox, structured
from watcher.alerts.channels import Bodies
from watcher.config import Settings
from watcher.disagreements.hook import open_disagreements
from watcher.matching import watched
from watcher.model import Severity
from watcher.store import alert_history
from watcher.store.tables import Delivery, Run

KIND: Final = "watching"


@dataclasses.dataclass(frozen=True, slots=True)
class Facts:
    sources: tuple[tuple[str, int | None], ...]  # (name, rows) — rows None: no successful poll yet
    watchlist: tuple[str, ...]
    watched_models: int
    disagreements: int  # open now
    shutdowns: tuple[tuple[str, dt.date], ...]  # watched models' shutdowns ahead, soonest first
    today: dt.date


def bodies(facts: Facts) -> Bodies:
    """The hello message (pure)."""
    n = len(facts.sources)
    title = f"Model Lifecycle Watcher is now watching {n} source{'s' if n != 1 else ''}"
    listed = ", ".join(f"{name} ({rows:,} rows)" if rows is not None else f"{name} (no successful poll yet)"
                       for name, rows in facts.sources)
    lines = [f"Sources: {listed}."]
    if facts.watchlist:
        lines.append(f"Watchlist: {', '.join(facts.watchlist)} ({facts.watched_models} models).")
    else:
        lines.append("Watchlist: empty (set [watchlist] models to get deadline reminders).")
    lines.append(f"Open disagreements between sources: {facts.disagreements} "
                 f"(list: {shlex.join(['watcher', 'changes', '--kind', 'disagreement'])}).")
    if facts.watchlist:
        ahead = len(facts.shutdowns)
        nearest = ", ".join(f"{model} on {on.isoformat()} (in {(on - facts.today).days} days)"
                            for model, on in facts.shutdowns[:3])
        listing = shlex.join(["watcher", "upcoming", "--within", "3650d"])
        lines.append(f"Shutdowns ahead for watched models: {ahead}" + (f", the nearest {nearest}" if ahead else "")
                     + f" (list: {listing}).")
    lines.append("What was already there is recorded, not alerted; from now on every change is.")
    text = "\n".join(escape.plain(line, 2000) for line in lines)
    markdown = "\n".join(escape.markdown(line, 2000) for line in lines)
    html = "\n".join(f"<p>{escape.html_text(line, 2000)}</p>" for line in lines)
    return Bodies(title=title, text=text, markdown=markdown, html=html)


def first_round_complete(session: Session, settings: Settings, run: Run) -> bool:
    """Is `run` its source's first, and has every enabled source run at least once now?"""
    if alert_history.has_earlier_polled_run(session, run.source, run.id or 0):
        return False
    enabled = [name for name, s in settings.sources.items() if s.enabled]
    if run.source not in enabled:
        return False
    return alert_history.sources_that_ran(session, enabled) >= set(enabled)


def facts(session: Session, settings: Settings, today: dt.date) -> Facts:
    enabled = sorted(name for name, s in settings.sources.items() if s.enabled)
    rows: dict[str, int | None] = dict.fromkeys(enabled)
    rows.update(alert_history.rows_of_last_success(session, enabled))
    models: set[str] = set()
    shutdowns: dict[str, dt.date] = {}
    if settings.watchlist:
        for model, key, source_id, aliases, on in alert_history.current_model_names(session):
            if not watched([model, key, source_id, *((aliases or "").split(", "))], settings.watchlist):
                continue
            models.add(model)
            if on is not None and on >= today:
                shutdowns[model] = min(on, shutdowns.get(model, on))
    return Facts(sources=tuple((name, rows[name]) for name in enabled), watchlist=settings.watchlist,
                 watched_models=len(models), disagreements=len(open_disagreements(session)),
                 shutdowns=tuple(sorted(shutdowns.items(), key=lambda kv: (kv[1], kv[0]))), today=today)


def queue(session: Session, settings: Settings, channels: Sequence[str], today: dt.date, now: dt.datetime) -> int:
    """One hello per channel, ever (its dedupe key is the channel's); how many were added."""
    message = bodies(facts(session, settings, today))
    added = 0
    for channel in channels:
        text = message.text if settings.channels[channel].format != "json" else structured.envelope(
            kind=KIND, title=message.title, route=None, severity=Severity.INFO.value, text=message.text)
        row = Delivery(dedupe_key=f"{KIND}:{channel}", channel=channel, route=None, kind=KIND,
                       severity=Severity.INFO.value, title=message.title, body_text=text,
                       body_markdown=message.markdown, body_html=message.html, change_ids="[]",
                       status=outbox.PENDING, attempts=0, next_attempt_at=now, created_at=now)
        added += outbox.queue(session, row)
    return added
