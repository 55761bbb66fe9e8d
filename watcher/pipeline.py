"""One poll of one source, from a fetched document (or a fetch failure) to the commit.

Everything a poll writes (run, raw document, versions, changes, and whatever
`on_commit` hooks add, such as outbox rows) goes into one transaction, so a
crash at any point either loses nothing or leaves the previous state intact.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from sources.base import Source
from watcher.config import SourceSettings
from watcher.diff import diff
from watcher.guard import refusal
from watcher.model import Change, ChangeKind, Document, Observation, ParseError, Severity
from watcher.renderings import carry_unstated, renders_partially, without_additions
from watcher.severity import SeverityPolicy
from watcher.store import polls
from watcher.store.engine import write_session
from watcher.store.tables import ChangeRecord, DocumentBlob, Run

# Hooks run in order inside the poll's transaction after changes are written
# (alerts queue their outbox rows here, so a change and its deliveries commit
# together). A hook may return further change records it derived and wrote
# (disagreements): later hooks and the poll's result include them.
CommitHook = Callable[[Session, Run, Sequence[ChangeRecord], dict[str, Observation]],
                      Sequence[ChangeRecord] | None]


class OutOfOrderError(ValueError):
    """An archived capture older than what the source already recorded."""


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
        started_at = started_at or doc.fetched_at
        digest = polls.content_hash(doc.body)
        at = doc.fetched_at
        with self._transaction(source.name) as session:
            if check_order:
                latest = polls.latest_observed_at(session, source.name)
                if latest is not None and at < latest:
                    raise OutOfOrderError(
                        f"{source.name} already has a run observed at {latest.isoformat()}; "
                        f"ingest captures oldest first (this one is {at.isoformat()})"
                    )
            run = self._new_run(source, doc, trigger, started_at, digest)
            last_ok = polls.last_run(session, source.name, successful=True)
            if (last_ok is not None and last_ok.content_hash == digest
                    and last_ok.parser_version == source.parser_version):
                return self._unchanged(session, source, settings, run, clock)

            try:
                parsed = source.parse(doc)
            except ParseError as exc:
                return self._refuse(session, source, settings, run, doc, digest, f"parse error: {exc}", clock)
            previous = polls.current_versions(session, source.name)
            observations, first_rendering = parsed, False
            if renders_partially(source) and previous:
                earlier = _earlier_parse(session, source, doc.url)
                observations = carry_unstated(parsed, previous, earlier)
                first_rendering = earlier is None
            reason = refusal(observations, previous, settings.max_loss)
            if reason is not None:
                return self._refuse(session, source, settings, run, doc, digest, reason, clock)

            baseline = last_ok is None and not previous
            result = diff(
                source.name, previous, observations,
                absences=polls.absences(session, source.name),
                delist_after=settings.delist_after, baseline=baseline,
            )
            found = without_additions(result.changes) if first_rendering else result.changes
            polls.store_document(session, doc, digest, at)
            run.outcome = "baseline" if baseline else ("changed" if result.changes or result.upserts else "unchanged")
            run.rows = len({obs.key for obs in parsed})
            polls.add_run(session, run)
            assert run.id is not None
            polls.apply_versions(session, source=source.name, run_id=run.id, at=at, upserts=result.upserts,
                                 delisted=result.delisted, absences_now=result.absences)
            by_key = {**previous, **{obs.key: obs for obs in observations}}
            changes = self._assess(found, by_key, at)
            changes += self._recovery(session, source.name, run, last_ok)
            return self._finish(session, run, changes, by_key, clock)

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
            return self._unchanged(session, source, settings, run, clock, outcome="not_modified")

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

    def _unchanged(self, session: Session, source: Source, settings: SourceSettings, run: Run,
                   clock: float, outcome: str = "unchanged") -> PollResult:
        """Same body as the last successful run: no parse, no versions; pending absences age."""
        last_ok = polls.last_run(session, source.name, successful=True)
        run.outcome = outcome
        run.rows = last_ok.rows if last_ok else None
        polls.add_run(session, run)
        assert run.id is not None
        changes: list[Change] = []
        by_key: dict[str, Observation] = {}
        pending = polls.absences(session, source.name)
        if pending:
            previous = polls.current_versions(session, source.name)
            still_there = [obs for key, obs in previous.items() if key not in pending]
            result = diff(source.name, previous, still_there, absences=pending,
                          delist_after=settings.delist_after)
            polls.apply_versions(session, source=source.name, run_id=run.id, at=run.observed_at, upserts=[],
                                 delisted=result.delisted, absences_now=result.absences)
            by_key = previous
            changes = self._assess(result.changes, by_key, run.observed_at)
        changes += self._recovery(session, source.name, run, last_ok)
        return self._finish(session, run, changes, by_key, clock)

    def _refuse(self, session: Session, source: Source, settings: SourceSettings, run: Run,
                doc: Document, digest: str, reason: str, clock: float) -> PollResult:
        """Keep the evidence (raw document, run), change no history, say so once per streak."""
        polls.store_document(session, doc, digest, doc.fetched_at)
        run.outcome = "refused"
        run.error = reason
        polls.add_run(session, run)
        last_ok = polls.last_run(session, source.name, successful=True)
        already = _health_alerted_since(session, source.name, last_ok)
        changes = [] if already else [_health(source.name, "ok", f"refused: {reason}", None)]
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
        session.add(run)
        session.flush()
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


def _earlier_parse(session: Session, source: Source, url: str) -> list[Observation] | None:
    """What the rendering at `url` stated at its last successful poll (None: never, or not kept)."""
    run = polls.last_run_from(session, source.name, url)
    blob = session.get(DocumentBlob, run.content_hash) if run is not None and run.content_hash else None
    body = polls.load_document(session, blob.sha256) if blob is not None else None
    if run is None or blob is None or body is None:
        return None
    try:
        return source.parse(Document(source=source.name, url=url, body=body, fetched_at=run.observed_at,
                                     content_type=blob.content_type or "", http_status=run.http_status or 200))
    except ParseError:
        return None


def _health_alerted_since(session: Session, source: str, last_ok: Run | None) -> bool:
    """Has a failing/refused alert been raised since the last successful run?"""
    query = select(ChangeRecord.id).where(
        ChangeRecord.source == source, ChangeRecord.kind == ChangeKind.SOURCE_HEALTH.value,
        col(ChangeRecord.new) != "ok",
    )
    if last_ok is not None:
        query = query.where(col(ChangeRecord.run_id) > last_ok.id)
    return session.exec(query.limit(1)).first() is not None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
