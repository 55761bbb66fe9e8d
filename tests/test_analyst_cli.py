"""The analyst commands on a small realistic database: `changes` filters, `upcoming`,
`export` of every table and view in every format, and their errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.analyst_support import populate
from tests.support import run_watcher
from watcher.poll.pipeline import Poller
from watcher.store.engine import make_engine
from watcher.store.export import export_columns, export_rows, exportable
from watcher.store.migrate import ensure_schema
from watcher.store.queries_changes import ChangeFilter, changes
from watcher.store.queries_versions import upcoming

TODAY = dt.datetime.now(dt.UTC).date()


@pytest.fixture
def populated(db_url: str) -> Iterator[str]:
    engine = make_engine(db_url)
    ensure_schema(engine)
    populate(Poller(engine=engine), TODAY)
    engine.dispose()
    yield db_url


def _changes(url: str, **filters: Any) -> list[dict[str, Any]]:
    engine = make_engine(url)
    with engine.connect() as connection:
        found = list(changes(connection, ChangeFilter(**filters)))
    engine.dispose()
    return found


def test_change_filters_narrow_as_documented(populated: str) -> None:
    everything = _changes(populated)
    assert everything == sorted(everything, key=lambda r: (r["detected_at"], r["id"]))
    march = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    july = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    window = _changes(populated, since=march, until=july)
    assert window and all("2026-03-01" <= r["detected_at"] < "2026-07-01" for r in window)
    assert {r["source"] for r in window} == {"example-catalog", "openai-deprecations"}
    assert _changes(populated, until=dt.datetime(2026, 6, 27, tzinfo=dt.UTC)) == [
        r for r in everything if r["detected_at"] < "2026-06-27"]  # until is exclusive
    sora = _changes(populated, model="sora-2*")
    assert sora and all(r["model"].startswith("sora-2") or r["key"].startswith("sora-2") for r in sora)
    assert _changes(populated, model="SORA-2*") == []
    prices = _changes(populated, kinds=["price"], sources=["example-catalog"])
    assert [(r["old"], r["new"], r["severity"]) for r in prices] == [("2.5", "2", "info")]
    assert {r["severity"] for r in _changes(populated, severities=["warning"])} == {"warning"}
    assert _changes(populated, providers=["openai"]) == [r for r in everything if r["provider"] == "openai"]
    assert _changes(populated, providers=["nobody"]) == []
    assert len(_changes(populated, limit=3)) == 3


def test_upcoming_lists_shutdowns_within_the_window_soonest_first(populated: str) -> None:
    engine = make_engine(populated)
    with engine.connect() as connection:
        rows = upcoming(connection, today=TODAY, within=dt.timedelta(days=90))
        narrow = upcoming(connection, today=TODAY, within=dt.timedelta(days=10), model="sora-2")
    engine.dispose()
    assert rows == sorted(rows, key=lambda r: (r["shutdown_on"], r["model"], r["source"], r["key"]))
    assert all(0 <= r["days_left"] <= 90 for r in rows)
    assert {"model": "sora-2", "source": "example-catalog", "days_left": 45, "replacement": "---"}.items() <= \
        next(r for r in rows if r["source"] == "example-catalog").items()
    assert narrow == []


def test_every_table_and_view_exports_in_every_format(populated: str) -> None:
    engine = make_engine(populated)
    with engine.connect() as connection:
        for name in exportable():
            rows = list(export_rows(connection, name))
            assert all(list(row) == export_columns(name) for row in rows), name
            json.dumps(rows)  # plain values only
    engine.dispose()
    assert "body" not in export_columns("document")


def test_the_commands_in_each_format(populated: str, tmp_path: Path) -> None:
    if not populated.startswith("sqlite"):
        pytest.skip("formats are the same code on both backends; the queries are covered above")

    def watcher(*args: str, code: int = 0) -> Any:
        done = run_watcher(["--db", populated, *args], cwd=tmp_path)
        assert done.returncode == code, done.stderr
        return done

    as_json = json.loads(watcher("changes", "--kind", "price", "--format", "json").stdout)
    as_ndjson = [json.loads(line) for line in watcher("changes", "--kind", "price", "--format", "ndjson").stdout.splitlines()]
    as_csv = list(csv.DictReader(io.StringIO(watcher("changes", "--kind", "price", "--format", "csv").stdout)))
    assert as_json == as_ndjson and len(as_csv) == len(as_json) > 0
    assert {"detected_at", "source", "provider", "model", "key", "kind", "field", "old", "new", "severity"} <= set(as_json[0])
    assert as_json[0]["detected_at"].endswith("Z")
    table = watcher("changes", "--since", "2026-03-01", "--until", "2026-03-06", "--format", "table").stdout
    assert "gpt-4o" in table and "2.5" in table
    watcher("changes", "--severity", "loud", code=2)

    soon = json.loads(watcher("upcoming", "--within", "90d", "--format", "json").stdout)
    assert any(r["model"] == "sora-2" and r["days_left"] == 45 for r in soon)
    watcher("upcoming", "--within", "soon", code=2)

    exported = watcher("export", "price_history", "--format", "csv")
    prices = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert {(r["source"], r["price"]) for r in prices if r["model"] == "gpt-4o" and r["component"] == "input"} >= {
        ("example-catalog", "2.5"), ("example-catalog", "2"), ("example-gateway", "2.75")}
    assert "price_history:" in exported.stderr
    lines = watcher("export", "change", "--format", "ndjson").stdout.splitlines()
    assert [json.loads(line)["id"] for line in lines] == sorted(json.loads(line)["id"] for line in lines)
    bad = watcher("export", "change; DROP TABLE run", code=2)
    assert "no table or view" in bad.stderr
    watcher("export", "change", "--format", "table", code=2)
