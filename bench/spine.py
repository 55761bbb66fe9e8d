"""Issue 2 figures: parse time of each real deprecations capture, and how much an
unchanged poll adds to the database (target ≤ 1 KB)."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from bench.common import capture, report, timeit
from sources.registry import builtin
from watcher.config import SourceSettings
from watcher.model import Document
from watcher.poll.pipeline import Poller
from watcher.store.engine import make_engine
from watcher.store.migrate import ensure_schema

CAPTURES = [
    ("openai/deprecations-2026-06-27.md", "openai_deprecations/deprecations-2026-06-27.md", "≤ 30 ms"),
    ("openai/deprecations-2025-11-13.html", "openai_deprecations/deprecations-2025-11-13.html", "≤ 60 ms"),
]


def parse_times() -> None:
    source = builtin("openai-deprecations")
    for relative, fixture, target in CAPTURES:
        path = capture(relative, fixture)
        doc = Document(source.name, path.as_uri(), path.read_bytes(), dt.datetime.now(dt.UTC))
        rows = len(source.parse(doc))
        report(f"parse {path.name} ({len(doc.body) // 1024} KB, {rows} rows)", timeit(lambda: source.parse(doc)),  # noqa: B023 (called at once)
               target)


def unchanged_poll_growth(polls: int = 200) -> None:
    source = builtin("openai-deprecations")
    path = capture(*CAPTURES[0][:2])
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        engine = make_engine(f"sqlite:///{db}")
        ensure_schema(engine)
        poller = Poller(engine=engine)
        settings = SourceSettings(name=source.name)
        start = dt.datetime(2026, 6, 27, tzinfo=dt.UTC)
        body = path.read_bytes()

        def poll(i: int) -> None:
            doc = Document(source.name, "https://developers.openai.com/api/docs/deprecations.md", body,
                           start + dt.timedelta(hours=i))
            poller.record_document(source, settings, doc)

        poll(0)

        def size() -> int:
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
                free = conn.exec_driver_sql("PRAGMA freelist_count").scalar_one()
                page = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
            return int((pages - free) * page)

        before = size()
        timing = timeit(lambda: poll(next(counter)), repeat=polls, warmup=0)
        after = size()
        report(f"unchanged poll ({polls} polls)",
               {"bytes_per_poll": round((after - before) / polls, 1), "db_bytes": after, **timing}, "≤ 1 KB")


counter = iter(range(1, 10**9))


def main() -> None:
    parse_times()
    unchanged_poll_growth()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
