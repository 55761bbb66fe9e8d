"""Data an analyst can load as it comes: `export price_history --format csv` read
by pandas (its default date parsing) and by DuckDB gives numeric prices and real
timestamps; every export has one order, the same on SQLite and PostgreSQL;
`prices` has one JSON shape in export, history and show; times have one form.

pandas and DuckDB are test dependencies for exactly this: they are what analysts
load exports with, and their type inference is what must succeed."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.analyst_support import catalog_doc, catalog_source, populate
from tests.support import PG_ENV, run_watcher
from watcher.config import SourceSettings
from watcher.poll.pipeline import Poller
from watcher.store.engine import make_engine
from watcher.store.export import ORDER
from watcher.store.migrate import ensure_schema
from watcher.store.relations import RELATIONS

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
# A poll's clock has microseconds; exported times must not show them (one form).
AT = dt.datetime(2026, 8, 19, 6, 0, 0, 282042, tzinfo=dt.UTC)


def duck(sql: str) -> Any:
    """A DuckDB query's relation (None only for statements that return nothing)."""
    import duckdb

    relation = duckdb.sql(sql)
    assert relation is not None
    return relation


def build(url: str) -> None:
    engine = make_engine(url)
    ensure_schema(engine)
    poller = Poller(engine=engine)
    populate(poller, dt.date(2026, 8, 1))
    source = catalog_source("pricey")
    settings = SourceSettings(name=source.name)
    rows = [{"id": "cheap", "input": "9.996"}, {"id": "dear", "input": "55000"}, {"id": "tiny", "input": "0.0000025"}]
    poller.record_document(source, settings, catalog_doc(source.name, rows, AT))
    rows[0]["input"] = "10.5"
    poller.record_document(source, settings, catalog_doc(source.name, rows, AT + dt.timedelta(hours=1)))
    engine.dispose()


