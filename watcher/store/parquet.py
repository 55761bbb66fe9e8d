"""`watcher export NAME --format parquet`: the same rows, typed, through DuckDB.

DuckDB is an optional extra (`pip install 'model-lifecycle-watcher[parquet]'`):
one wheel with no dependencies, where pyarrow would be several times the size.
Rows are streamed to a temporary NDJSON file exactly as `--format ndjson` writes
them, then DuckDB reads that with the column types declared here and writes
Parquet, so memory stays flat however large the table is.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Boolean, Date, Integer, Numeric

from watcher.store.types import JSONText, UTCDateTime

PARQUET_EXTRA: Final = "pip install 'model-lifecycle-watcher[parquet]'"


class ParquetUnavailableError(RuntimeError):
    pass


def duck_type(column: Any) -> str:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return "TIMESTAMPTZ"
    if isinstance(kind, Date):
        return "DATE"
    if isinstance(kind, Boolean):
        return "BOOLEAN"
    if isinstance(kind, Integer):
        return "BIGINT"
    if isinstance(kind, Numeric):
        return "DOUBLE"
    if isinstance(kind, JSONText):
        return "JSON"
    return "VARCHAR"


def write_parquet(rows: Iterable[dict[str, Any]], columns: list[Any], path: Path) -> int:
    """Write `rows` (dicts keyed by the names of `columns`) to `path`; returns how many."""
    try:
        import duckdb
    except ImportError:
        raise ParquetUnavailableError(f"Parquet export needs DuckDB: {PARQUET_EXTRA}") from None
    from watcher.output import Format, render

    with tempfile.TemporaryDirectory(prefix="watcher-export-") as tmp:
        staged = Path(tmp) / "rows.ndjson"
        with staged.open("w", encoding="utf-8") as out:
            count = render(rows, Format.NDJSON, stream=out)
        types = ", ".join(f"'{c.name}': '{duck_type(c)}'" for c in columns)
        names = ", ".join(f'"{c.name}"' for c in columns)
        connection = duckdb.connect()
        try:
            connection.execute("SET TimeZone = 'UTC'")
            source = f"read_json(?, format = 'newline_delimited', columns = {{{types}}})"
            if count:
                connection.execute(f"COPY (SELECT {names} FROM {source}) TO ? (FORMAT parquet)",
                                   [str(staged), str(path)])
            else:  # DuckDB cannot infer anything from an empty file: write the typed, empty table
                empty = ", ".join(f"CAST(NULL AS {duck_type(c)}) AS \"{c.name}\"" for c in columns)
                connection.execute(f"COPY (SELECT {empty} LIMIT 0) TO ? (FORMAT parquet)", [str(path)])
        finally:
            connection.close()
    return count
