"""Migration 0012 (issue 13: a raw body may be stored as a delta against an earlier one)
leaves the bodies a 0011 database stored as they are and readable, the writer stores
new bodies as deltas against them, and a downgrade stores every delta whole again."""

from __future__ import annotations

import datetime as dt
import lzma

from alembic import command
from sqlalchemy import Engine, inspect, text

from tests.migration_support import RELEASES, T0, answers, poll_release
from tests.support import FIXTURES
from watcher.model import Document
from watcher.store import bodies, documents
from watcher.store.engine import make_engine, read_session, write_session
from watcher.store.migrate import _config, current_revision, upgrade
from watcher.store.polls import content_hash


def _downgrade(engine: Engine, revision: str) -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _rows(engine: Engine) -> dict[str, tuple[str, bytes]]:
    with engine.connect() as connection:
        return {sha: (compression, bytes(body)) for sha, compression, body in connection.execute(
            text("SELECT sha256, compression, body FROM document"))}


def test_0012_keeps_every_body_of_a_0011_database_and_the_downgrade_stores_deltas_whole(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    for day, name in enumerate(RELEASES):
        assert poll_release(engine, day, name) in ("baseline", "changed")
    today = answers(engine)
    assert sorted(compression for compression, _ in _rows(engine).values()) == ["xz", "zstd-delta"]

    _downgrade(engine, "0011")  # what the 0011 release reads: every body whole, no base column

    assert current_revision(engine) == "0011"
    assert "base" not in {c["name"] for c in inspect(engine).get_columns("document")}
    at_0011 = _rows(engine)
    assert {compression for compression, _ in at_0011.values()} == {"xz"}
    assert sorted(lzma.decompress(body) for _, body in at_0011.values()) == sorted(today["documents"])

    upgrade(engine)

    assert current_revision(engine) == "0013"
    assert _rows(engine) == at_0011  # history is not re-encoded
    assert answers(engine) == today
    # The writer goes on: a new body is stored as a delta against the whole body before it.
    assert poll_release(engine, len(RELEASES), RELEASES[0]) == "changed"
    body = (FIXTURES / "litellm" / RELEASES[0]).read_bytes().replace(b'"gpt-4o"', b'"gpt-4o-next"', 1)
    digest, at = content_hash(body), T0 + dt.timedelta(days=len(RELEASES) + 1)
    with write_session(engine) as session:
        documents.store_document(session, Document("litellm", "u", body, at), digest, at)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT compression, base FROM document WHERE sha256 = :sha"),
                                    {"sha": digest}).one()
    assert tuple(stored) == (bodies.DELTA, content_hash((FIXTURES / "litellm" / RELEASES[0]).read_bytes()))
    with read_session(engine) as session:
        assert documents.load_document(session, digest) == body
    engine.dispose()
