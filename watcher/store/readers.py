"""The read facade: one function per question the query commands, the page, the feeds
and the JSON API ask.

Each takes an engine (the fast read-only one, `watcher.store.reading`), opens and
closes its own connection, and returns plain dicts in the shapes `watcher … --format
json` prints, so every surface shows the same facts the same way. A listing that may
be long is streamed: its connection stays open until the rows are read. Nothing here
writes, and nothing here knows about HTTP, HTML or the command line. Modules the
page does not need are imported by the function that reads through them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, func, select, tuple_

from watcher.model import ChangeKind
from watcher.store.relations import CHANGE
from watcher.store.values import iso_time

if TYPE_CHECKING:
    from watcher.model import SourceRow
    from watcher.store.queries_changes import ChangeFilter


@dataclasses.dataclass(frozen=True, slots=True)
class ChangePage:
    rows: list[dict[str, Any]]
    offset: int
    limit: int
    more: bool  # another page follows


def recent_changes(engine: Engine, flt: ChangeFilter, *, offset: int = 0, limit: int = 50) -> ChangePage:
    """One page of matching changes, newest first."""
    from watcher.store.queries_changes import changes

    page = dataclasses.replace(flt, newest_first=True, offset=offset, limit=limit + 1)
    with engine.connect() as connection:
        rows = list(changes(connection, page))
    return ChangePage(rows[:limit], offset, limit, len(rows) > limit)


def model_history(engine: Engine, model: str) -> list[dict[str, Any]]:
    from watcher.store.queries_versions import history

    with engine.connect() as connection:
        return history(connection, model)


def catalog_asof(engine: Engine, at: dt.datetime, *, sources: Sequence[str] = (),
                 model: str | None = None) -> list[dict[str, Any]]:
    return list(catalog_asof_streamed(engine, at, sources=sources, model=model))


def catalog_asof_streamed(engine: Engine, at: dt.datetime, *, sources: Sequence[str] = (),
                          model: str | None = None) -> Iterator[dict[str, Any]]:
    """The catalog at `at`, row by row: `watcher asof` prints a whole catalog (thousands of
    rows), and holding them all costs more than reading them."""
    from watcher.store.queries_versions import asof

    return _streamed(engine.connect(), lambda connection: asof(connection, at, sources=sources, model=model))


def source_health(engine: Engine, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per source: last run and outcome, last success, consecutive failures, rows, the
    last error or refusal reason."""
    from watcher.store.queries_sources import source_summaries

    with engine.connect() as connection:
        return source_summaries(connection, names)


def shutdown_revisions(engine: Engine, rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], tuple[int, str]]:
    """Per (source, key): how many times its shutdown date changed, and when it last did
    (a calendar's SEQUENCE and LAST-MODIFIED for the event)."""
    pairs = sorted({(row["source"], row["key"]) for row in rows})
    if not pairs:
        return {}
    c = CHANGE.c
    query = (select(c.source, c.key, func.count(), func.max(c.detected_at))
             .where(c.kind == ChangeKind.SHUTDOWN_DATE.value, tuple_(c.source, c.key).in_(pairs))
             .group_by(c.source, c.key))
    with engine.connect() as connection:
        return {(source, key): (int(count), iso_time(_aware(last)))
                for source, key, count, last in connection.execute(query)}


def _aware(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    when: dt.datetime = value
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


# --- what only the command line asks ------------------------------------------------------


def changes_in_order(engine: Engine, flt: ChangeFilter) -> Iterator[dict[str, Any]]:
    """Every matching change, oldest first (newest first if the filter says so), streamed."""
    from watcher.store.queries_changes import changes

    return _streamed(engine.connect(), lambda connection: changes(connection, flt))


def _streamed(connection: Connection,
              read: Callable[[Connection], Iterable[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    """Rows read lazily through `connection`, which is closed once they are read. It is
    opened by the caller, before any row is asked for: a database that cannot be read
    fails before a command prints anything."""
    with connection:
        yield from read(connection)


def recorded_sources(engine: Engine) -> set[str]:
    """Every source the database holds runs of (configured now or not)."""
    from watcher.store.reading import recorded_sources as recorded

    with engine.connect() as connection:
        return recorded(connection)


def shutdowns_ahead(engine: Engine, *, today: dt.date, within: dt.timedelta, sources: Sequence[str] = (),
                    model: str | None = None) -> list[dict[str, Any]]:
    """Shutdowns between `today` and `today + within`, soonest first, as each source states them now."""
    from watcher.store.queries_versions import upcoming

    with engine.connect() as connection:
        return upcoming(connection, today=today, within=within, sources=sources, model=model)


def relation_rows(engine: Engine, name: str) -> Iterator[dict[str, Any]]:
    """A whole table or view in its stable export order, streamed in constant memory."""
    from watcher.store.export import export_rows

    return _streamed(engine.connect(), lambda connection: export_rows(connection, name))


def relation_to_parquet(engine: Engine, name: str, output: Path) -> int:
    """A whole table or view written to a Parquet file; the number of rows."""
    from watcher.store.export import export_relation_columns
    from watcher.store.parquet import write_parquet

    return write_parquet(relation_rows(engine, name), export_relation_columns(name), output)


def outbox_listing(engine: Engine, states: Sequence[str], limit: int | None = None) -> list[dict[str, Any]]:
    """Deliveries in these listing states (pending, failed, sending, dead, sent), oldest first."""
    from watcher.store.queries_outbox import listing

    with engine.connect() as connection:
        return listing(connection, states, limit)


def silence_listing(engine: Engine, now: dt.datetime, *, everything: bool = False) -> list[dict[str, Any]]:
    """Active silences (every one with `everything`), each with how many changes it held back."""
    from watcher.store.queries_silences import silence_rows

    with engine.connect() as connection:
        return silence_rows(connection, now, everything=everything)


def storage_stats(engine: Engine) -> list[dict[str, Any]]:
    """Rows and bytes per table, and per source."""
    from watcher.store.stats import database_stats

    with engine.connect() as connection:
        return database_stats(connection)


def audit_facts(engine: Engine) -> tuple[list[SourceRow], dt.datetime | None]:
    """What `watcher audit` judges: every source's current rows, and when a source was last read."""
    from watcher.store.audit import current_rows, data_as_of

    with engine.connect() as connection:
        return current_rows(connection), data_as_of(connection)
