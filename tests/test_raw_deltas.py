"""The raw archive stores a source's new body as a zstd delta against its previous one
(watcher.store.bodies): every body reads back byte-identical, chains are cut by whole
bodies, and retention never leaves a delta without its base."""

from __future__ import annotations

import datetime as dt
import json
import struct

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from bench import _releases
from tests.migration_support import record_releases
from tests.support import FIXTURES, run_watcher
from watcher.config import RetentionSettings
from watcher.model import Document
from watcher.store import bodies, documents, polls
from watcher.store.engine import make_engine, read_session, write_session
from watcher.store.migrate import ensure_schema
from watcher.store.retention import prune_documents
from watcher.store.tables import DocumentBlob, Run

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def _catalogs(count: int) -> list[bytes]:
    """`count` successive catalogs, each a few prices away from the one before (a real
    LiteLLM release, then edits of it)."""
    catalog = json.loads((FIXTURES / "litellm" / "model_prices-1.97.0.json").read_bytes())
    out = []
    names = sorted(name for name, entry in catalog.items() if isinstance(entry, dict))
    for n in range(count):
        for i in range(5):
            catalog[names[(n * 5 + i) % len(names)]]["input_cost_per_token"] = (n + 1) * 1e-7 + i * 1e-9
        out.append(json.dumps(catalog, indent=4).encode())
    assert len(set(out)) == count
    return out


def _poll(session: Session, source: str, body: bytes, at: dt.datetime) -> str:
    """What a successful poll stores: the body, then the run that names it."""
    digest = polls.content_hash(body)
    documents.store_document(session, Document(source, "u", body, at), digest, at)
    polls.add_run(session, Run(source=source, trigger="poll", started_at=at, observed_at=at, outcome="changed",
                               content_hash=digest))
    return digest


def _stored(engine: Engine, digests: list[str]) -> list[tuple[str, str | None]]:
    """(compression, base) of each document, in the order given."""
    with read_session(engine) as session:
        rows = {row[0]: (row[1], row[2]) for row in session.exec(
            select(DocumentBlob.sha256, DocumentBlob.compression, DocumentBlob.base))}
    return [rows[digest] for digest in digests]


def _engine(db_url: str) -> Engine:
    engine = make_engine(db_url)
    ensure_schema(engine)
    return engine


def test_a_chain_reads_back_and_a_whole_body_starts_a_new_one_after_max_chain_deltas(db_url: str) -> None:
    engine = _engine(db_url)
    catalogs = _catalogs(bodies.MAX_CHAIN + 3)
    with write_session(engine) as session:
        digests = [_poll(session, "litellm", body, T0 + n * DAY) for n, body in enumerate(catalogs)]

    stored = _stored(engine, digests)
    assert stored[0] == ("xz", None)
    # Each next body is a delta against the one before, up to MAX_CHAIN of them; then a whole one.
    for n in range(1, bodies.MAX_CHAIN + 1):
        assert stored[n] == ("zstd-delta", digests[n - 1]), n
    assert stored[bodies.MAX_CHAIN + 1] == ("xz", None)
    assert stored[bodies.MAX_CHAIN + 2] == ("zstd-delta", digests[bodies.MAX_CHAIN + 1])
    with read_session(engine) as session:
        assert [documents.load_document(session, d) for d in digests] == catalogs
        assert documents.document_for_parse(session, digests[-1]) == (catalogs[-1], None)
        sizes = dict(session.exec(select(DocumentBlob.sha256, DocumentBlob.size)).all())
    assert [sizes[d] for d in digests] == [len(body) for body in catalogs]
    engine.dispose()


def test_retention_stores_a_kept_delta_whole_before_its_base_goes(db_url: str) -> None:
    engine = _engine(db_url)
    catalogs = _catalogs(4)
    with write_session(engine) as session:  # the first three long ago, the last one recent
        digests = [_poll(session, "s", body, T0 - dt.timedelta(days=100 - 10 * n)) for n, body in enumerate(catalogs[:3])]
        digests.append(_poll(session, "s", catalogs[3], T0))
    assert [base for _, base in _stored(engine, digests)] == [None, *digests[:3]]

    settings = RetentionSettings(documents_max_age=30 * DAY, documents_keep=2)
    with write_session(engine) as session:
        result = prune_documents(session, settings, T0)

    assert result.documents == 2 and result.kept == 2
    # The third was a delta against the pruned second: whole now; the fourth still reads against it.
    assert _stored(engine, digests[2:]) == [("xz", None), ("zstd-delta", digests[2])]
    with read_session(engine) as session:
        assert [documents.load_document(session, d) for d in digests] == [None, None, *catalogs[2:]]
    engine.dispose()


