"""Real LiteLLM releases as a poll sequence: the catalog every PyPI wheel carries.

Wheels are cached outside the repository (`WATCHER_PYPI_CACHE`, default
/work/cache/pypi) and fetched with `pip download --no-deps` when missing.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

CACHE = Path(os.environ.get("WATCHER_PYPI_CACHE", "/work/cache/pypi"))
# The nine releases issue 13 sizes the database with.
NINE = ("1.72.0", "1.73.6.post1", "1.81.6", "1.83.1", "1.95.0", "1.97.0", "1.98.0", "1.99.0", "1.101.4")
_CATALOG = ("litellm/model_prices_and_context_window_backup.json", "model_prices_and_context_window.json")
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def wheel(version: str) -> Path:
    found = sorted(CACHE.glob(f"litellm-{version}-*.whl"))
    if not found:
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", f"litellm=={version}", "--no-deps",
                        "-d", str(CACHE)], check=True)
        found = sorted(CACHE.glob(f"litellm-{version}-*.whl"))
    return found[0]


def catalog(version: str) -> bytes:
    """model_prices_and_context_window.json as that release shipped it."""
    with zipfile.ZipFile(wheel(version)) as archive:
        names = set(archive.namelist())
        return archive.read(next(name for name in _CATALOG if name in names))


def record(db: Path, versions: Sequence[str]) -> Iterator[tuple[str, str, int]]:
    """Poll each release in turn into the SQLite file `db`, a day apart, as `watcher poll`
    records it (disagreement hook on); yields (version, outcome, changes)."""
    from sources.registry import builtin
    from watcher.config import SourceSettings
    from watcher.disagreements.hook import DisagreementHook
    from watcher.model import Document
    from watcher.poll.pipeline import Poller
    from watcher.store.engine import make_engine
    from watcher.store.migrate import ensure_schema

    engine = make_engine(f"sqlite:///{db}")
    ensure_schema(engine)
    poller = Poller(engine=engine, hooks=(DisagreementHook(),))
    source = builtin("litellm")
    try:
        for day, version in enumerate(versions):
            doc = Document("litellm", source.urls[0], catalog(version), START + dt.timedelta(days=day),
                           content_type="application/json")
            result = poller.record_document(source, SourceSettings(name="litellm"), doc)
            yield version, result.outcome, len(result.changes)
    finally:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
