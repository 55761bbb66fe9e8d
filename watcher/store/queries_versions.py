"""Versions of facts: a model's history, the catalog as of a time, shutdowns ahead.

All three read the versions (`version_record`, which analysts see as the view
`observation_version`; SCD-2: a version holds from `valid_from` until `valid_to`,
NULL while current) as SQL text (`watcher.store.sql`), and return plain dicts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any, Final

from watcher.store import times
from watcher.store.derived import resolved_sql
from watcher.store.globs import is_glob
from watcher.store.layout import kinds
from watcher.store.sql import Params, Readable, dialect, rows
from watcher.store.values import plain_rows_of

VERSION_FIELDS: Final = (
    "source", "key", "provider", "model", "source_id", "distribution", "is_model", "status", "announced_on",
    "shutdown_on", "shutdown_qualifier", "replacement", "aliases", "prices", "availability", "milestones", "valid_from",
    "valid_to", "url",
)
_KINDS: Final = kinds("observation_version")


def selected(names: Sequence[str], v: str = "v") -> tuple[str, tuple[tuple[str, Any], ...]]:
    """`SELECT …` of the version columns `names` as readers see them (`watcher.store.derived`),
    from `version_record` named `v`, and the (name, kind) of each for `plain_rows_of`."""
    columns = ", ".join(f"{resolved_sql(name, v)} AS {name}" for name in names)
    return f"SELECT {columns} FROM version_record {v}", tuple((name, _KINDS[name]) for name in names)


_SELECT, _COLUMNS = selected(VERSION_FIELDS)


def alias_condition(p: Params, name: str, dialect: str, v: str = "v") -> str:
    """`name` is one of the ", "-joined aliases (or, as a glob, fits one of them)."""
    # `aliases IS NOT NULL` lets the planner search the partial index of rows that have
    # aliases instead of scanning every version (440 ms -> 1 ms on a year of history).
    aliases = f"{v}.aliases"
    if is_glob(name):
        # A glob may then span the separator: good enough for a search.
        return f"({aliases} IS NOT NULL AND {p.glob(aliases, f'*{name}*', dialect)})"
    fits = " OR ".join([f"{aliases} = {p(name)}", *(p.glob(aliases, pattern, dialect)
                                                     for pattern in (f"{name}, *", f"*, {name}", f"*, {name}, *"))])
    return f"({aliases} IS NOT NULL AND ({fits}))"


def own_id_fits(fits: str, v: str = "v") -> str:
    """`fits` (a condition with `{}` for the column) asked of the index that holds the
    source's own id: the key index where that id is the row's key (stored as SAME), else
    the partial index of the ids stated (migrations 0009, 0010), whose condition
    (`source_id <> ''`, SAME) is spelt here as the index states it, so the planner sees it."""
    own, key = fits.format(f"{v}.source_id"), fits.format(f"{v}.key")
    return f"(({v}.source_id <> '' AND {own}) OR ({v}.source_id = '' AND {key}))"


def model_filter(p: Params, name: str, dialect: str, v: str = "v") -> str:
    """The row's id, canonical or as the source spells it, is `name` (or fits it, as a glob)."""
    model = p.glob(f"{v}.model", name, dialect)
    own = own_id_fits(p.glob("{}", name, dialect), v)
    return f"({model} OR {own})"


def history(connection: Readable, model: str) -> list[dict[str, Any]]:
    """Every version of every row that is, or is also called, `model` (glob allowed), across sources.

    Rows are found by any spelling (canonical id, the source's own id, an alias);
    then all versions of those rows are listed, also ones from before the row
    gained the name. Ordered by source, key, then time.
    """
    name = dialect(connection)
    p = Params()
    by_name = f"SELECT n.source, n.key FROM version_record n WHERE {model_filter(p, model, name, 'n')}"
    by_alias = (f"SELECT a.source, a.key FROM version_record a "
                f"WHERE a.aliases IS NOT NULL AND {alias_condition(p, model, name, 'a')}")
    # Joined, not `(v.source, v.key) IN (…)`: SQLite answers a row-value IN by scanning every
    # version (90 ms on a year of history); the join seeks each found row's versions by key (7 ms).
    sql = (f"{_SELECT} JOIN ({by_name} UNION {by_alias}) found ON found.source = v.source AND found.key = v.key "
           "ORDER BY v.source, v.key, v.valid_from")
    return list(plain_rows_of(rows(connection, sql, p), _COLUMNS))


def asof(connection: Readable, at: dt.datetime, *, sources: Sequence[str] = (),
         model: str | None = None) -> Iterator[dict[str, Any]]:
    """The catalog as it was at `at`: each row's version with valid_from <= at < valid_to (or current)."""
    p = Params()
    sql = f"{_SELECT} WHERE v.valid_from <= {p(times.Compact(at))} AND (v.valid_to IS NULL OR v.valid_to > {p(times.Compact(at))})"
    if sources:
        sql += f" AND v.source IN {p.among(sources)}"
    if model:
        sql += f" AND {model_filter(p, model, dialect(connection))}"
    sql += " ORDER BY v.source, v.key"
    yield from plain_rows_of(rows(connection, sql, p), _COLUMNS)


UPCOMING_FIELDS: Final = ("shutdown_on", "days_left", "source", "provider", "model", "key", "status",
                          "shutdown_qualifier", "replacement", "announced_on", "is_model", "url")
_UPCOMING, _UPCOMING_COLUMNS = selected(tuple(name for name in UPCOMING_FIELDS if name != "days_left"))


def watched_condition(p: Params, watchlist: Sequence[str], dialect: str) -> str:
    """The row's model or key fits a watchlist glob: `matching.watched` as SQL."""
    return "(" + " OR ".join(p.glob(column, pattern, dialect) for pattern in watchlist
                             for column in ("v.model", "v.key")) + ")"


def upcoming(connection: Readable, *, today: dt.date, within: dt.timedelta, sources: Sequence[str] = (),
             model: str | None = None, watchlist: Sequence[str] = (), watched_only: bool = False,
             offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
    """Current rows whose shutdown date falls between `today` and `today + within`, soonest
    first; with a `watchlist`, its models first (or, `watched_only`, alone). `offset` and
    `limit` page through them in that order, so a page reads only the rows it shows."""
    last = today + dt.timedelta(days=within.days)
    name = dialect(connection)
    p = Params()
    sql = f"{_UPCOMING} WHERE v.valid_to IS NULL AND v.shutdown_on >= {p(today)} AND v.shutdown_on <= {p(last)}"
    if sources:
        sql += f" AND v.source IN {p.among(sources)}"
    if model:
        sql += f" AND {model_filter(p, model, name)}"
    order = ["v.shutdown_on", "v.model", "v.source", "v.key"]
    if watchlist and watched_only:
        sql += f" AND {watched_condition(p, watchlist, name)}"
    elif watchlist:
        order.insert(0, f"CASE WHEN {watched_condition(p, watchlist, name)} THEN 0 ELSE 1 END")
    sql += f" ORDER BY {', '.join(order)}"
    if limit is not None:
        sql += f" LIMIT {p(limit)}"
    if offset:
        sql += ("" if limit is not None else " LIMIT " + ("-1" if name == "sqlite" else "ALL"))
        sql += f" OFFSET {p(offset)}"
    out: list[dict[str, Any]] = []
    for row in plain_rows_of(rows(connection, sql, p), _UPCOMING_COLUMNS):
        shutdown = row["shutdown_on"]
        out.append({"shutdown_on": shutdown, "days_left": (dt.date.fromisoformat(shutdown) - today).days, **row})
    return out