def test_a_failed_deletion_leaves_the_archive_as_it_was(db_url: str) -> None:
    """Re-encoding the dependents and deleting their bases is one transaction."""
    engine = _engine(db_url)
    catalogs = _catalogs(3)
    with write_session(engine) as session:
        digests = [_poll(session, "s", body, T0 + n * DAY) for n, body in enumerate(catalogs)]
    before = _stored(engine, digests)
    with pytest.raises(RuntimeError), write_session(engine) as session:
        documents.delete_documents(session, digests[:1])
        raise RuntimeError("crash before commit")
    assert _stored(engine, digests) == before
    with read_session(engine) as session:
        assert [documents.load_document(session, d) for d in digests] == catalogs
    engine.dispose()


def test_a_chain_broken_by_hand_does_not_stop_retention_for_the_rest(db_url: str) -> None:
    engine = _engine(db_url)
    catalogs = _catalogs(6)
    with write_session(engine) as session:
        damaged = [_poll(session, "s", body, T0 + n * DAY) for n, body in enumerate(catalogs[:3])]
        healthy = [_poll(session, "o", body, T0 + n * DAY) for n, body in enumerate(catalogs[3:])]
    with write_session(engine) as session:  # someone deletes a row outside retention
        session.exec(text("DELETE FROM document WHERE sha256 = :d").bindparams(d=damaged[0]))  # type: ignore[call-overload]

    with write_session(engine) as session:
        documents.delete_documents(session, [damaged[1], healthy[0]])

    with read_session(engine) as session:
        left = set(session.exec(select(DocumentBlob.sha256)))
        assert left == {damaged[2], *healthy[1:]}
        assert [documents.load_document(session, d) for d in healthy[1:]] == catalogs[4:]
    assert _stored(engine, healthy[1:]) == [("xz", None), ("zstd-delta", healthy[1])]
    engine.dispose()


def test_a_delta_is_not_stored_when_it_is_no_smaller(db_url: str) -> None:
    engine = _engine(db_url)
    first = json.dumps({str(n): n for n in range(2000)}).encode()
    # Nothing in common with the first, and 4-byte integers that LZMA models better than zstd does.
    unrelated = struct.pack("<20000I", *range(0, 60000, 3))
    with write_session(engine) as session:
        digests = [_poll(session, "s", first, T0), _poll(session, "s", unrelated, T0 + DAY)]
    assert _stored(engine, digests) == [("xz", None), ("xz", None)]
    engine.dispose()


def test_a_missing_base_is_one_clear_line_and_a_poll_still_stores_its_body(sqlite_url: str, tmp_path: object) -> None:
    engine = _engine(sqlite_url)
    record_releases(engine)  # two real LiteLLM releases: the second a delta against the first
    with engine.begin() as connection:
        base = connection.execute(text("SELECT base FROM document WHERE base IS NOT NULL")).scalar_one()
        connection.execute(text("DELETE FROM document WHERE sha256 = :sha"), {"sha": base})

    done = run_watcher(["--db", sqlite_url, "reparse", "litellm"])

    assert done.returncode != 0
    assert "is a delta against" in done.stderr and base[:12] in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    # The next poll cannot delta against the damaged body: it stores its own whole.
    body = _catalogs(1)[0]
    with write_session(engine) as session:
        digest = _poll(session, "litellm", body, T0 + 30 * DAY)
    assert _stored(engine, [digest]) == [("xz", None)]
    with read_session(engine) as session:
        assert documents.load_document(session, digest) == body
    engine.dispose()


def test_the_nine_litellm_releases_read_back_byte_identical_in_a_fraction_of_the_space(sqlite_url: str) -> None:
    if not all(sorted(_releases.CACHE.glob(f"litellm-{v}-*.whl")) for v in _releases.NINE):
        pytest.skip(f"the LiteLLM wheels are not cached in {_releases.CACHE}")
    catalogs = [_releases.catalog(version) for version in _releases.NINE]
    engine = _engine(sqlite_url)
    with write_session(engine) as session:
        digests = [_poll(session, "litellm", body, T0 + n * DAY) for n, body in enumerate(catalogs)]
    with read_session(engine) as session:
        assert [documents.load_document(session, d) for d in digests] == catalogs
        stored = sum(len(body) for body in session.exec(select(DocumentBlob.body)))
    assert [c for c, _ in _stored(engine, digests)] == ["xz"] + ["zstd-delta"] * 8
    # Each whole, in xz: 0.48 MB; the first whole and each next against the one before: 0.14 MB.
    assert stored < 160_000, stored
    engine.dispose()
