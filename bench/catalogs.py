"""Issue 4 figures: parse + diff + store of the full LiteLLM catalog (target ≤ 1 s) and
of OpenRouter's all-modalities catalog (549 models, ≤ 200 ms), each as a baseline
poll and as a changed poll, on a SQLite file with the deprecations page already
stored (so the disagreement hook does its real work); and the database growth
one price change causes (≤ 2 KB of structured history; raw documents apart)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import capture, report
from sources.registry import builtin
from watcher.config import SourceSettings
from watcher.disagreements.hook import DisagreementHook
from watcher.model import Document
from watcher.poll.pipeline import Poller, PollResult
from watcher.store.engine import make_engine
from watcher.store.migrate import ensure_schema

DEPRECATIONS = ("openai/deprecations-2026-06-27.md", "openai_deprecations/deprecations-2026-06-27.md")
LITELLM_OLD = ("litellm/model_prices-1.97.0.json", "litellm/model_prices-1.97.0.json")
LITELLM_NEW = ("litellm/model_prices-1.98.0.json", "litellm/model_prices-1.98.0.json")
OPENROUTER_JUNE = ("openrouter/models-2026-06-16.json", "openrouter/models-2026-06-16.json")
OPENROUTER_AUG = ("openrouter/models-2026-08-19.json", "openrouter/models-2026-08-19.json")
OPENROUTER_ALL = ("openrouter/models-all-modalities-2026-08-19.json",
                  "openrouter/models-all-modalities-2026-08-19.json")
START = dt.datetime(2026, 8, 1, tzinfo=dt.UTC)


class Bench:
    """A fresh SQLite file with the pipeline as `watcher poll` runs it (disagreement hook on)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "bench.db"
        self.engine = make_engine(f"sqlite:///{self.path}")
        ensure_schema(self.engine)
        self.poller = Poller(engine=self.engine, hooks=(DisagreementHook(),))
        self.hour = 0

    def record(self, source_name: str, body: bytes) -> tuple[PollResult, float]:
        source = builtin(source_name)
        self.hour += 1
        doc = Document(source_name, source.urls[0], body, START + dt.timedelta(hours=self.hour),
                       content_type="application/json")
        start = time.perf_counter()
        result = self.poller.record_document(source, SourceSettings(name=source_name), doc)
        return result, (time.perf_counter() - start) * 1000

    def payload_by_table(self) -> dict[str, int]:
        """Bytes of row and index payload per table (SQLite's dbstat), after a checkpoint."""
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        with sqlite3.connect(self.path) as conn:
            rows = conn.execute("SELECT name, SUM(payload) FROM dbstat GROUP BY name").fetchall()
        return {name: int(size or 0) for name, size in rows}

    def close(self) -> None:
        self.engine.dispose()


def body(pair: tuple[str, str]) -> bytes:
    return capture(*pair).read_bytes()


def polls(label: str, source: str, first: bytes, second: bytes, target: str, repeat: int) -> None:
    """Median over `repeat` fresh databases of a baseline poll (`first`) then a changed one (`second`)."""
    baseline: list[float] = []
    changed: list[float] = []
    counts: tuple[int | None, int, int | None, int] = (None, 0, None, 0)
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            bench = Bench(Path(tmp))
            bench.record("openai-deprecations", body(DEPRECATIONS))
            first_result, first_ms = bench.record(source, first)
            second_result, second_ms = bench.record(source, second)
            bench.close()
        baseline.append(first_ms)
        changed.append(second_ms)
        counts = (first_result.rows, len(first_result.changes), second_result.rows, len(second_result.changes))
    report(f"{label} baseline poll ({counts[0]} rows, {counts[1]} disagreements)",
           _figures(baseline), target)
    report(f"{label} changed poll ({counts[2]} rows, {counts[3]} changes)", _figures(changed), target)


def _figures(samples: list[float]) -> dict[str, float]:
    return {"best_ms": round(min(samples), 1), "median_ms": round(statistics.median(samples), 1),
            "worst_ms": round(max(samples), 1)}


def parse_only(label: str, source_name: str, data: bytes, repeat: int = 5) -> None:
    source = builtin(source_name)
    doc = Document(source_name, source.urls[0], data, START, content_type="application/json")
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        rows = source.parse(doc)
        samples.append((time.perf_counter() - start) * 1000)
    report(f"{label} parse only ({len(rows)} rows)", _figures(samples))


def edit_one_price(data: bytes) -> tuple[bytes, str]:
    catalog = json.loads(data)
    catalog["gpt-4o"]["input_cost_per_token"] = 3e-06  # 2.5 -> 3 per 1M
    return json.dumps(catalog, indent=4).encode(), "gpt-4o input 2.5 -> 3 per 1M"


def growth_of_one_price_change() -> None:
    original = body(LITELLM_NEW)
    edited, what = edit_one_price(original)
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(Path(tmp))
        bench.record("openai-deprecations", body(DEPRECATIONS))
        bench.record("litellm", original)
        before = bench.payload_by_table()
        result, _ = bench.record("litellm", edited)
        after = bench.payload_by_table()
        bench.close()
    delta = {name: after.get(name, 0) - before.get(name, 0) for name in after.keys() | before.keys()}
    documents = sum(size for name, size in delta.items() if "document" in name)
    structured = sum(size for name, size in delta.items() if "document" not in name)
    parts = {name: size for name, size in sorted(delta.items()) if size and "document" not in name}
    report(f"one price change ({what}; {len(result.changes)} change)",
           {"structured_bytes": structured, "document_bytes": documents, "raw_body_bytes": len(edited),
            **{f"{name}": size for name, size in parts.items()}}, "structured ≤ 2 KB")


def main() -> None:
    repeat = 5
    parse_only("litellm 1.98.0", "litellm", body(LITELLM_NEW))
    polls("litellm 1.97.0 -> 1.98.0", "litellm", body(LITELLM_OLD), body(LITELLM_NEW), "≤ 1 s", repeat)
    parse_only("openrouter all-modalities", "openrouter", body(OPENROUTER_ALL))
    polls("openrouter 06-16 -> 08-19", "openrouter", body(OPENROUTER_JUNE), body(OPENROUTER_AUG), "≤ 200 ms", repeat)
    polls("openrouter all-modalities, price edits", "openrouter", body(OPENROUTER_ALL), _edited_openrouter(),
          "≤ 200 ms", repeat)
    growth_of_one_price_change()


def _edited_openrouter() -> bytes:
    """The 549-model catalog with the output price of up to 12 models raised 10%."""
    envelope = json.loads(body(OPENROUTER_ALL))
    for row in envelope["data"][:12]:
        pricing = row.get("pricing")
        if isinstance(pricing, dict) and pricing.get("completion") not in (None, "0", "-1"):
            pricing["completion"] = str(float(pricing["completion"]) * 1.1)
    return json.dumps(envelope).encode()


if __name__ == "__main__":
    main()
