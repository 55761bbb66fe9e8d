"""Re-parse: rebuild a source's derived history from the raw documents it kept.

After a parser fix, the versions and changes a source recorded may be wrong.
Parsing is a pure function of the stored bytes, so they can be rebuilt: every
run that kept its document is replayed in order, through the same guard and
diff a live poll uses, in one transaction. What a run *was* (when, what body,
fetch errors, source-health alerts) stays; what was *derived* from its body
(versions, field changes, the run's outcome and row count) is recomputed.
Nothing is queued for delivery: a rebuilt change is history, not news.

Where retention pruned old documents, the replay starts at the oldest run from
which every later document is still kept, on top of the versions as they stood
then. Backfilling archives older than the recorded history uses the same
machinery: store the captures as runs, then replay from the oldest one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

from sqlalchemy import Engine
from sqlmodel import Session

from sources.base import Source
from watcher.config import SourceSettings
from watcher.model import DIFF_KIND_NAMES, Change, Document, Observation
from watcher.poll.pipeline import parse, rules
from watcher.poll.renderings import rendering
from watcher.poll.step import SAME_BODY, Before, poll_step
from watcher.severity import SeverityPolicy
from watcher.store import documents, polls, rebuild
from watcher.store.engine import write_session
from watcher.store.tables import Run

# The change kinds a diff derives from a body; the others (source_health, deadline,
# disagreement) are about the run or the calendar and are kept as recorded.
DERIVED_KINDS: Final = DIFF_KIND_NAMES
_REPLAYABLE: Final = (*polls.SUCCESS_OUTCOMES, "refused")


class ReplayError(ValueError):
    """The history cannot be rebuilt as asked; the message says why."""


@dataclasses.dataclass(frozen=True, slots=True)
class Tally:
    before: int
    after: int
    removed: int  # present before, gone after
    added: int  # new after


@dataclasses.dataclass(frozen=True, slots=True)
class ReplayReport:
    source: str
    parser_version: str
    replayed_from: dt.datetime  # observed_at of the first replayed run
    partial: bool  # older runs' documents were pruned: history before replayed_from kept as is
    runs: int  # runs whose body was parsed (or recognised unchanged) again
    outcomes_changed: int  # runs whose outcome is now different (e.g. refused -> changed)
    versions: Tally
    changes: Tally
    current_rows: tuple[int, int]
    dry_run: bool = False

    def rows(self) -> list[dict[str, Any]]:
        """The report as a listing: one row per measure, before and after."""
        return [
            {"measure": "versions", "before": self.versions.before, "after": self.versions.after,
             "removed": self.versions.removed, "added": self.versions.added},
            {"measure": "changes", "before": self.changes.before, "after": self.changes.after,
             "removed": self.changes.removed, "added": self.changes.added},
            {"measure": "current rows", "before": self.current_rows[0], "after": self.current_rows[1],
             "removed": None, "added": None},
        ]


class _DryRun(Exception):
    def __init__(self, report: ReplayReport) -> None:
        self.report = report


def reparse(engine: Engine, source: Source, settings: SourceSettings, policy: SeverityPolicy, *,
            dry_run: bool = False) -> ReplayReport:
    """Rebuild `source`'s versions and changes from its kept documents, in one transaction."""
    try:
        with write_session(engine) as session:
            report = replay(session, source, settings, policy)
            if dry_run:
                raise _DryRun(dataclasses.replace(report, dry_run=True))
            return report
    except _DryRun as rolled_back:
        return rolled_back.report


def replay(session: Session, source: Source, settings: SourceSettings, policy: SeverityPolicy, *,
           require_from: dt.datetime | None = None, merged: Collection[int] | None = None) -> ReplayReport:
    """Replay inside the caller's transaction. `require_from`: fail unless the replay reaches back that far.

    `merged`: the ids of archived runs just inserted into older history (a backfill).
    The runs recorded before them keep their verdict: one believed stays believed
    (its changes are re-derived against the fuller past) and one refused stays
    refused, so ingesting old captures never freezes the live source or thaws it.
    A plain reparse (a parser fix) judges every run again.
    """
    polls.lock_source(session, source.name)
    rebuild.lock_versions(session)
    runs = rebuild.runs_in_order(session, source.name)
    start = _start(session, runs)
    if start is None:
        raise ReplayError(f"{source.name}: no raw documents are kept, nothing to re-parse")
    since = runs[start].observed_at
    if require_from is not None and since > require_from:
        raise ReplayError(
            f"{source.name}: cannot rebuild history from {require_from.isoformat()}: raw documents of "
            f"runs before {since.isoformat()} were pruned"
        )
    before_versions, before_changes = _versions(session, source.name), _changes(session, source.name)
    before_rows = rebuild.current_row_count(session, source.name)
    partial = any(r.outcome in _REPLAYABLE for r in runs[:start])
    replayable = sum(1 for r in runs[start:] if r.outcome in _REPLAYABLE and r.content_hash)
    rebuild.reset_derived(session, source.name, since, DERIVED_KINDS)
    verdicts: dict[int | None, str] = {}
    if merged is not None:
        verdicts = {r.id: "refused" if r.outcome == "refused" else "believed"
                    for r in runs[start:] if r.id not in merged and r.outcome in _REPLAYABLE}
    replayer = _Replayer(session, source, settings, policy, verdicts=verdicts,
                         baseline=not any(r.outcome in polls.SUCCESS_OUTCOMES for r in runs[:start]))
    outcomes_changed = sum(replayer.run(run) for run in runs[start:])
    rebuild.flush(session)
    after_versions, after_changes = _versions(session, source.name), _changes(session, source.name)
    return ReplayReport(
        source=source.name, parser_version=source.parser_version, replayed_from=since, partial=partial,
        runs=replayable, outcomes_changed=outcomes_changed,
        versions=_tally(before_versions, after_versions), changes=_tally(before_changes, after_changes),
        current_rows=(before_rows, rebuild.current_row_count(session, source.name)),
    )


