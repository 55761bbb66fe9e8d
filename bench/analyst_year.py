"""A synthetic year of history, then the analyst queries on it.

Generates what a year of hourly polls of 4 sources × 10,000 models would have
written (runs, raw documents, SCD-2 versions, changes), directly with bulk
inserts instead of 35,000 real polls, then reports the database size and the
time of `history MODEL`, `asof`, `changes --since 30d` and export throughput,
in-process and through the real command line; and how fast a query command
starts and answers on a small database.

Churn is what the sources we watch show: most polls change nothing; a gateway
moves some prices every day; a dozen times a year the vendor deprecates a batch
of models at once and the catalogs pick that up days to weeks later, some never;
new models appear daily; shut-down models are retired by the vendor and delisted
by most catalogs. Raw documents are kept for the last 180 days only, as the
default retention would leave them.

    python bench/analyst_year.py [--models 10000] [--db URL] [--keep]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from hashlib import sha256
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, text
from sqlmodel import Session

from watcher.model import PriceKey
from watcher.output import Format, render
from watcher.store.codec import prices_to_text
from watcher.store.engine import make_engine, sqlite_path
from watcher.store.export import export_rows
from watcher.store.migrate import ensure_schema
from watcher.store.polls import store_price_sets
from watcher.store.queries_changes import ChangeFilter, changes
from watcher.store.queries_versions import asof, history
from watcher.store.relations import CHANGE, DOCUMENT, OBSERVATION_VERSION, RUN
from watcher.store.stats import database_stats

HOUR = dt.timedelta(hours=1)
SOURCES = ("vendor-deprecations", "gateway-a", "gateway-b", "catalog-c")
OFFICIAL = 0
PROVIDERS = ("openai", "anthropic", "google", "meta", "mistral", "cohere", "xai", "deepseek", "qwen", "amazon")
PRICES = ("0.05", "0.1", "0.15", "0.25", "0.4", "0.5", "0.8", "1", "1.25", "2", "2.5", "3", "5", "10", "15", "30")
INPUT, OUTPUT = PriceKey.parse("input/per_1m_tokens/standard"), PriceKey.parse("output/per_1m_tokens/standard")


@functools.cache
def prices_text(input: str, output: str | None) -> str | None:
    """The price set's text as the writer stores it (`codec.prices_to_text`)."""
    prices = {INPUT: Decimal(input)}
    if output is not None:
        prices[OUTPUT] = Decimal(output)
    return prices_to_text(prices)


# --- the world: what each source says about each model, hour by hour ----------------------


@dataclasses.dataclass
class Row:
    """One source's current statement about one model, and its open version's id."""

    status: str = "active"
    announced_on: str | None = None
    shutdown_on: str | None = None
    replacement: str | None = None
    input: str | None = None
    output: str | None = None
    version_id: int = 0
    version_hour: int = -1  # the poll that opened the current version
    listed_hour: int = -1


