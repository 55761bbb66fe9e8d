"""The read facade: one function per question the query commands, the page, the feeds
and the JSON API ask.

Each takes the query engine (`watcher.store.reading`: on an SQLite file, sqlite3
without SQLAlchemy; else a SQLAlchemy engine), opens and closes its own connection, and returns plain dicts in the shapes `watcher … --format
json` prints, so every surface shows the same facts the same way. A listing that may
be long is streamed: its connection stays open until the rows are read. Nothing here
writes, and nothing here knows about HTTP, HTML or the command line. Modules the
page does not need are imported by the function that reads through them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watcher.store import times
from watcher.store.values import iso_time

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from watcher.model import SourceRow
    from watcher.store.queries_changes import ChangeFilter
    from watcher.store.reading import QueryEngine


@dataclasses.dataclass(frozen=True, slots=True)
class ChangePage:
    rows: list[dict[str, Any]]
    offset: int
    limit: int
    more: bool  # another page follows


def recent_changes(engine: QueryEngine, flt: ChangeFilter, *, offset: int = 0, limit: int = 50) -> ChangePage:
    """One page of matching changes, newest first."""
    from watcher.store.queries_changes import changes

    page = dataclasses.replace(flt, newest_first=True, offset=offset, limit=limit + 1)
    with engine.connect() as connection:
        rows = list(changes(connection, page))
    return ChangePage(rows[:limit], offset, limit, len(rows) > limit)


def model_history(engine: QueryEngine, model: str) -> list[dict[str, Any]]:
    from watcher.store.queries_versions import history

    with engine.connect() as connection:
        return history(connection, model)


def catalog_asof(engine: QueryEngine, at: dt.datetime, *, sources: Sequence[str] = (),
                 model: str | None = None) -> list[dict[str, Any]]:
    return list(catalog_asof_streamed(engine, at, sources=sources, model=model))


def catalog_asof_streamed(engine: QueryEngine, at: dt.datetime, *, sources: Sequence[str] = (),
                          model: str | None = None) -> Iterator[dict[str, Any]]:
    """The catalog at `at`, row by row: `watcher asof` prints a whole catalog (thousands of
    rows), and holding them all costs more than reading them."""
    from watcher.store.queries_versions import asof

    return _streamed(engine.connect(), lambda connection: asof(connection, at, sources=sources, model=model))


def source_health(engine: QueryEngine, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per source: last run and outcome, last success, consecutive failures, rows, the
    last error or refusal reason."""
    from watcher.store.queries_sources import source_summaries

    with engine.connect() as connection:
        return source_summaries(connection, names)


def shutdown_revisions(engine: QueryEngine, rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], tuple[int, str]]:
    """Per (source, key): how many times its shutdown date changed, and when it last did
    (a calendar's SEQUENCE and LAST-MODIFIED for the event)."""
    from watcher.model import ChangeKind
    from watcher.store.sql import Params
    from watcher.store.sql import rows as selected

    pairs = sorted({(row["source"], row["key"]) for row in rows})
    if not pairs:
        return {}
    p = Params()
    wanted = ", ".join(f"({p(source)}, {p(key)})" for source, key in pairs)
    sql = (f"SELECT source, key, count(*), max(detected_at) FROM change_record WHERE kind = {p(ChangeKind.SHUTDOWN_DATE.value)} "
           f"AND (source, key) IN (VALUES {wanted}) GROUP BY source, key")
    with engine.connect() as connection:
        return {(source, key): (int(count), iso_time(times.read(last)))
                for source, key, count, last in selected(connection, sql, p)}


# --- what only the command line asks ------------------------------------------------------


def changes_in_order(engine: QueryEngine, flt: ChangeFilter) -> Iterator[dict[str, Any]]:
    """Every matching change, oldest first (newest first if the filter says so), streamed."""
    from watcher.store.queries_changes import changes

    return _streamed(engine.connect(), lambda connection: changes(connection, flt))


def _streamed(connection: AbstractContextManager[Any],
              read: Callable[[Any], Iterable[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    """Rows read lazily through `connection`, which is closed once they are read. It is
    opened by the caller, before any row is asked for: a database that cannot be read
    fails before a command prints anything."""
    with connection as opened:
        yield from read(opened)


def recorded_sources(engine: QueryEngine) -> set[str]:
    """Every source the database holds runs of (configured now or not)."""
    from watcher.store.reading import recorded_sources as recorded

    with engine.connect() as connection:
        return recorded(connection)


def shutdowns_ahead(engine: QueryEngine, *, today: dt.date, within: dt.timedelta, sources: Sequence[str] = (),
                    model: str | None = None) -> list[dict[str, Any]]:
    """Shutdowns between `today` and `today + within`, soonest first, as each source states them now."""
    from watcher.store.queries_versions import upcoming

    with engine.connect() as connection:
        return upcoming(connection, today=today, within=within, sources=sources, model=model)


def relation_rows(engine: QueryEngine, name: str) -> Iterator[dict[str, Any]]:
    """A whole table or view in its stable export order, streamed in constant memory."""
    from watcher.store.export import export_rows

    return _streamed(core_engine(engine).connect(), lambda connection: export_rows(connection, name))


def relation_to_parquet(engine: QueryEngine, name: str, output: Path) -> int:
    """A whole table or view written to a Parquet file; the number of rows."""
    from watcher.store.export import export_relation_columns
    from watcher.store.parquet import write_parquet

    return write_parquet(relation_rows(engine, name), export_relation_columns(name), output)


def outbox_listing(engine: QueryEngine, states: Sequence[str], limit: int | None = None) -> list[dict[str, Any]]:
    """Deliveries in these listing states (pending, failed, sending, dead, sent), oldest first."""
    from watcher.store.queries_outbox import listing

    with engine.connect() as connection:
        return listing(connection, states, limit)


def silence_listing(engine: QueryEngine, now: dt.datetime, *, everything: bool = False) -> list[dict[str, Any]]:
    """Active silences (every one with `everything`), each with how many changes it held back."""
    from watcher.store.queries_silences import silence_rows

    with core_engine(engine).connect() as connection:
        return silence_rows(connection, now, everything=everything)


def storage_stats(engine: QueryEngine) -> list[dict[str, Any]]:
    """Rows and bytes per table, and per source."""
    from watcher.store.stats import database_stats

    with core_engine(engine).connect() as connection:
        return database_stats(connection)


def audit_facts(engine: QueryEngine) -> tuple[list[SourceRow], dt.datetime | None]:
    """What `watcher audit` judges: every source's current rows, and when a source was last read."""
    from watcher.store.audit import current_rows, data_as_of

    with core_engine(engine).connect() as connection:
        return current_rows(connection), data_as_of(connection)


def core_engine(engine: QueryEngine) -> Engine:
    """A SQLAlchemy engine on the same database, for what still reads through Core (and the web)."""
    from watcher.store.reading import SqliteQueries

    return engine.engine() if isinstance(engine, SqliteQueries) else engine
