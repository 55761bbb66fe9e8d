"""The audit tests' world: a database holding OpenAI's real deprecations page and a
small catalog, and a fixture repository copied into place (files whose names
start with `dot-` become dot files, so the fixture's .gitignore and .venv do not
act on this repository itself)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from sources.base import BuiltinSource
from tests.support import FIXTURES
from watcher.config import SourceSettings
from watcher.model import NO_REPLACEMENT, Document, Observation, Status
from watcher.poll.pipeline import Poller
from watcher.store.engine import make_engine
from watcher.store.migrate import ensure_schema

AUDIT_REPO = FIXTURES / "audit_repo"
TODAY = dt.date(2026, 8, 25)  # the fixed clock: sora-2's 2026-09-24 is 30 days away
OBSERVED = dt.datetime(2026, 8, 24, 6, tzinfo=dt.UTC)

# A catalog in the shape of a gateway's: its own spellings, a third party's
# deployment with its own date, a date that disagrees with OpenAI's, and a date
# for a model OpenAI has not dated.
CATALOG_ROWS = [
    {"id": "openai/sora-2", "model": "sora-2", "shutdown": "2026-10-01"},
    {"id": "openai/sora-2-pro", "model": "sora-2-pro"},
    {"id": "azure/sora-2", "model": "sora-2", "distribution": "azure", "shutdown": "2027-01-15"},
    {"id": "openai/gpt-4o-mini", "model": "gpt-4o-mini", "status": "active"},
    {"id": "openai/gpt-image-0", "model": "gpt-image-0", "status": "active", "shutdown": "2026-12-01"},
]


def parse_catalog(doc: Document) -> list[Observation]:
    return [
        Observation(
            key=row["id"], provider="openai", model=row["model"], source_id=row["id"],
            distribution=row.get("distribution"), status=Status(row["status"]) if "status" in row else None,
            shutdown_on=dt.date.fromisoformat(row["shutdown"]) if "shutdown" in row else None,
            replacement=NO_REPLACEMENT if row.get("replacement") == "---" else None,
        )
        for row in json.loads(doc.body)
    ]


def populate(db_url: str) -> None:
    from sources.registry import builtin

    engine = make_engine(db_url)
    ensure_schema(engine)
    poller = Poller(engine=engine)
    deprecations = builtin("openai-deprecations")
    body = (FIXTURES / "openai_deprecations" / "deprecations-2026-06-27.md").read_bytes()
    poller.record_document(deprecations, SourceSettings(name=deprecations.name), Document(
        source=deprecations.name, url="https://platform.openai.com/docs/deprecations.md", body=body,
        fetched_at=OBSERVED, content_type="text/markdown"))
    catalog = BuiltinSource(name="example-catalog", urls=("http://127.0.0.1/example-catalog",),
                            parser_version="1", parse_fn=parse_catalog)
    poller.record_document(catalog, SourceSettings(name=catalog.name), Document(
        source=catalog.name, url=catalog.urls[0], body=json.dumps(CATALOG_ROWS).encode(), fetched_at=OBSERVED,
        content_type="application/json"))
    engine.dispose()


def make_repo(into: Path) -> Path:
    """The fixture repository at `into`, dot files restored."""
    shutil.copytree(AUDIT_REPO, into)
    for path in sorted(into.rglob("dot-*"), key=lambda p: len(p.parts), reverse=True):
        path.rename(path.with_name("." + path.name.removeprefix("dot-")))
    return into


VIDEOS_PATTERNS = ["/videos", "openai.videos", "videos.create", "videos.createAndPoll", "video.completed",
                   "video.failed"]


def write_config(path: Path, **audit: object) -> Path:
    lines = ["[audit]"]
    for key, value in audit.items():
        lines.append(f"{key} = {json.dumps(value)}")
    lines += ["[audit.patterns]", f'"Videos API" = {json.dumps(VIDEOS_PATTERNS)}']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