@dataclasses.dataclass
class Year:
    models: int
    start: dt.datetime
    rng: random.Random
    hours: int = 365 * 24
    documents_from: int = (365 - 180) * 24  # hour from which raw documents are kept

    def __post_init__(self) -> None:
        self.initial = int(self.models * 0.82)  # the rest are released during the year
        self.names = [self._name(i) for i in range(self.models)]
        self.aliases = {i: f"{self.names[i]}-latest" for i in range(self.models) if i % 10 == 0}
        self.state: list[dict[int, Row]] = [{} for _ in SOURCES]
        self.lines: list[dict[int, str]] = [{} for _ in SOURCES]
        self.versions: list[dict[str, Any]] = []
        self.prices: list[str | None] = []  # each version's price set's text; `write` names the sets
        self.changes: list[dict[str, Any]] = []
        self.runs: list[dict[str, Any]] = []
        self.documents: list[dict[str, Any]] = []
        self.due: list[dict[int, list[Callable[[int, int], None]]]] = [{} for _ in SOURCES]  # source -> hour -> edits

    def _name(self, i: int) -> str:
        family = ("gpt", "claude", "gemini", "llama", "mistral", "command", "grok", "deepseek", "qwen", "nova")
        return f"{family[i % 10]}-{i // 10}-{'mini' if i % 3 == 0 else 'pro' if i % 3 == 1 else 'base'}"

    # -- scheduling ------------------------------------------------------------------

    def schedule(self) -> None:
        rng = self.rng
        for source in range(len(SOURCES)):
            for i in range(self.initial):
                self.at(source, 0, functools.partial(self.list_model, i=i))
        # Releases: the vendor lists a few new models a day; catalogs follow within days.
        released = list(range(self.initial, self.models))
        for n, i in enumerate(released):
            hour = 24 + int(n * (self.hours - 48) / len(released))
            self.at(OFFICIAL, hour, functools.partial(self.list_model, i=i))
            for source in range(1, len(SOURCES)):
                self.at(source, self.sync_hour(source, hour + rng.randint(1, 24 * 10)),
                        functools.partial(self.list_model, i=i))
        # Announcement bursts: a dozen a year, 20 to 300 models each.
        for _ in range(12):
            hour = rng.randint(24, self.hours - 24)
            batch = rng.sample(range(self.initial), k=min(self.initial, int(min(300, 20 + rng.paretovariate(1.2) * 20))))
            announced = (self.start + hour * HOUR).date()
            for i in batch:
                shutdown = announced + dt.timedelta(days=rng.choice((90, 120, 180, 270)))
                replacement = rng.choice(("---", self.names[(i + 1) % self.models], None))
                edit = self.deprecation(i, announced, shutdown, replacement)
                self.at(OFFICIAL, hour, edit)
                retire_hour = int((dt.datetime.combine(shutdown, dt.time(), dt.UTC) - self.start) / HOUR)
                self.at(OFFICIAL, retire_hour, functools.partial(self.set_status, i=i, status="retired"))
                for source in range(1, len(SOURCES)):
                    if rng.random() < 0.8:  # some catalogs never learn
                        self.at(source, self.sync_hour(source, hour + rng.randint(24, 24 * 60)), edit)
                    if rng.random() < 0.7:
                        self.at(source, self.sync_hour(source, retire_hour + rng.randint(0, 24 * 14)),
                                functools.partial(self.delist, i=i))
        # Price moves: every catalog reprices some models once a day.
        for source in range(1, len(SOURCES)):
            for day in range(1, self.hours // 24):
                for i in rng.sample(range(self.initial), k=min(self.initial, rng.randint(10, 70))):
                    self.at(source, self.sync_hour(source, day * 24), functools.partial(self.reprice, i=i))

    def sync_hour(self, source: int, hour: int) -> int:
        """Catalogs change once a day, at their own hour: edits wait for the next one."""
        day_hour = 3 + 5 * source
        day = hour // 24 + (1 if hour % 24 > day_hour else 0)
        return day * 24 + day_hour

    def at(self, source: int, hour: int, edit: Callable[[int, int], None]) -> None:
        if 0 <= hour < self.hours:
            self.due[source].setdefault(hour, []).append(edit)

    # -- edits: each writes exactly the versions and changes the pipeline would ------------

    def list_model(self, source: int, hour: int, i: int) -> None:
        if i in self.state[source]:
            return
        row = Row(listed_hour=hour)
        if source != OFFICIAL:
            row.input = self.rng.choice(PRICES)
            row.output = PRICES[min(len(PRICES) - 1, PRICES.index(row.input) + 3)]
        self.state[source][i] = row
        self.open_version(source, hour, i, row)
        if hour > 0:
            self.change(source, hour, i, "listed", None, None, self.summary(row), "info")

    def deprecation(self, i: int, announced: dt.date, shutdown: dt.date,
                    replacement: str | None) -> Callable[[int, int], None]:
        def edit(source: int, hour: int) -> None:
            row = self.state[source].get(i)
            if row is None or row.status != "active":
                return
            self.close_version(source, hour, row)
            old_status, row.status = row.status, "deprecated"
            row.announced_on, row.shutdown_on, row.replacement = announced.isoformat(), shutdown.isoformat(), replacement
            self.change(source, hour, i, "status", "status", old_status, "deprecated", "warning")
            self.change(source, hour, i, "shutdown_date", "shutdown_on", None, row.shutdown_on, "warning")
            self.change(source, hour, i, "announced_date", "announced_on", None, row.announced_on, "warning")
            if replacement:
                self.change(source, hour, i, "replacement", "replacement", None, replacement, "warning")
            self.open_version(source, hour, i, row)
        return edit

    def set_status(self, source: int, hour: int, i: int, status: str) -> None:
        row = self.state[source].get(i)
        if row is None or row.status == status:
            return
        self.close_version(source, hour, row)
        self.change(source, hour, i, "status", "status", row.status, status, "warning")
        row.status = status
        self.open_version(source, hour, i, row)

    def reprice(self, source: int, hour: int, i: int) -> None:
        row = self.state[source].get(i)
        if row is None or row.input is None:
            return
        new = self.rng.choice(PRICES)
        if new == row.input:
            return
        self.close_version(source, hour, row)
        severity = "warning" if float(new) > float(row.input) else "info"
        self.change(source, hour, i, "price", "input/per_1m_tokens/standard", row.input, new, severity)
        row.input = new
        self.open_version(source, hour, i, row)

    def delist(self, source: int, hour: int, i: int) -> None:
        row = self.state[source].pop(i, None)
        if row is None:
            return
        self.close_version(source, hour, row)
        self.change(source, hour, i, "delisted", None, self.summary(row), None, "warning")
        self.lines[source].pop(i, None)

    # -- rows as the store writes them ------------------------------------------------------

    def observed_at(self, source: int, hour: int) -> dt.datetime:
        return self.start + hour * HOUR + dt.timedelta(minutes=7 * source, seconds=(hour * 37 + source) % 60)

    def open_version(self, source: int, hour: int, i: int, row: Row) -> None:
        # Two edits in one poll make one version, as one parse would.
        name = self.names[i]
        prices = None if row.input is None else prices_text(row.input, row.output)
        reuse = row.version_hour == hour
        if not reuse:
            row.version_id, row.version_hour = len(self.versions) + 1, hour
        version = {
            "id": row.version_id, "source": SOURCES[source], "key": name, "provider": PROVIDERS[i % 10],
            "model": name, "source_id": None if source == OFFICIAL else f"{PROVIDERS[i % 10]}/{name}",
            "distribution": None, "is_model": True, "status": row.status,
            "announced_on": dt.date.fromisoformat(row.announced_on) if row.announced_on else None,
            "shutdown_on": dt.date.fromisoformat(row.shutdown_on) if row.shutdown_on else None,
            "shutdown_qualifier": None, "replacement": row.replacement, "aliases": self.aliases.get(i),
            "price_set": None, "availability": None, "section": None,
            "url": f"https://example.com/{SOURCES[source]}#{name}",
            "valid_from": self.observed_at(source, hour), "valid_to": None, "run_id": 0,
        }
        if reuse:
            self.versions[row.version_id - 1] = version
            self.prices[row.version_id - 1] = prices
        else:
            self.versions.append(version)
            self.prices.append(prices)
        self.lines[source][i] = json.dumps({"id": name, "status": row.status, "shutdown": row.shutdown_on,
                                            "replacement": row.replacement, "input": row.input,
                                            "output": row.output}, separators=(",", ":"))

    def close_version(self, source: int, hour: int, row: Row) -> None:
        if row.version_hour != hour:  # else the version opened by this poll is updated in place
            self.versions[row.version_id - 1]["valid_to"] = self.observed_at(source, hour)

    def change(self, source: int, hour: int, i: int, kind: str, field: str | None, old: str | None,
               new: str | None, severity: str) -> None:
        row = self.state[source].get(i)
        if row is not None and row.listed_hour == hour and kind != "listed":
            return  # listed by this very poll: the `listed` change tells it all
        self.changes.append({
            "id": len(self.changes) + 1, "run_id": 0, "source": SOURCES[source], "key": self.names[i],
            "provider": PROVIDERS[i % 10], "model": self.names[i], "kind": kind, "field": field, "old": old,
            "new": new, "severity": severity, "note": None, "detected_at": self.observed_at(source, hour),
            "silence_id": None,
        })

    @staticmethod
    def summary(row: Row) -> str:
        parts = [f"status {row.status}"]
        if row.shutdown_on:
            parts.append(f"shutdown {row.shutdown_on}")
        if row.input:
            parts.append("2 prices")
        return "; ".join(parts)

    # -- polls ----------------------------------------------------------------------------

    def run(self) -> None:
        self.schedule()
        last_hash: list[str | None] = [None] * len(SOURCES)
        stored: set[str] = set()
        for hour in range(self.hours):
            for source in range(len(SOURCES)):
                edits = self.due[source].pop(hour, None)
                at = self.observed_at(source, hour)
                first_version, first_change = len(self.versions), len(self.changes)
                if edits:
                    for edit in edits:
                        edit(source, hour)
                changed = len(self.versions) > first_version or len(self.changes) > first_change
                run: dict[str, Any] = {
                    "id": len(self.runs) + 1, "source": SOURCES[source], "trigger": "daemon", "started_at": at,
                    "finished_at": at + dt.timedelta(milliseconds=800), "observed_at": at,
                    "url": f"https://example.com/{SOURCES[source]}", "http_status": 200, "bytes": None,
                    "duration_ms": 800, "etag": None, "last_modified": None, "parser_version": "1",
                    "rows": len(self.state[source]), "changes": len(self.changes) - first_change, "error": None,
                }
                if not changed and hour and self.rng.random() < 0.003:
                    run.update(outcome="failed", http_status=503, content_hash=None, rows=None,
                               error="HTTP 503 Service Unavailable")
                elif changed or last_hash[source] is None:
                    body = ("[" + ",".join(self.lines[source][i] for i in sorted(self.lines[source])) + "]").encode()
                    digest = sha256(body).hexdigest()
                    last_hash[source] = digest
                    run.update(outcome="baseline" if hour == 0 else "changed", content_hash=digest, bytes=len(body))
                    if hour >= self.documents_from and digest not in stored:
                        stored.add(digest)
                        self.documents.append({"sha256": digest, "source": SOURCES[source],
                                               "content_type": "application/json", "size": len(body),
                                               "compression": "zlib", "body": zlib.compress(body, 6),
                                               "first_seen_at": at})
                else:
                    run.update(outcome="unchanged", content_hash=last_hash[source])
                self.runs.append(run)
                for version in self.versions[first_version:]:
                    version["run_id"] = run["id"]
                for change in self.changes[first_change:]:
                    change["run_id"] = run["id"]


def generate(engine: Engine, models: int, seed: int) -> tuple[Year, float]:
    clock = time.perf_counter()
    end = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    year = Year(models=models, start=end - dt.timedelta(days=365), rng=random.Random(seed))
    year.run()
    with engine.begin() as connection:
        write(connection, year)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))  # what autovacuum does on its own over a year
    return year, time.perf_counter() - clock


