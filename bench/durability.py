"""What durable SQLite commits cost: `synchronous=FULL` (what the watcher uses)
beside `NORMAL` (what it used before: commits since the last checkpoint could be
lost in a power cut), on the same disk, for a bare commit and for whole polls."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text

from bench.common import capture, report, timeit
from sources.registry import builtin
from watcher.config import SourceSettings
from watcher.model import Document
from watcher.poll.pipeline import Poller
from watcher.store.engine import SQLITE_SYNCHRONOUS, make_engine
from watcher.store.migrate import ensure_schema

DEPRECATIONS = ("openai/deprecations-2026-06-27.md", "openai_deprecations/deprecations-2026-06-27.md")


def engine_with(path: Path, synchronous: str) -> Engine:
    engine = make_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _override(dbapi_connection: Any, _record: Any) -> None:  # runs after the engine's own pragmas
        dbapi_connection.execute(f"PRAGMA synchronous={synchronous}")

    ensure_schema(engine)
    return engine


def bare_commit(engine: Engine) -> dict[str, float]:
    """One tiny write transaction: what a delivery's status update or a lease renewal costs."""
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS bench_commit (n INTEGER)")
        connection.commit()
    writer = engine.execution_options(write=True)

    def commit() -> None:
        with writer.begin() as connection:
            connection.execute(text("INSERT INTO bench_commit (n) VALUES (1)"))

    return timeit(commit, repeat=200, warmup=5)


def polls(engine: Engine) -> dict[str, float]:
    """A poll of the real deprecations page that records a version change (a write of every layer)."""
    source = builtin("openai-deprecations")
    body = capture(*DEPRECATIONS).read_bytes()
    edited = body.replace(b"2026", b"2027", 1)
    poller = Poller(engine=engine)
    settings = SourceSettings(name=source.name)
    start = dt.datetime(2026, 6, 27, tzinfo=dt.UTC)
    hour = [0]

    def poll() -> None:
        hour[0] += 1
        doc = Document(source.name, "https://developers.openai.com/api/docs/deprecations.md",
                       edited if hour[0] % 2 else body, start + dt.timedelta(hours=hour[0]))
        poller.record_document(source, settings, doc)

    poll()
    return timeit(poll, repeat=20, warmup=2)


def main() -> None:
    figures: dict[str, dict[str, dict[str, float]]] = {}
    for mode in (SQLITE_SYNCHRONOUS, "NORMAL"):
        with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:  # the checkout's disk, not a tmpfs
            engine = engine_with(Path(tmp) / "bench.db", mode)
            figures[mode] = {"commit": bare_commit(engine), "poll": polls(engine)}
            engine.dispose()
    for what in ("commit", "poll"):
        full, normal = figures["FULL"][what], figures["NORMAL"][what]
        report(f"sqlite {what} synchronous=FULL vs NORMAL",
               {"full_median_ms": full["median_ms"], "normal_median_ms": normal["median_ms"],
                "full_p95_ms": full["p95_ms"], "normal_p95_ms": normal["p95_ms"],
                "ratio": round(full["median_ms"] / max(normal["median_ms"], 0.001), 2)},
               "a poll stays well under a second; a changed poll is rare (hours apart)")


if __name__ == "__main__":
    main()