class _Replayer:
    """Stored runs through the poll step (watcher.poll.step), with the state a live poll would have read."""

    def __init__(self, session: Session, source: Source, settings: SourceSettings, policy: SeverityPolicy,
                 *, baseline: bool, verdicts: Mapping[int | None, str]) -> None:
        self.session, self.source, self.policy = session, source, policy
        self.verdicts = verdicts
        self.rules = rules(source, settings)
        self.previous = polls.current_versions(session, source.name)
        self.absences: dict[str, int] = {}
        self.baseline = baseline and not self.previous
        self.last_ok_hash: str | None = None
        self.last_ok_rows: int | None = None
        self.parsed: tuple[str, list[Observation] | str] | None = None  # the last parse, by hash
        self.stated: dict[str, Sequence[Observation]] = {}  # each rendering's last parse
        self.kept_changes = rebuild.kept_change_counts(session, source.name, DERIVED_KINDS)

    def run(self, run: Run) -> bool:
        """Replay one run; True when its outcome changed."""
        if run.outcome not in _REPLAYABLE or run.content_hash is None:
            return False  # a failed fetch: no body, no history
        old_outcome = run.outcome
        same = run.content_hash == self.last_ok_hash
        parsed = SAME_BODY if same else self._parse(run)
        kind = rendering(run.url, self._content_type(run.content_hash)) if self.rules.partial_renderings else ""
        before = Before(previous=self.previous, absences=self.absences, baseline=self.baseline,
                        earlier=self.stated.get(kind))
        verdict = self.verdicts.get(run.id)
        if verdict == "refused":  # a recorded refusal that must stand (see `replay`)
            self._record(run, [])
            run.parser_version = self.source.parser_version
            rebuild.stage_run(self.session, run)
            return False
        step = poll_step(parsed, before, self.rules, accept=run.trigger == "accept" or verdict == "believed")
        if not step.believed:
            run.outcome, run.error, run.rows = "refused", step.error, None
            self._record(run, [])
        else:
            if step.outcome != "unchanged" or old_outcome != "not_modified":  # a 304 that changes nothing stays one
                run.outcome = step.outcome
            run.error = None
            if step.rows is not None:
                self.last_ok_rows = step.rows
            run.rows = self.last_ok_rows
            self._apply(run, step.upserts, step.delisted, dict(step.absences))
            if step.stated is not None:
                self.baseline = False
                self.last_ok_hash = run.content_hash
                self.stated[kind] = step.stated
            self._record(run, step.changes, dict(step.by_key))
        run.parser_version = self.source.parser_version
        rebuild.stage_run(self.session, run)
        return run.outcome != old_outcome and {run.outcome, old_outcome} != {"unchanged", "not_modified"}

    def _content_type(self, digest: str) -> str | None:
        return documents.content_type(self.session, digest)

    def _parse(self, run: Run) -> list[Observation] | str:
        """Observations, or why the body could not be parsed; the same body is parsed once in a row."""
        assert run.content_hash is not None
        if self.parsed is not None and self.parsed[0] == run.content_hash:
            return self.parsed[1]
        stored = documents.document_for_parse(self.session, run.content_hash)
        assert stored is not None
        body, content_type = stored
        doc = Document(source=self.source.name, url=run.url or "", body=body, fetched_at=run.observed_at,
                       content_type=content_type or "", http_status=run.http_status or 200,
                       etag=run.etag, last_modified=run.last_modified)
        result = parse(self.source, doc)
        self.parsed = (run.content_hash, result)
        return result

    def _apply(self, run: Run, upserts: Sequence[Observation], delisted: Sequence[str],
               absences: dict[str, int]) -> None:
        assert run.id is not None
        if not (upserts or delisted or absences or self.absences):
            return
        polls.apply_versions(self.session, source=self.source.name, run_id=run.id, at=run.observed_at,
                             upserts=upserts, delisted=delisted, absences_now=absences)
        for obs in upserts:
            self.previous[obs.key] = obs
        for key in delisted:
            self.previous.pop(key, None)
        self.absences = dict(absences)

    def _record(self, run: Run, changes: Sequence[Change], by_key: dict[str, Observation] | None = None) -> None:
        by_key = by_key if by_key is not None else self.previous
        today = run.observed_at.date()
        assessed = [self.policy.assess(change, by_key.get(change.key), today) for change in changes]
        polls.add_changes(self.session, assessed, run_id=run.id, at=run.observed_at)
        run.changes = len(assessed) + self.kept_changes.get(run.id, 0)


def _start(session: Session, runs: Sequence[Run]) -> int | None:
    """Index of the oldest run from which every replayable run still has its document."""
    hashes = {r.content_hash for r in runs if r.outcome in _REPLAYABLE and r.content_hash}
    kept = rebuild.kept_documents(session, hashes)
    start: int | None = None
    for index in range(len(runs) - 1, -1, -1):
        run = runs[index]
        if run.outcome not in _REPLAYABLE or run.content_hash is None:
            continue
        if run.content_hash not in kept:
            break
        start = index
    return start


def _versions(session: Session, source: str) -> Counter[tuple[Any, ...]]:
    return rebuild.version_tuples(session, source)


def _changes(session: Session, source: str) -> Counter[tuple[Any, ...]]:
    return rebuild.change_tuples(session, source, DERIVED_KINDS)


def _tally(before: Counter[tuple[Any, ...]], after: Counter[tuple[Any, ...]]) -> Tally:
    return Tally(before=sum(before.values()), after=sum(after.values()),
                 removed=sum((before - after).values()), added=sum((after - before).values()))
