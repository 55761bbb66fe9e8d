"""Queuing alerts inside the transaction that recorded the changes.

`OutboxHook` is the pipeline's commit hook: a poll's changes and the outbox rows
announcing them commit together, or not at all. Sending happens later, from the
outbox (`watcher.alerts.dispatch`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Sequence

from sqlmodel import Session

from watcher.alerts import flapping, outbox, silences, structured, welcome
from watcher.alerts.digest import build
from watcher.alerts.items import AlertItem, fingerprint, item
from watcher.alerts.render import render
from watcher.alerts.routing import route
from watcher.config import Settings
from watcher.model import ChangeKind, Observation
from watcher.store import alert_history
from watcher.store import silences as silence_rows
from watcher.store.tables import ChangeRecord, Delivery, Run

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class Queued:
    deliveries: tuple[int, ...]  # ids of rows added now
    duplicates: int  # rows another process had already queued


def queue_items(session: Session, settings: Settings, items: Sequence[AlertItem], *, kind: str,
                today: dt.date, anchor: Callable[[AlertItem], str], now: dt.datetime) -> Queued:
    """Route, digest and render `items`; add one outbox row per (route, channel)."""
    added: list[int] = []
    duplicates = 0
    # Channels of one route usually carry the same items: render those once.
    rendered: dict[tuple[str, tuple[int, ...]], dict[str, object]] = {}
    documents: dict[tuple[str, tuple[int, ...]], str] = {}  # for `format = "json"` channels
    on = [name for name, channel in settings.channels.items() if channel.enabled]
    for batch in route(items, settings.routes, on):
        ids = tuple(i.change_id for i in batch.items)
        if (batch.route, ids) not in rendered:
            digest = build(batch.items, kind=kind, today=today, max_items=settings.alerts.digest_max_items,
                           when=batch.when)
            bodies = render(digest, batch.route)
            rendered[(batch.route, ids)] = {
                "route": batch.route, "kind": digest.kind, "severity": digest.severity.value, "title": bodies.title,
                "body_text": bodies.text, "body_markdown": bodies.markdown, "body_html": bodies.html,
                "change_ids": json.dumps(digest.change_ids),
            }
            documents[(batch.route, ids)] = structured.digest_document(digest, title=bodies.title,
                                                                       route=batch.route)
        fields = rendered[(batch.route, ids)]
        if settings.channels[batch.channel].format == "json":
            fields = {**fields, "body_text": documents[(batch.route, ids)]}
        delivery = Delivery(
            **fields,  # type: ignore[arg-type]
            channel=batch.channel,
            dedupe_key=dedupe_key(str(fields["kind"]), batch.channel,
                                  [fingerprint(i, anchor(i)) for i in batch.items]),
            status=outbox.PENDING, attempts=0, next_attempt_at=now, created_at=now,
        )
        if outbox.queue(session, delivery):
            assert delivery.id is not None
            added.append(delivery.id)
        else:
            duplicates += 1
    return Queued(deliveries=tuple(added), duplicates=duplicates)


def dedupe_key(kind: str, channel: str, fingerprints: Sequence[str]) -> str:
    """Same news for the same channel → same key, whichever process recorded it."""
    digest = hashlib.sha256("\x1e".join([kind, channel, *sorted(fingerprints)]).encode()).hexdigest()
    return f"{kind}:{channel}:{digest[:40]}"


def hold_silenced(session: Session, records: Sequence[ChangeRecord], observations: dict[str, Observation],
                  at: dt.datetime) -> list[ChangeRecord]:
    """Mark the records a silence covers; returns the ones still to be alerted."""
    active = silences.active(session, at)
    if not active:
        return list(records)
    loud: list[ChangeRecord] = []
    marked: list[ChangeRecord] = []
    for record in records:
        obs = observations.get(record.key)
        names = [record.model, record.key]
        if obs is not None:
            names += [obs.model, obs.source_id, *obs.aliases]
        held = silences.holding(active, record.source, names)
        if held is None:
            loud.append(record)
        else:
            record.silence_id = held.id
            marked.append(record)
    silence_rows.record_held(session, marked)
    return loud


@dataclasses.dataclass(frozen=True, slots=True)
class OutboxHook:
    """The pipeline's commit hook (see `watcher.poll.pipeline.CommitHook`)."""

    settings: Settings

    def __call__(self, session: Session, run: Run, records: Sequence[ChangeRecord],
                 observations: dict[str, Observation]) -> None:
        # A backfill replays the past: alerting on it would page people about old news.
        if run.trigger == "ingest":
            return
        on = [name for name, channel in self.settings.channels.items() if channel.enabled]
        if on and welcome.first_round_complete(session, self.settings, run):
            welcome.queue(session, self.settings, on, run.observed_at.date(), _now())
        if run.outcome == "baseline":
            # The first poll of a source records what it found (and the disagreements
            # that causes) without alerting: the hello message sums it up instead.
            # A source that failed before its first success still says it recovered.
            records = [r for r in records if r.kind == ChangeKind.SOURCE_HEALTH.value]
        if not records:
            return
        if _reread(session, run):
            # The page did not change, our reading of it did (a parser upgrade, a
            # json-catalog option edited): history records it, nobody is paged.
            records = [r for r in records if r.kind == ChangeKind.SOURCE_HEALTH.value]
            if not records:
                return
        loud = hold_silenced(session, records, observations, run.observed_at)
        if not loud or not any(channel.enabled for channel in self.settings.channels.values()):
            return
        rule = flapping.Rule(self.settings.alerts.flapping_changes, self.settings.alerts.flapping_window)
        news, starts, held = flapping.damp(session, loud, rule)
        if held:
            log.info("%s: %d changes not alerted: flapping (%s)", run.source, len(held), rule.describe())
        watchlist = self.settings.watchlist
        items = [item(r, observations.get(r.key), watchlist, fallback_url=run.url) for r in news]
        items += [dataclasses.replace(item(r, observations.get(r.key), watchlist, fallback_url=run.url),
                                      note=f"flapping: {rule.describe()}") for r in starts]
        if not items:
            return
        queued = queue_items(session, self.settings, items, kind="digest", today=run.observed_at.date(),
                             anchor=_anchors(session, run, items), now=_now())
        log.info("%s: %d changes, %d silenced, %d flapping, %d deliveries queued%s", run.source, len(records),
                 len(records) - len(loud), len(starts) + len(held), len(queued.deliveries),
                 f", {queued.duplicates} already queued" if queued.duplicates else "")


