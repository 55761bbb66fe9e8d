"""A long, churning history through the real pipeline; `asof` and `history` must
answer exactly what an independent model of SCD-2 says was inserted, on SQLite
and PostgreSQL, in-process and through the command line."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.analyst_support import T0, Version, as_of, catalog_source, churn, facts, oracle, record
from tests.conftest import _pg_schema
from tests.support import PG_ENV, run_watcher
from watcher.config import SourceSettings
from watcher.poll.pipeline import Poller
from watcher.store.engine import make_engine
from watcher.store.migrate import ensure_schema
from watcher.store.queries_versions import asof, history

POLLS = 200
SOURCE = catalog_source("toy-catalog")
SETTINGS = SourceSettings(name="toy-catalog", delist_after=2)
FACT_FIELDS = ("model", "status", "shutdown_on", "replacement", "aliases", "prices")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[Version]]]:
    """One database per backend holding POLLS hourly polls, and the versions they must have written."""
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path_factory.mktemp('history') / 'watcher.db'}"])
    else:
        base = os.environ.get(PG_ENV)
        if not base:
            pytest.skip(f"{PG_ENV} not set")
        urls = _pg_schema(base)
    url = next(urls)
    engine = make_engine(url)
    ensure_schema(engine)
    poller = Poller(engine=engine)
    snapshots = list(churn(seed=6, models=25, polls=POLLS))
    for at, rows in snapshots:
        record(poller, SOURCE, SETTINGS, rows, at)
    engine.dispose()
    yield url, oracle(snapshots, SETTINGS.delist_after)
    next(urls, None)  # drops the PostgreSQL schema


def _facts(row: dict[str, Any]) -> dict[str, Any]:
    facts = {name: row[name] for name in FACT_FIELDS}
    if isinstance(facts.get("prices"), dict):  # listings give the object; the oracle keeps the stored JSON text
        facts["prices"] = json.dumps(facts["prices"], separators=(",", ":"))
    return facts


def _probe_times() -> list[dt.datetime]:
    """Every poll instant (a version starts exactly there), between polls, before and after."""
    hour = dt.timedelta(hours=1)
    times = [T0 - hour, T0 + POLLS * hour + dt.timedelta(days=30)]
    for n in range(0, POLLS, 3):
        times += [T0 + n * hour, T0 + n * hour + dt.timedelta(minutes=30), T0 + n * hour - dt.timedelta(microseconds=1)]
    return times


def test_the_history_is_rich_enough_to_mean_something(built: tuple[str, list[Version]]) -> None:
    _, versions = built
    closed = [v for v in versions if v.valid_to is not None]
    assert len(versions) > 150 and len(closed) > 100
    assert any(v.facts["status"] == "deprecated" for v in versions)
    assert any(v.facts["aliases"] for v in versions)


def test_asof_answers_the_catalog_as_it_was_at_every_probe(built: tuple[str, list[Version]]) -> None:
    url, versions = built
    engine = make_engine(url)
    with engine.connect() as connection:
        for at in _probe_times():
            got = {row["key"]: _facts(row) for row in asof(connection, at)}
            assert got == as_of(versions, at), at
    engine.dispose()


def test_history_lists_every_version_of_a_model_found_by_id_alias_or_glob(built: tuple[str, list[Version]]) -> None:
    url, versions = built
    engine = make_engine(url)
    by_key: dict[str, list[Version]] = {}
    for version in versions:
        by_key.setdefault(version.key, []).append(version)
    aliased = sorted({v.key for v in versions if v.facts["aliases"]})
    with engine.connect() as connection:
        for key in sorted(by_key):
            rows = history(connection, f"model-{key[1:]}")
            assert [(r["key"], r["valid_from"], r["valid_to"], _facts(r)) for r in rows] == [
                (key, _iso(v.valid_from), _iso(v.valid_to), v.facts) for v in by_key[key]]
        for key in aliased:  # by alias: every version of the row, also those without the alias
            rows = history(connection, f"alias-{key}")
            assert [r["valid_from"] for r in rows] == [_iso(v.valid_from) for v in by_key[key]]
        globbed = {r["key"] for r in history(connection, "model-1*")}
        assert globbed == {k for k in by_key if k[1:].startswith("1")}
        assert history(connection, "MODEL-1") == []  # ids are case-sensitive, as in watchlists
        assert history(connection, "model-1%") == []  # SQL wildcards are not globs
    engine.dispose()


def test_the_commands_print_the_same_answers(built: tuple[str, list[Version]], tmp_path: Path) -> None:
    url, versions = built
    at = T0 + dt.timedelta(hours=POLLS // 2, minutes=30)
    done = run_watcher(["--db", url, "asof", at.isoformat(), "--source", "toy-catalog", "--format", "json"],
                       cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    printed = {row["key"]: _facts(row) for row in json.loads(done.stdout)}
    assert printed == as_of(versions, at)

    key = max({v.key for v in versions}, key=lambda k: sum(v.key == k for v in versions))
    done = run_watcher(["--db", url, "history", f"model-{key[1:]}", "--format", "ndjson"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["valid_from"], _facts(r)) for r in lines] == [
        (_iso(v.valid_from), v.facts) for v in versions if v.key == key]
    assert len(lines) > 2


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def test_oracle_facts_match_what_the_store_keeps() -> None:
    """The oracle's rendering of a row is the store's, or the comparisons above prove nothing."""
    row = {"id": "m1", "model": "model-1", "status": "deprecated", "shutdown": "2026-09-24",
           "replacement": "---", "alias": "alias-m1", "input": "2.50", "output": "4"}
    assert facts(row) == {"model": "model-1", "status": "deprecated", "shutdown_on": "2026-09-24",
                          "replacement": "---", "aliases": "alias-m1",
                          "prices": '{"input/per_1m_tokens/standard":"2.5","output/per_1m_tokens/batch":"4"}'}


def _periods(versions: list[Version], value: Any) -> list[tuple[Any, ...]]:
    """Contiguous versions of a row with the same `value(facts)` merged into one period."""
    out: list[list[Any]] = []
    open_: dict[tuple[str, Any], list[Any]] = {}
    for version in sorted(versions, key=lambda v: (v.key, v.valid_from)):
        for part, held in value(version.facts):
            slot = (version.key, part)
            period = open_.get(slot)
            if period is not None and period[4] == version.valid_from and period[2] == held:
                period[4] = version.valid_to
                continue
            open_[slot] = [version.key, part, held, version.valid_from, version.valid_to]
            out.append(open_[slot])
        for slot in [s for s in open_ if s[0] == version.key and s[1] not in dict(value(version.facts))]:
            del open_[slot]
    return sorted(tuple(p) for p in out)


def _view(url: str, sql: str) -> list[tuple[Any, ...]]:
    from sqlalchemy import text

    from watcher.store.values import _time

    engine = make_engine(url)
    with engine.connect() as connection:
        rows = [tuple(_time(v) if isinstance(v, dt.datetime) or (isinstance(v, str) and v[:2] == "20" and len(v) > 18)
                      else v for v in row) for row in connection.execute(text(sql))]
    engine.dispose()
    return sorted(rows)


def _iso_rows(periods: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(tuple(_iso(v) if isinstance(v, dt.datetime) else v for v in p) for p in periods)


def test_price_history_holds_one_row_per_price_period(built: tuple[str, list[Version]]) -> None:
    url, versions = built

    def prices(facts_: dict[str, Any]) -> list[tuple[str, str]]:
        return sorted(json.loads(facts_["prices"]).items()) if facts_["prices"] else []

    expected = _periods(versions, prices)
    got = _view(url, "SELECT key, price_key, price, valid_from, valid_to FROM price_history")
    assert got == _iso_rows(expected)
    assert len(got) < sum(len(prices(v.facts)) for v in versions)  # versions were merged
    split = _view(url, "SELECT DISTINCT price_key, component, unit, tier, variant FROM price_history")
    assert split == [("input/per_1m_tokens/standard", "input", "per_1m_tokens", "standard", None),
                     ("output/per_1m_tokens/batch", "output", "per_1m_tokens", "batch", None)]


def test_lifecycle_history_holds_one_row_per_lifecycle_period(built: tuple[str, list[Version]]) -> None:
    url, versions = built

    def lifecycle(facts_: dict[str, Any]) -> list[tuple[str, tuple[Any, ...]]]:
        return [("", (facts_["status"], facts_["shutdown_on"], facts_["replacement"]))]

    expected = [(key, *held, start, end) for key, _, held, start, end in _periods(versions, lifecycle)]
    got = _view(url, "SELECT key, status, shutdown_on, replacement, valid_from, valid_to FROM lifecycle_history")
    got = [tuple(str(v) if isinstance(v, dt.date) else v for v in row) for row in got]
    assert sorted(got) == _iso_rows(expected)
    assert len(got) < len(versions)


def test_view_columns_are_the_declared_relations(built: tuple[str, list[Version]]) -> None:
    from sqlalchemy import text

    from watcher.store.relations import VIEWS

    url, _ = built
    engine = make_engine(url)
    with engine.connect() as connection:
        for name, relation in VIEWS.items():
            result = connection.execute(text(f"SELECT * FROM {name} LIMIT 1"))
            assert list(result.keys()) == [c.name for c in relation.columns], name
    engine.dispose()