def write(connection: Connection, year: Year, *, documents: bool = True) -> None:
    """Insert the year's rows. Prices go as the writer stores them: each distinct set once in
    `price_set` (ids in the order versions first name them), each version naming its set."""
    texts = list(dict.fromkeys(prices for prices in year.prices if prices is not None))
    with Session(bind=connection) as session:
        sets = store_price_sets(session, texts)
    for version, prices in zip(year.versions, year.prices, strict=True):
        version["price_set"] = None if prices is None else sets[prices]
    tables = ((RUN, year.runs), (DOCUMENT, year.documents if documents else []),
              (OBSERVATION_VERSION, year.versions), (CHANGE, year.changes))
    for table, rows in tables:
        for start in range(0, len(rows), 5000):
            connection.execute(insert(table), rows[start : start + 5000])


# --- measuring ----------------------------------------------------------------------------


def timed(fn: Callable[[], Any], repeat: int = 7) -> tuple[float, Any]:
    """Median wall time in ms (after one warm-up), and the last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        clock = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - clock) * 1000)
    return statistics.median(times), result


def cli(url: str, *args: str, repeat: int = 5) -> float:
    """Median wall time in ms of the real command, output discarded."""
    times = []
    for _ in range(repeat):
        clock = time.perf_counter()
        subprocess.run([sys.executable, "-m", "watcher", "--db", url, *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tempfile.gettempdir())
        times.append((time.perf_counter() - clock) * 1000)
    return statistics.median(times)


def export_throughput(engine: Engine, name: str) -> tuple[int, float]:
    sink = io.StringIO()
    clock = time.perf_counter()
    with engine.connect() as connection:
        count = render(export_rows(connection, name), Format.NDJSON, stream=_Null())
    del sink
    return count, count / (time.perf_counter() - clock)


class _Null(io.StringIO):
    def write(self, text: str) -> int:
        return len(text)


def export_rss(url: str, name: str) -> float:
    """Peak memory (MB) of `watcher export NAME` run as a child process."""
    script = ("import resource, subprocess, sys;"
              f"subprocess.run([sys.executable, '-m', 'watcher', '--db', {url!r}, 'export', {name!r}, '--format', 'csv'],"
              " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True);"
              "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         cwd=tempfile.gettempdir())
    return int(out.stdout) / 1024


def database_size(engine: Engine, url: str) -> str:
    path = sqlite_path(url)
    if path is not None:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return f"{path.stat().st_size / 1e6:.1f} MB (SQLite file)"
    with engine.connect() as connection:
        total = database_stats(connection)[0]
    return f"{total['bytes'] / 1e6:.1f} MB (PostgreSQL schema)"


def startup(repeat: int = 10) -> dict[str, float]:
    """Wall time of query commands on a small database, min over runs (ms)."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'small.db'}"
        engine = make_engine(url)
        ensure_schema(engine)
        small = Year(models=40, start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), rng=random.Random(1), hours=24 * 20,
                     documents_from=0)
        small.run()
        with engine.begin() as connection:
            write(connection, small, documents=False)
        engine.dispose()
        out = {}
        for label, args in (("changes", ("changes", "--format", "json")),
                            ("history", ("history", small.names[3], "--format", "json")),
                            ("changes --help", ("changes", "--help"))):
            times = []
            for _ in range(repeat):
                clock = time.perf_counter()
                subprocess.run([sys.executable, "-m", "watcher", "--db", url, *args], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp)
                times.append((time.perf_counter() - clock) * 1000)
            out[label] = min(times)
            out[label + " (median)"] = statistics.median(times)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--db", help="database URL (default: a new SQLite file in a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the generated SQLite file")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="analyst-year-")
    url = args.db or f"sqlite:///{Path(tmp) / 'year.db'}"
    engine = make_engine(url)
    ensure_schema(engine)
    year, seconds = generate(engine, args.models, args.seed)
    outcomes: dict[str, int] = {}
    for run in year.runs:
        outcomes[run["outcome"]] = outcomes.get(run["outcome"], 0) + 1
    print(f"generated in {seconds:.1f} s: {len(year.runs)} runs {outcomes}, {len(year.versions)} versions, "
          f"{len(year.changes)} changes, {len(year.documents)} raw documents kept")
    print(f"database size: {database_size(engine, url)}")

    end = year.start + dt.timedelta(days=365)
    model = Counter(v["model"] for v in year.versions).most_common(1)[0][0]
    with engine.connect() as connection:
        ms, rows = timed(lambda: history(connection, model))
        print(f"history {model}: {ms:.1f} ms in-process ({len(rows)} versions)")
        ms, rows = timed(lambda: history(connection, year.names[7]))
        print(f"history {year.names[7]}: {ms:.1f} ms in-process ({len(rows)} versions)")
        ms, rows = timed(lambda: history(connection, "gpt-12*"))
        print(f"history 'gpt-12*': {ms:.1f} ms in-process ({len(rows)} versions)")
        mid = year.start + dt.timedelta(days=200, minutes=30)
        ms, rows = timed(lambda: list(asof(connection, mid)), repeat=3)
        print(f"asof {mid:%Y-%m-%d}: {ms:.0f} ms in-process ({len(rows)} rows, all sources)")
        ms, rows = timed(lambda: list(asof(connection, mid, sources=["gateway-a"])), repeat=3)
        print(f"asof {mid:%Y-%m-%d} --source gateway-a: {ms:.0f} ms in-process ({len(rows)} rows)")
        flt = ChangeFilter(since=end - dt.timedelta(days=30))
        ms, rows = timed(lambda: list(changes(connection, flt)), repeat=3)
        print(f"changes --since 30d: {ms:.0f} ms in-process ({len(rows)} changes)")
        for view in ("price_history", "lifecycle_history"):
            query = text(f"SELECT * FROM {view} WHERE model = :model")
            ms, rows = timed(lambda: connection.execute(query, {"model": model}).all())  # noqa: B023 (called at once)
            print(f"{view} WHERE model = {model}: {ms:.1f} ms ({len(rows)} rows)")
        ms, rows = timed(lambda: connection.execute(text("SELECT * FROM upcoming_shutdowns WHERE days_left <= 90")).all(),
                         repeat=3)
        print(f"upcoming_shutdowns within 90 days: {ms:.0f} ms ({len(rows)} rows)")
        flt = ChangeFilter(since=end - dt.timedelta(days=30), kinds=("shutdown_date",), severities=("warning",))
        ms, rows = timed(lambda: list(changes(connection, flt)), repeat=3)
        print(f"changes --since 30d --kind shutdown_date --severity warning: {ms:.0f} ms in-process ({len(rows)} changes)")

    print("command line (start, query, print JSON to /dev/null), median of 5:")
    print(f"  watcher history {model}: {cli(url, 'history', model, '--format', 'json'):.0f} ms")
    print(f"  watcher asof {mid:%Y-%m-%d}: {cli(url, 'asof', mid.isoformat(), '--format', 'json', repeat=3):.0f} ms")
    print(f"  watcher changes --since 30d: {cli(url, 'changes', '--since', '30d', '--format', 'json', repeat=3):.0f} ms")

    for name in ("change", "observation_version", "price_history"):
        count, rate = export_throughput(engine, name)
        print(f"export {name}: {count} rows at {rate:,.0f} rows/s (ndjson, in-process)")
    print(f"export peak memory (csv, child process): change {export_rss(url, 'change'):.0f} MB, "
          f"run {export_rss(url, 'run'):.0f} MB, lease {export_rss(url, 'lease'):.0f} MB")

    for label, ms in startup().items():
        print(f"small database: watcher {label}: {ms:.0f} ms")
    if args.keep or args.db:
        print(f"kept: {url}")
    else:
        engine.dispose()
        for path in Path(tmp).iterdir():
            path.unlink()
        os.rmdir(tmp)


if __name__ == "__main__":
    main()