def _reread(session: Session, run: Run) -> bool:
    """Is `run` the same body as the source's previous successful run, read by another parser version?"""
    if run.content_hash is None:
        return False
    previous = alert_history.previous_successful_run(session, run.source, run.id or 0)
    return (previous is not None and previous.content_hash == run.content_hash
            and previous.parser_version != run.parser_version)


def _anchors(session: Session, run: Run, items: Sequence[AlertItem]) -> Callable[[AlertItem], str]:
    """What a change supersedes, so that the same news gets the same dedupe key.

    A change to a row ends the row's version current before the run (the one
    this run closed, or the last one ever for a relisting; nothing for a first
    listing). Two pollers racing on one source diff against the same past, so
    their changes end the same version: one delivery. The same transition
    happening again later (A→B, B→A, A→B) ends another version each time: new
    news, whatever bytes it came in. Health changes end the source's last
    successful run and last health change (a second failure streak, or the daily
    repeat of a refusal, is news even when the error is the same), and derived
    changes (disagreements, clock runs) are anchored on their own run.
    """
    last_ok = alert_history.last_successful_run_id(session, run.source, run.id or 0)
    own = f"run:{run.id}"
    # A health change ends the source's previous one (a recovery, the first alert of
    # a streak that a daily repeat follows): a new streak or a repeat is news again.
    last_health = alert_history.last_change_id(session, run.source, ChangeKind.SOURCE_HEALTH.value, run.id or 0)
    streak = f"after-run:{last_ok}/after-health:{last_health}"
    ended = _ended_versions(session, run, sorted({i.key for i in items if _about_a_row(i, run)}))

    def anchor(i: AlertItem) -> str:
        if i.kind is ChangeKind.SOURCE_HEALTH:
            return streak
        if not _about_a_row(i, run):
            return own
        return f"ends:{ended.get(i.key, 'nothing')}"

    return anchor


def _about_a_row(i: AlertItem, run: Run) -> bool:
    return i.source == run.source and i.kind not in (ChangeKind.SOURCE_HEALTH, ChangeKind.DISAGREEMENT)


def _ended_versions(session: Session, run: Run, keys: Sequence[str]) -> dict[str, int]:
    """Per key of `run.source`: the newest version written before `run` (the one its changes end)."""
    return alert_history.newest_versions_before(session, run.source, keys, run.id or 0)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
