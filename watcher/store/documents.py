"""Raw documents as stored: a body's media type, and a body read back for parsing
(an accepted refusal, a re-parse)."""

from __future__ import annotations

from sqlmodel import Session, select

from watcher.store.polls import decompress
from watcher.store.tables import DocumentBlob


def content_type(session: Session, digest: str) -> str | None:
    """The media type a stored document was served with."""
    return session.exec(select(DocumentBlob.content_type).where(DocumentBlob.sha256 == digest)).first()


def document_for_parse(session: Session, digest: str) -> tuple[bytes, str | None] | None:
    """(body, media type) of a stored document; the row is not kept in the session's
    identity map, since bodies are large."""
    blob = session.get(DocumentBlob, digest)
    if blob is None:
        return None
    body = decompress(blob.body, blob.compression)
    session.expunge(blob)
    return body, blob.content_type
