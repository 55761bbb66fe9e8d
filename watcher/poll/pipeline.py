"""One poll of one source, from a fetched document (or a fetch failure) to the commit.

Everything a poll writes (run, raw document, versions, changes, and whatever
`on_commit` hooks add, such as outbox rows) goes into one transaction, so a
crash at any point either loses nothing or leaves the previous state intact.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator, Sequence

from sqlalchemy import Engine
from sqlmodel import Session

from sources.base import Source
from watcher.config import SourceSettings
from watcher.model import (
    Change,
    ChangeKind,
    Document,
    Observation,
    ParseError,
    Severity,
)
from watcher.poll.renderings import rendering, renders_partially
from watcher.poll.step import SAME_BODY, Before, Rules, Step, poll_step, preview_text
from watcher.severity import SeverityPolicy
from watcher.store import bodies, documents, polls, source_health
from watcher.store.engine import write_session
from watcher.store.tables import ChangeRecord, Run

log = logging.getLogger(__name__)

# Hooks run in order inside the poll's transaction after changes are written
# (alerts queue their outbox rows here, so a change and its deliveries commit
# together). A hook may return further change records it derived and wrote
# (disagreements): later hooks and the poll's result include them.
CommitHook = Callable[[Session, Run, Sequence[ChangeRecord], dict[str, Observation]],
                      Sequence[ChangeRecord] | None]


class OutOfOrderError(ValueError):
    """An archived capture older than what the source already recorded."""


class AcceptError(ValueError):
    """`watcher accept` cannot believe the refused body; the message says why."""


def parse(source: Source, doc: Document) -> list[Observation] | str:
    """The source's parse of `doc`, or why it could not be parsed."""
    try:
        return source.parse(doc)
    except ParseError as exc:
        return str(exc)


def rules(source: Source, settings: SourceSettings) -> Rules:
    return Rules(source=source.name, max_loss=settings.max_loss, delist_after=settings.delist_after,
                 partial_renderings=renders_partially(source))


