"""Sending what the outbox holds, after the commit that queued it.

One worker per channel, so a channel that hangs (an SMTP server timing out)
does not hold up another. Within a channel, due rows go oldest first, each on
its own backoff; two failures in a row end that channel's turn (no point
hammering it). The first send a channel accepts makes its other pending
deliveries due now (for every dispatcher) and this pass sends them: a channel
that comes back gets its backlog at once instead of waiting out each backoff.

A delivery still failing `give_up_after` after it was queued is dead, and that
is news: one message about it on each other channel (`watcher.alerts.dead`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Final

from watcher.alerts import dead, outbox
from watcher.alerts.channels import post_json, send
from watcher.store.engine import read_session

if TYPE_CHECKING:
    from watcher.alerts.host import AlertsHost

log = logging.getLogger(__name__)

MAX_WORKERS: Final = 8
PASS_LIMIT: Final = 1000  # rows looked at per pass; the rest wait for the next one


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    delivery_id: int
    channel: str
    status: str  # sent, pending (failed, will retry), dead
    attempts: int
    answer: str
    seconds: float
    claimed: outbox.Claimed | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class DispatchResult:
    outcomes: tuple[Outcome, ...]

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def sent(self) -> int:
        return self.count(outbox.SENT)

    @property
    def failed(self) -> int:
        return self.count(outbox.PENDING)

    @property
    def dead(self) -> int:
        return self.count(outbox.DEAD)


def claim_ttl(app: AlertsHost) -> dt.timedelta:
    """How long a claimed row is left alone. Apprise gives up on a send after
    `send_timeout`, so a claim older than that (plus time to record the outcome)
    belongs to a dispatcher that died mid-send: the row is sent again."""
    return app.settings.alerts.send_timeout + dt.timedelta(seconds=2)


def dispatch_due(app: AlertsHost, now: dt.datetime | None = None, *, early: bool = False) -> DispatchResult:
    """Send every outbox row that is due at `now` (default: the clock); record each
    channel's answer. Rows still backing off wait, unless `early` (an operator's
    `watcher deliver`) or their channel has just answered in this pass.

    Blocking (apprise is synchronous); from asyncio use `dispatch_due_async`.
    Safe to run concurrently with itself, in this process or another.
    """
    now = now or dt.datetime.now(dt.UTC)
    channels = app.settings.channels
    with read_session(app.engine) as session:
        found = outbox.candidates(session, now, early=early, limit=PASS_LIMIT)
    by_channel: dict[str, list[outbox.Candidate]] = defaultdict(list)
    unknown: set[str] = set()
    for candidate in found:
        # Rows for a channel that is off, or not in this configuration (another
        # config file, a rename), wait, visible in `watcher outbox`: a config
        # mistake must not throw alerts away.
        if candidate.channel not in channels:
            unknown.add(candidate.channel)
        elif channels[candidate.channel].enabled:
            by_channel[candidate.channel].append(candidate)
    if unknown:
        log.warning("outbox holds deliveries for channels not in this configuration: %s", ", ".join(sorted(unknown)))
    work = {name: rows for name, rows in by_channel.items() if any(c.due for c in rows)}
    if not work:
        return DispatchResult(())
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(work)), thread_name_prefix="deliver") as pool:
        for done in pool.map(lambda kv: _drain(app, kv[0], kv[1], now), work.items()):
            outcomes.extend(done)
    if _tell_the_dead(app, outcomes, now):
        # The news about dead deliveries goes out in this same pass.
        outcomes.extend(dispatch_due(app, now).outcomes)
    return DispatchResult(tuple(outcomes))


def _tell_the_dead(app: AlertsHost, outcomes: list[Outcome], now: dt.datetime) -> bool:
    """Queue one message per other channel about the deliveries that died in this pass."""
    died: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.status == outbox.DEAD and o.claimed is not None and o.claimed.kind != dead.KIND:
            died[o.channel].append(o)
    queued = False
    for channel, lost in died.items():
        others = [name for name, c in app.settings.channels.items() if c.enabled and name != channel]
        added = dead.queue_news(app.engine, channel, [o.claimed for o in lost if o.claimed is not None],
                                [o.answer for o in lost], others, now,
                                {name: c.format for name, c in app.settings.channels.items()})
        log.error("%d deliveries to %s are dead (failing since queued, up to %s); told %d other channels",
                  len(lost), channel, app.settings.alerts.give_up_after, len(added))
        queued = queued or bool(added)
    return queued


async def dispatch_due_async(app: AlertsHost, now: dt.datetime | None = None, *, early: bool = False) -> DispatchResult:
    """`dispatch_due` in a worker thread, so the event loop keeps running while
    apprise talks to Slack or SMTP."""
    return await asyncio.to_thread(dispatch_due, app, now, early=early)


def _drain(app: AlertsHost, name: str, rows: list[outbox.Candidate], now: dt.datetime) -> list[Outcome]:
    """Due rows first, each on its own backoff; two failures in a row and the
    channel is left alone until the next pass. Once the channel accepts a send,
    the rows still backing off are due: it is back, they need not wait."""
    out: list[Outcome] = []
    failures = 0
    released = False
    for candidate in (c for c in rows if c.due):
        outcome = _attempt(app, name, candidate.id, now)
        if outcome is None:
            continue
        out.append(outcome)
        if outcome.status == outbox.SENT and not released:
            released = True
            outbox.release(app.engine, name, now)
        failures = 0 if outcome.status == outbox.SENT else failures + 1
        if failures >= 2:
            return out
    if released:
        for candidate in (c for c in rows if not c.due):
            outcome = _attempt(app, name, candidate.id, now)
            if outcome is not None:
                out.append(outcome)
                if outcome.status != outbox.SENT:
                    break
    return out


def _attempt(app: AlertsHost, name: str, delivery_id: int, now: dt.datetime) -> Outcome | None:
    alerts = app.settings.alerts
    # The claim re-checks the row: whatever another dispatcher did since we looked wins.
    claimed = outbox.claim(app.engine, delivery_id, now, claim_ttl(app))
    if claimed is None:
        return None
    channel = app.settings.channels[name]
    if channel.format == "json":
        result = post_json(channel.url, claimed.bodies.text, timeout=alerts.send_timeout)
    else:
        result = send(channel.url, claimed.bodies, claimed.severity, timeout=alerts.send_timeout)
    # On the pass's clock (injected in tests), plus the time the send took.
    finished = now + dt.timedelta(seconds=result.seconds)
    status = outbox.finish(app.engine, claimed, ok=result.ok, error=None if result.ok else result.answer,
                           now=finished, max_attempts=alerts.max_attempts, give_up_after=alerts.give_up_after,
                           retry_after=alerts.retry_after, retry_max=alerts.retry_max)
    if result.ok:
        log.info("delivery %s sent to %s in %.2fs", claimed.id, name, result.seconds)
    else:
        log.warning("delivery %s to %s failed (attempt %d, now %s): %s", claimed.id, name,
                    claimed.attempts, status, result.answer)
    return Outcome(claimed.id, name, status, claimed.attempts, result.answer, result.seconds, claimed)
