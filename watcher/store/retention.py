"""Raw-document retention: the archive of fetched bodies is pruned, history never is.

A document's age is when it was last *seen* (the newest run that fetched that
body), not when it was first stored: a page unchanged for a year is current, not
old. Per source, the newest `documents_keep` documents are always kept, and so
is the body behind the source's latest successful run whatever its age.
Structured history (runs, versions, changes) is never touched here; a run whose
body was pruned keeps its content hash. A kept body stored as a delta against a
pruned one is stored whole first, in the same transaction
(`watcher.store.documents.delete_documents`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from watcher.config import RetentionSettings
from watcher.store import times
from watcher.store.documents import delete_documents
from watcher.store.engine import read_session, write_session
from watcher.store.polls import last_run
from watcher.store.tables import DocumentBlob, Run


@dataclasses.dataclass(frozen=True, slots=True)
class PruneResult:
    documents: int  # documents deleted
    bytes: int  # their compressed size
    kept: int  # documents left


@dataclasses.dataclass(frozen=True, slots=True)
class _Doc:
    sha256: str
    source: str
    last_seen: dt.datetime
    stored_bytes: int


def prunable(session: Session, settings: RetentionSettings, now: dt.datetime) -> tuple[list[_Doc], int]:
    """The documents retention would delete now, and how many exist in all."""
    docs = _documents(session)
    if settings.documents_max_age is None:
        return [], len(docs)
    cutoff = now - settings.documents_max_age
    protected = _latest_successful_hashes(session)
    by_source: dict[str, list[_Doc]] = defaultdict(list)
    for doc in docs:
        by_source[doc.source].append(doc)
    doomed: list[_Doc] = []
    for group in by_source.values():
        group.sort(key=lambda d: d.last_seen, reverse=True)
        doomed.extend(d for d in group[settings.documents_keep:]
                      if d.last_seen < cutoff and d.sha256 not in protected)
    return doomed, len(docs)


def prune_documents(session: Session, settings: RetentionSettings, now: dt.datetime) -> PruneResult:
    """Delete what `prunable` names, inside the caller's (write) transaction."""
    doomed, total = prunable(session, settings, now)
    delete_documents(session, [d.sha256 for d in doomed])
    return PruneResult(documents=len(doomed), bytes=sum(d.stored_bytes for d in doomed), kept=total - len(doomed))


def _documents(session: Session) -> list[_Doc]:
    seen = (
        select(Run.content_hash, func.max(Run.started_at).label("last_seen"))
        .where(col(Run.content_hash).is_not(None))
        .group_by(Run.content_hash)
        .subquery()
    )
    rows = session.exec(
        select(DocumentBlob.sha256, DocumentBlob.source, DocumentBlob.first_seen_at, seen.c.last_seen,  # type: ignore[call-overload]
               func.length(DocumentBlob.body))
        .outerjoin(seen, seen.c.content_hash == DocumentBlob.sha256)
    ).all()
    docs = []
    for sha, source, first_seen, last_seen, size in rows:
        # Raw aggregates bypass the column type on SQLite: normalise to aware UTC.
        when = times.read(last_seen) if last_seen is not None else first_seen
        docs.append(_Doc(sha, source, max(when, first_seen), int(size or 0)))
    return docs


def _latest_successful_hashes(session: Session) -> set[str]:
    """The body behind each source's latest successful run, "latest" as the pipeline
    means it (observed time, not insertion order: a backfilled archive is older)."""
    sources = session.exec(select(Run.source).distinct()).all()
    runs = (last_run(session, source, successful=True) for source in sources)
    return {run.content_hash for run in runs if run is not None and run.content_hash}


def prune(engine: Engine, settings: RetentionSettings, now: dt.datetime, *,
          dry_run: bool) -> tuple[list[_Doc], int, PruneResult | None]:
    """`watcher db prune`: (the documents past retention, how many are stored, what was
    deleted: None on a dry run or when nothing is past retention)."""
    with read_session(engine) as session:
        doomed, total = prunable(session, settings, now)
    if dry_run or not doomed:
        return doomed, total, None
    with write_session(engine) as session:
        return doomed, total, prune_documents(session, settings, now)


def prune_now(engine: Engine, settings: RetentionSettings, now: dt.datetime) -> PruneResult:
    """The daemon's daily retention job: delete what is past retention, in one transaction."""
    with write_session(engine) as session:
        return prune_documents(session, settings, now)
