"""Raw documents as stored: written once per distinct body, each new body of a source
as a delta against the source's previous one (`watcher.store.bodies`), and read back
whole by following the chain of bases (a refusal accepted, a re-parse, an export).

The row and its reference to its base are written in the poll's own transaction, and
a base is a body already stored (committed or in that same transaction), so a crash
at any point leaves either both or neither.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from watcher.model import Document
from watcher.store import bodies
from watcher.store.polls import chunks, last_runs_with_body
from watcher.store.tables import DocumentBlob

log = logging.getLogger(__name__)


def content_type(session: Session, digest: str) -> str | None:
    """The media type a stored document was served with."""
    return session.exec(select(DocumentBlob.content_type).where(DocumentBlob.sha256 == digest)).first()


def store_document(session: Session, doc: Document, digest: str, now: dt.datetime) -> None:
    """Write the raw body once per distinct hash (content-addressed), as a delta against
    the body of the source's latest successful run when that is smaller and the chain
    behind it is short enough."""
    if session.exec(select(DocumentBlob.sha256).where(DocumentBlob.sha256 == digest)).first() is not None:
        return
    base_digest = _base_for(session, doc.source)
    try:
        base_body = None if base_digest is None else load_document(session, base_digest)
    except bodies.MissingBaseError:  # a damaged chain must not stop polls: this body is stored whole
        base_body = None
    compression, stored = bodies.encode(doc.body, base_body)
    session.add(DocumentBlob(
        sha256=digest, source=doc.source, content_type=doc.content_type or None, size=len(doc.body),
        compression=compression, body=stored, first_seen_at=now,
        base=base_digest if compression == bodies.DELTA else None,
    ))
    session.flush()


def load_document(session: Session, digest: str) -> bytes | None:
    """The body stored under `digest` (None: not stored); `bodies.MissingBaseError` when a
    delta's base is gone."""
    return bodies.resolve(digest, lambda wanted: session.exec(
        select(DocumentBlob.compression, DocumentBlob.body, DocumentBlob.base).where(DocumentBlob.sha256 == wanted)
    ).first())


def document_for_parse(session: Session, digest: str) -> tuple[bytes, str | None] | None:
    """(body, media type) of a stored document; no row is kept in the session's identity
    map, since bodies are large."""
    body = load_document(session, digest)
    return None if body is None else (body, content_type(session, digest))


def delete_documents(session: Session, digests: Sequence[str]) -> None:
    """Delete these bodies, in the caller's transaction. A body left that is a delta against
    one of them is stored whole first, while its chain can still be read: no delta is ever
    left without its base."""
    gone = set(digests)
    dependents: set[str] = set()
    for chunk in chunks(sorted(gone), 500):
        dependents.update(session.exec(select(DocumentBlob.sha256).where(col(DocumentBlob.base).in_(chunk))))
    for digest in sorted(dependents - gone):
        try:
            body = load_document(session, digest)
        except bodies.MissingBaseError as exc:
            # Already unreadable (its chain was broken further down, outside retention):
            # deleting its base changes nothing for it, and must not stop the pruning
            # of every other source's bodies.
            log.warning("retention: %s; left as it is", exc)
            continue
        assert body is not None  # just found
        session.exec(update(DocumentBlob).where(col(DocumentBlob.sha256) == digest)
                     .values(compression=bodies.FULL, body=bodies.encode_full(body), base=None))
    for chunk in chunks(sorted(gone), 500):
        session.exec(delete(DocumentBlob).where(col(DocumentBlob.sha256).in_(chunk)))


def _base_for(session: Session, source: str) -> str | None:
    """The body to store the source's next one against: its latest successful run's, unless
    that is already `bodies.MAX_CHAIN` deltas from a whole body (then None: store it whole)."""
    latest = last_runs_with_body(session, source, limit=1)
    if not latest or latest[0][0].content_hash is None:
        return None
    base = latest[0][0].content_hash
    wanted: str | None = base
    for _ in range(bodies.MAX_CHAIN):
        wanted = session.exec(select(DocumentBlob.base).where(DocumentBlob.sha256 == wanted)).first()
        if wanted is None:
            return base  # a whole body within MAX_CHAIN - 1 steps: one more delta is allowed
    return None