@dataclasses.dataclass(frozen=True, slots=True)
class PollResult:
    source: str
    run_id: int
    outcome: str  # baseline, changed, unchanged, not_modified, failed, refused
    observed_at: dt.datetime
    rows: int | None = None
    changes: tuple[ChangeRecord, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in polls.SUCCESS_OUTCOMES


@dataclasses.dataclass(frozen=True, slots=True)
class Poller:
    """What a poll needs besides the document: where to write and how to judge."""

    engine: Engine
    policy: SeverityPolicy = SeverityPolicy()
    hooks: tuple[CommitHook, ...] = ()

    def record_document(
        self,
        source: Source,
        settings: SourceSettings,
        doc: Document,
        *,
        trigger: str = "poll",
        started_at: dt.datetime | None = None,
        check_order: bool = False,
    ) -> PollResult:
        """Record a fetched (or archived) body: parse, guard, diff, store; one transaction."""
        clock = time.perf_counter()
        digest = polls.content_hash(doc.body)
        with self._transaction(source.name) as session:
            if check_order:
                latest = polls.latest_observed_at(session, source.name)
                if latest is not None and doc.fetched_at < latest:
                    raise OutOfOrderError(
                        f"{source.name} already has a run observed at {latest.isoformat()}: a capture older "
                        f"than the recorded history ({doc.fetched_at.isoformat()}) is merged by ingesting "
                        f"its directory (watcher ingest {source.name} DIR), which rebuilds the history in order"
                    )
            run = self._new_run(source, doc, trigger, started_at or doc.fetched_at, digest)
            last_ok = polls.last_run(session, source.name, successful=True)
            same = (last_ok is not None and last_ok.content_hash == digest
                    and last_ok.parser_version == source.parser_version)
            parsed = SAME_BODY if same else parse(source, doc)
            before = self._unchanged(session, source) if same else self._before(session, source, last_ok, doc)
            step = poll_step(parsed, before, rules(source, settings))
            if parsed is not SAME_BODY:
                documents.store_document(session, doc, digest, doc.fetched_at)
            return self._record(session, source, settings, run, step, last_ok, clock)

    def accept(self, source: Source, settings: SourceSettings, *, at: dt.datetime) -> PollResult | None:
        """Believe the source's latest refused body (`watcher accept`); None when nothing is refused.

        Its versions and changes are recorded once, by a run of its own (trigger
        `accept`, observed now, the refused body's hash), with a source_health
        change marking them as an accepted mass change; the outbox sends them as
        one digest. A reparse replays that run the same way.
        """
        clock = time.perf_counter()
        with self._transaction(source.name) as session:
            refused = polls.refused_run(session, source.name)
            if refused is None or refused.content_hash is None:
                return None
            body = documents.load_document(session, refused.content_hash)
            if body is None:
                return None
            content_type = documents.content_type(session, refused.content_hash)
            doc = Document(source=source.name, url=refused.url or "", body=body, fetched_at=at,
                           content_type=content_type or "",
                           http_status=refused.http_status or 200, etag=refused.etag,
                           last_modified=refused.last_modified)
            last_ok = polls.last_run(session, source.name, successful=True)
            step = poll_step(parse(source, doc), self._before(session, source, last_ok, doc),
                             rules(source, settings), accept=True)
            if not step.believed:
                raise AcceptError(f"{source.name}: the refused body cannot be believed: {step.error}")
            run = self._new_run(source, doc, "accept", at, refused.content_hash)
            note = (f"accepted mass change: {len(step.changes)} changes believed from the body refused "
                    f"since {polls.refused_since(session, source.name) or refused.observed_at:%Y-%m-%d %H:%M}Z "
                    f"({refused.error})")
            return self._record(session, source, settings, run, step, last_ok, clock,
                                health=[_health(source.name, "refused", "ok", note)])

    def record_failure(
        self,
        source: Source,
        settings: SourceSettings,
        *,
        error: str,
        url: str | None,
        http_status: int | None = None,
        at: dt.datetime,
        trigger: str = "poll",
    ) -> PollResult:
        """A fetch that produced no usable body: history stays as it was."""
        clock = time.perf_counter()
        with self._transaction(source.name) as session:
            run = Run(source=source.name, trigger=trigger, started_at=at, observed_at=at, outcome="failed",
                      url=url, http_status=http_status, error=error, parser_version=source.parser_version)
            polls.add_run(session, run)
            failures = polls.consecutive_failures(session, source.name)
            changes: list[Change] = []
            last_ok = polls.last_run(session, source.name, successful=True)
            if failures >= settings.failures_before_alert and not _health_alerted_since(session, source.name, last_ok):
                changes.append(_health(source.name, "ok", f"failing: {error}",
                                       f"{failures} consecutive failed polls"))
            return self._finish(session, run, self._assess(changes, {}, at), {}, clock)

    def record_not_modified(self, source: Source, settings: SourceSettings, *, url: str,
                            at: dt.datetime, trigger: str = "poll") -> PollResult:
        """A 304: the body we already have is still current."""
        clock = time.perf_counter()
        with self._transaction(source.name) as session:
            last_ok = polls.last_run(session, source.name, successful=True)
            run = Run(source=source.name, trigger=trigger, started_at=at, observed_at=at, outcome="not_modified",
                      url=url, http_status=304, parser_version=source.parser_version,
                      content_hash=last_ok.content_hash if last_ok else None,
                      etag=last_ok.etag if last_ok else None,
                      last_modified=last_ok.last_modified if last_ok else None)
            step = poll_step(SAME_BODY, self._unchanged(session, source), rules(source, settings))
            return self._record(session, source, settings, run, step, last_ok, clock)

    # --- the parts -------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self, source: str) -> Iterator[Session]:
        """The poll's one transaction, holding the source's writer lock throughout."""
        with write_session(self.engine) as session:
            polls.lock_source(session, source)
            yield session

    @staticmethod
    def _new_run(source: Source, doc: Document, trigger: str, started_at: dt.datetime, digest: str) -> Run:
        return Run(source=source.name, trigger=trigger, started_at=started_at, observed_at=doc.fetched_at,
                   outcome="changed", url=doc.url, http_status=doc.http_status, bytes=len(doc.body),
                   etag=doc.etag, last_modified=doc.last_modified, content_hash=digest,
                   parser_version=source.parser_version)

    def _before(self, session: Session, source: Source, last_ok: Run | None, doc: Document | None) -> Before:
        """The state the step judges `doc` against (None: the body last believed, not parsed again)."""
        previous = polls.current_versions(session, source.name)
        earlier = (_earlier_parse(session, source, doc)
                   if doc is not None and renders_partially(source) and previous else None)
        return Before(previous=previous, absences=polls.absences(session, source.name),
                      baseline=last_ok is None and not previous, earlier=earlier)

    def _unchanged(self, session: Session, source: Source) -> Before:
        """The state a body the source last believed (or a 304) is judged against.

        Such a body is not parsed: all the step does with it is age pending absences.
        With none pending it changes nothing, so the current versions (thousands of
        rows for a catalog, read and dropped every poll: transient megabytes the
        allocator keeps) and the rendering's earlier parse are not read at all.
        """
        absences = polls.absences(session, source.name)
        if not absences:
            return Before(previous={}, absences={}, baseline=False)
        return Before(previous=polls.current_versions(session, source.name), absences=absences, baseline=False)

    def _record(self, session: Session, source: Source, settings: SourceSettings, run: Run, step: Step,
                last_ok: Run | None, clock: float, *, health: Sequence[Change] = ()) -> PollResult:
        """Write what the step decided: the run, versions and changes, or a refusal."""
        if not step.believed:
            return self._refuse(session, source, settings, run, step, last_ok, clock)
        if step.outcome != "unchanged" or run.outcome != "not_modified":  # a 304 that changes nothing stays one
            run.outcome = step.outcome
        run.rows = step.rows if step.rows is not None else (last_ok.rows if last_ok else None)
        polls.add_run(session, run)
        assert run.id is not None
        if step.stated is not None or step.delisted or step.absences or polls.absences(session, source.name):
            polls.apply_versions(session, source=source.name, run_id=run.id, at=run.observed_at,
                                 upserts=step.upserts, delisted=step.delisted, absences_now=step.absences)
        by_key = dict(step.by_key)
        changes = self._assess([*health, *step.changes], by_key, run.observed_at)
        if not health:
            changes += self._recovery(session, source.name, run, last_ok)
        return self._finish(session, run, changes, by_key, clock)

    def _refuse(self, session: Session, source: Source, settings: SourceSettings, run: Run, step: Step,
                last_ok: Run | None, clock: float) -> PollResult:
        """Keep the evidence (raw document, run), change no history, and say so.

        The alert says what believing the body would have reported, and is repeated
        every `refused_alert_every` while the source stays refused, never more often.
        """
        run.outcome = "refused"
        run.error = step.error
        polls.add_run(session, run)
        last_alert = _health_alerted_at(session, source.name, last_ok)
        changes: list[Change] = []
        if last_alert is None or run.observed_at - last_alert >= settings.refused_alert_every:
            since = polls.refused_since(session, source.name) or run.observed_at
            note = preview_text(step.preview) if step.preview else None
            if last_alert is not None:
                note = f"still refused since {since:%Y-%m-%d %H:%M}Z" + (f"; {note}" if note else "")
            changes.append(_health(source.name, "ok", f"refused: {step.error}", note))
        return self._finish(session, run, self._assess(changes, {}, run.observed_at), {}, clock)

    def _recovery(self, session: Session, source: str, run: Run, last_ok: Run | None) -> list[Change]:
        if not _health_alerted_since(session, source, last_ok):
            return []
        return self._assess([_health(source, "failing", "ok", "recovered")], {}, run.observed_at)

    def _assess(self, changes: Sequence[Change], by_key: dict[str, Observation], at: dt.datetime) -> list[Change]:
        today = at.date()
        return [self.policy.assess(change, by_key.get(change.key), today) for change in changes]

    def _finish(self, session: Session, run: Run, changes: Sequence[Change],
                by_key: dict[str, Observation], clock: float) -> PollResult:
        run.changes = len(changes)
        run.finished_at = run.observed_at if run.trigger == "ingest" else _now()
        run.duration_ms = int((time.perf_counter() - clock) * 1000)
        polls.add_run(session, run)
        records = polls.add_changes(session, changes, run_id=run.id, at=run.observed_at)
        for hook in self.hooks:
            records = [*records, *(hook(session, run, records, by_key) or ())]
        run.changes = len(records)
        assert run.id is not None
        return PollResult(source=run.source, run_id=run.id, outcome=run.outcome, observed_at=run.observed_at,
                          rows=run.rows, changes=tuple(records), error=run.error)


def _health(source: str, old: str, new: str, note: str | None) -> Change:
    return Change(source=source, key=source, provider=None, model=None, kind=ChangeKind.SOURCE_HEALTH,
                  field="health", old=old, new=new, severity=Severity.WARNING, note=note)


def _earlier_parse(session: Session, source: Source, doc: Document) -> list[Observation] | None:
    """What `doc`'s rendering stated at its last successful poll (None: never, or not kept)."""
    kind = rendering(doc.url, doc.content_type)
    for run, content_type in polls.last_runs_with_body(session, source.name):
        if rendering(run.url, content_type) != kind:
            continue
        assert run.content_hash is not None
        try:
            body = documents.load_document(session, run.content_hash)
        except bodies.MissingBaseError as exc:
            log.warning("poll %s: the earlier rendering cannot be read back (%s): compared as not kept",
                        source.name, exc)
            return None
        if body is None:
            return None
        parsed = parse(source, Document(source=source.name, url=run.url or "", body=body,
                                        fetched_at=run.observed_at, content_type=content_type or "",
                                        http_status=run.http_status or 200))
        return None if isinstance(parsed, str) else parsed
    return None


def _health_alerted_since(session: Session, source: str, last_ok: Run | None) -> bool:
    """Has a failing/refused alert been raised since the last successful run?"""
    return _health_alerted_at(session, source, last_ok) is not None


def _health_alerted_at(session: Session, source: str, last_ok: Run | None) -> dt.datetime | None:
    """When the latest failing/refused alert since the last successful run was raised."""
    return source_health.last_unhealthy_at(session, source, ChangeKind.SOURCE_HEALTH.value,
                                           after_run=last_ok.id if last_ok is not None else None)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
