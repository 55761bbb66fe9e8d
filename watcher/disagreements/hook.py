"""Disagreements in the flow: a commit hook evaluated after every poll of any
source, and `check_disagreements` for the daemon to run daily, because a
shutdown date passing changes nothing any source says.

Both write their `disagreement` changes inside the transaction that triggered
them and hand them on to the hooks that follow (the alerts outbox), so a
disagreement and its deliveries commit together. Which disagreements are open
is derived from the change table itself: no extra state to drift.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Final

from sqlmodel import Session

from sources.registry import reference_sources
from watcher.disagreements.rules import (
    Disagreement,
    Kind,
    Official,
    Open,
    effective_shutdowns,
    find,
    open_from_history,
    reconcile,
)
from watcher.model import Change, Observation
from watcher.severity import SeverityPolicy
from watcher.store import polls
from watcher.store.disagreements import (
    catalog_rows,
    dated_sources,
    disagreement_history,
    latest_observation,
    official_rows,
)
from watcher.store.engine import write_session
from watcher.store.tables import ChangeRecord, Run

if TYPE_CHECKING:
    from watcher.poll.pipeline import Poller

# `run.source` of the daily clock check, so its changes hang off a run like any other.
CLOCK_SOURCE: Final = "disagreements"


def open_disagreements(session: Session) -> dict[tuple[str, str, str], Open]:
    """The disagreements reported and not yet resolved, derived from the change table."""
    return open_from_history(disagreement_history(session))


def evaluate(session: Session, today: dt.date, policy: SeverityPolicy,
             official_sources: Collection[str] | None = None) -> list[Change]:
    """The disagreement changes due now: new ones, and open ones that no longer hold.

    `official_sources` default: the provider's own pages (`reference_sources`),
    whose dates the catalogs and the account views are held to."""
    official_sources = reference_sources() if official_sources is None else official_sources
    officials = effective_shutdowns(official_rows(session, official_sources))
    catalog = catalog_rows(session, officials, exclude=official_sources) if officials else []
    open_now = open_disagreements(session)
    # A catalog that was held to dates stays held to them: when its last dated row
    # goes, its open "no date" reports have not been resolved (and must not flap).
    dated = dated_sources(session, {row.source for row in catalog}) | {
        o.source for o in open_now.values() if o.kind == Kind.NO_SHUTDOWN_DATE.value}
    found = find(officials, catalog, today, dated_sources=dated)
    appeared, resolved = reconcile(found, open_now)
    out = [policy.assess(change, _subject(officials[(d.provider, d.model)], d), today) for change, d in appeared]
    # A resolution is judged without the shutdown's urgency: it is good news.
    out += [policy.assess(change, None, today) for change in resolved]
    return out


def _subject(official: Official, disagreement: Disagreement) -> Observation:
    """The provider's row, as the model the catalog named (for days left and the watchlist)."""
    return dataclasses.replace(official.row, model=disagreement.model)


@dataclasses.dataclass(frozen=True, slots=True)
class DisagreementHook:
    """A `CommitHook`: after a poll's changes are written, add the disagreements it caused or resolved."""

    policy: SeverityPolicy = SeverityPolicy()
    official_sources: frozenset[str] | None = None  # default: sources.registry.reference_sources()

    def __call__(self, session: Session, run: Run, records: Sequence[ChangeRecord],
                 by_key: dict[str, Observation]) -> list[ChangeRecord]:
        at = run.observed_at
        if run.trigger == "ingest":
            # A backfill may be older than another source's latest row; the current
            # rows speak for the newest time, so judge the clock at that time.
            at = max(at, latest_observation(session) or at)
        changes = evaluate(session, at.date(), self.policy, self.official_sources)
        return polls.add_changes(session, changes, run_id=run.id, at=run.observed_at) if changes else []


def check_disagreements(poller: Poller, now: dt.datetime) -> list[ChangeRecord]:
    """Re-evaluate disagreements as of `now` (the daemon runs this daily, just after
    midnight UTC); records a run of source `disagreements` and passes what it found
    to the other commit hooks, as a poll would."""
    with write_session(poller.engine) as session:
        run = Run(source=CLOCK_SOURCE, trigger="schedule", started_at=now, observed_at=now, outcome="unchanged")
        polls.add_run(session, run)
        mine = next((h for h in poller.hooks if isinstance(h, DisagreementHook)), None)
        hook = mine or DisagreementHook(poller.policy)
        records = list(hook(session, run, [], {}))
        for other in poller.hooks:
            if other is not mine:
                records += other(session, run, records, {}) or []
        run.outcome = "changed" if records else "unchanged"
        run.changes = len(records)
        run.finished_at = now
        polls.add_run(session, run)
        return records