def export(url: str, name: str, fmt: str, tmp_path: Path) -> str:
    result = run_watcher(["--db", url, "export", name, "--format", fmt], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def built(db_url: str) -> str:
    build(db_url)
    return db_url


def test_pandas_reads_numeric_prices_and_timestamps(built: str, tmp_path: Path) -> None:
    import pandas as pd

    text = export(built, "price_history", "csv", tmp_path)
    frame = pd.read_csv(io.StringIO(text), parse_dates=["valid_from", "valid_to"])
    assert str(frame["valid_from"].dtype).startswith("datetime64") and "UTC" in str(frame["valid_from"].dtype)
    assert str(frame["valid_to"].dtype).startswith("datetime64")
    assert frame["price_value"].dtype == "float64" and frame["price"].dtype == "float64"
    pricey = frame[frame["source"] == "pricey"].sort_values("price_value")
    assert list(pricey["key"]) == ["tiny", "cheap", "cheap", "dear"]  # 9.996 sorts below 55000
    assert pricey["valid_from"].min() == pd.Timestamp("2026-08-19T06:00:00Z")


def test_duckdb_reads_numeric_prices_and_timestamps(built: str, tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "prices.csv"
    path.write_text(export(built, "price_history", "csv", tmp_path))
    relation = duckdb.read_csv(str(path))
    types = dict(zip(relation.columns, map(str, relation.types)))
    assert types["valid_from"].startswith("TIMESTAMP") and types["valid_to"].startswith("TIMESTAMP")
    assert types["price_value"] == "DOUBLE" and types["price"] == "DOUBLE"
    cheapest = duck(f"SELECT key, price_value FROM read_csv('{path}') WHERE source = 'pricey' "
                          "ORDER BY price_value DESC LIMIT 1").fetchall()
    assert cheapest == [("dear", 55000.0)]


def test_exported_times_have_one_form_and_prices_one_shape(built: str, tmp_path: Path) -> None:
    for name in ("observation_version", "change", "run", "price_history", "current_models", "lifecycle_history"):
        for line in export(built, name, "ndjson", tmp_path).splitlines():
            row = json.loads(line)
            for column, value in row.items():
                if column.endswith(("_at", "valid_from", "valid_to")) and value is not None:
                    assert TIME.match(value), (name, column, value)
    current = [json.loads(line) for line in export(built, "current_models", "ndjson", tmp_path).splitlines()]
    exported = next(r["prices"] for r in current if r["key"] == "cheap")
    history = json.loads(run_watcher(["--db", built, "history", "cheap", "--format", "json"], cwd=tmp_path).stdout)
    shown = json.loads(run_watcher(["--db", built, "show", "cheap", "--format", "json"], cwd=tmp_path).stdout)
    assert exported == {"input/per_1m_tokens/standard": "10.5"}
    assert history[-1]["prices"] == exported == shown[0]["sources"][0]["prices"]
    assert [h["valid_from"] for h in history] == ["2026-08-19T06:00:00Z", "2026-08-19T07:00:00Z"]
    csv_text = export(built, "current_models", "csv", tmp_path)
    assert '"{""input/per_1m_tokens/standard"":""10.5""}"' in csv_text  # the same object, as JSON text


def test_every_relation_has_an_export_order() -> None:
    assert set(ORDER) == set(RELATIONS)
    for name, keys in ORDER.items():
        assert set(keys) <= {c.name for c in RELATIONS[name].columns}, name


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} not set")
def test_exports_come_in_the_same_order_on_sqlite_and_postgresql(tmp_path: Path) -> None:
    from tests.conftest import _pg_schema

    sqlite = f"sqlite:///{tmp_path / 'w.db'}"
    build(sqlite)
    schemas = _pg_schema(os.environ[PG_ENV])
    postgresql = next(schemas)
    try:
        build(postgresql)
        for name in ("current_models", "price_history", "lifecycle_history", "upcoming_shutdowns", "change",
                     "observation_version"):
            a, b = export(sqlite, name, "csv", tmp_path), export(postgresql, name, "csv", tmp_path)
            assert a.splitlines()[1:] and a == b, name
    finally:
        next(schemas, None)


METADATA = Path(__file__).resolve().parents[1] / "docs" / "datasette-metadata.json"


def documented_sqlite_queries() -> list[str]:
    from tests.test_analyst_docs import examples

    return [e.sql.strip().rstrip(";") for e in examples()
            if e.runs_on("sqlite") and e.sql.lstrip().upper().startswith(("SELECT", "WITH"))]


def test_datasette_metadata_describes_everything_and_cans_the_documented_queries(tmp_path: Path) -> None:
    import sqlite3

    meta = json.loads(METADATA.read_text(encoding="utf-8"))
    database = meta["databases"]["watcher"]
    tables = database["tables"]
    # The tables the history is stored in are described and hidden: analysts read their views.
    stored = {relation.name for relation in RELATIONS.values()} - set(RELATIONS)
    assert stored == {"version_record", "change_record"}
    assert set(tables) == set(RELATIONS) | stored
    for name, table in tables.items():
        assert table["description"], name
        assert table.get("hidden", False) or name not in stored, name
        columns = {c.name for c in RELATIONS[name].columns} if name in RELATIONS else set()
        assert set(table.get("sortable_columns", [])) <= columns, name
    assert "price_value" in tables["price_history"]["sortable_columns"]
    canned = [q["sql"] for q in database["queries"].values()]
    assert sorted(canned) == sorted(documented_sqlite_queries())  # the guide's queries, no more, no fewer
    assert all(q["title"] for q in database["queries"].values())
    # Each runs as Datasette runs it: SQLite, read-only, on a populated database.
    path = tmp_path / "watcher.db"
    build(f"sqlite:///{path}")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        for query in database["queries"].values():
            connection.execute(query["sql"]).fetchall()
        ordered = connection.execute("SELECT price_value FROM price_history WHERE source = 'pricey' "
                                     "ORDER BY price_value").fetchall()
    assert [v for (v,) in ordered] == [0.0000025, 9.996, 10.5, 55000.0]


def test_parquet_export_is_typed(built: str, tmp_path: Path) -> None:
    for name in ("price_history", "current_models"):
        path = tmp_path / f"{name}.parquet"
        result = run_watcher(["--db", built, "export", name, "--format", "parquet", "--output", str(path)],
                             cwd=tmp_path)
        assert result.returncode == 0 and f"{name}: " in result.stderr and "written to" in result.stderr
    described = duck(f"DESCRIBE SELECT * FROM '{tmp_path / 'price_history.parquet'}'").fetchall()
    types = {row[0]: row[1] for row in described}
    assert types["price_value"] == "DOUBLE" and types["valid_from"] == "TIMESTAMP WITH TIME ZONE"
    assert types["price"] == "VARCHAR"  # the exact text, beside the number
    dear = duck(f"SELECT price, price_value FROM '{tmp_path / 'price_history.parquet'}' "
                      "WHERE key = 'dear'").fetchall()
    assert dear == [("55000", 55000.0)]
    prices = duck(f"SELECT prices ->> '$.\"input/per_1m_tokens/standard\"' FROM "
                        f"'{tmp_path / 'current_models.parquet'}' WHERE key = 'cheap'").fetchall()
    assert prices == [("10.5",)]
    csv_count = len(export(built, "price_history", "csv", tmp_path).splitlines()) - 1
    assert duck(f"SELECT COUNT(*) FROM '{tmp_path / 'price_history.parquet'}'").fetchall() == [(csv_count,)]


def test_parquet_without_the_extra_names_the_pip_command(tmp_path: Path) -> None:
    fake = tmp_path / "site" / "duckdb"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'duckdb'\", name='duckdb')\n")
    result = run_watcher(["--db", str(tmp_path / "w.db"), "export", "change", "--format", "parquet", "--output",
                          str(tmp_path / "c.parquet")], cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "site")})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == ("watcher: Parquet export needs DuckDB: "
                                     "pip install 'model-lifecycle-watcher[parquet]'")
    missing = run_watcher(["--db", str(tmp_path / "w.db"), "export", "change", "--format", "parquet"], cwd=tmp_path)
    assert missing.returncode == 2 and missing.stderr.strip() == (
        "watcher: --format parquet writes a file: give --output PATH")


def test_export_to_a_file_and_to_an_unwritable_place(tmp_path: Path) -> None:
    db = str(tmp_path / "w.db")
    written = run_watcher(["--db", db, "export", "run", "--format", "csv", "--output", str(tmp_path / "runs.csv")],
                          cwd=tmp_path)
    assert written.returncode == 0 and (tmp_path / "runs.csv").read_text().startswith("id,source,")
    bad = run_watcher(["--db", db, "export", "run", "--output", str(tmp_path / "no" / "such" / "dir.csv")],
                      cwd=tmp_path)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.strip() == f"watcher: {tmp_path / 'no' / 'such' / 'dir.csv'}: cannot write: No such file or directory"
