"""Versions of facts: a model's history, the catalog as of a time, shutdowns ahead.

All three read `observation_version` (SCD-2: a version holds from `valid_from`
until `valid_to`, NULL while current) through Core, and return plain dicts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, and_, case, literal, or_, select, tuple_, union
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from watcher.store.derived import SAME, resolved
from watcher.store.globs import is_glob, matches
from watcher.store.relations import OBSERVATION_VERSION
from watcher.store.values import plain_rows, raw

VERSION_FIELDS: Final = (
    "source", "key", "provider", "model", "source_id", "distribution", "is_model", "status", "announced_on",
    "shutdown_on", "shutdown_qualifier", "replacement", "aliases", "prices", "availability", "milestones", "valid_from",
    "valid_to", "url",
)

_V = OBSERVATION_VERSION.c


_COLUMNS: Final = resolved(_V, VERSION_FIELDS)


def alias_condition(name: str, dialect: str, v: ReadOnlyColumnCollection[str, Any] = _V) -> ColumnElement[bool]:
    """`name` is one of the ", "-joined aliases (or, as a glob, fits one of them).

    `v`: the columns of `observation_version` as the caller's query names them
    (the ORM table for `watcher show`, the Core relation here)."""
    # `aliases IS NOT NULL` lets the planner search the partial index of rows that have
    # aliases instead of scanning every version (440 ms -> 1 ms on a year of history).
    stated = v.aliases.is_not(None)
    if is_glob(name):
        # A glob may then span the separator: good enough for a search.
        return and_(stated, matches(v.aliases, f"*{name}*", dialect))
    return and_(stated, or_(v.aliases == literal(name), *(matches(v.aliases, pattern, dialect)
                                                          for pattern in (f"{name}, *", f"*, {name}", f"*, {name}, *"))))


def own_id_fits(fits: Callable[[Any], ColumnElement[bool]],
                v: ReadOnlyColumnCollection[str, Any] = _V) -> ColumnElement[bool]:
    """`fits(source_id)`, asked of the index that holds the id: the key index where the
    source's own id is the row's key (stored as SAME), else the partial index of the ids
    stated (migrations 0009, 0010)."""
    return or_(and_(v.source_id != SAME, fits(v.source_id)), and_(v.source_id == SAME, fits(v.key)))


def model_filter(name: str, dialect: str, v: ReadOnlyColumnCollection[str, Any] = _V) -> ColumnElement[bool]:
    """The row's id, canonical or as the source spells it, is `name` (or fits it, as a glob)."""
    return or_(matches(v.model, name, dialect), own_id_fits(lambda own: matches(own, name, dialect), v))


def history(connection: Connection, model: str) -> list[dict[str, Any]]:
    """Every version of every row that is, or is also called, `model` (glob allowed), across sources.

    Rows are found by any spelling (canonical id, the source's own id, an alias);
    then all versions of those rows are listed, also ones from before the row
    gained the name. Ordered by source, key, then time.
    """
    dialect = connection.dialect.name
    by_name = select(_V.source, _V.key).where(model_filter(model, dialect))
    by_alias = select(_V.source, _V.key).where(_V.aliases.is_not(None), alias_condition(model, dialect))
    keys = union(by_name, by_alias).subquery()
    query = (select(*map(raw, _COLUMNS))
             .where(tuple_(_V.source, _V.key).in_(select(keys.c.source, keys.c.key)))
             .order_by(_V.source, _V.key, _V.valid_from))
    return list(plain_rows(connection.execute(query), _COLUMNS))


def asof(connection: Connection, at: dt.datetime, *, sources: Sequence[str] = (),
         model: str | None = None) -> Iterator[dict[str, Any]]:
    """The catalog as it was at `at`: each row's version with valid_from <= at < valid_to (or current)."""
    query = select(*map(raw, _COLUMNS)).where(_V.valid_from <= at, or_(_V.valid_to.is_(None), _V.valid_to > at))
    if sources:
        query = query.where(_V.source.in_(sources))
    if model:
        query = query.where(model_filter(model, connection.dialect.name))
    query = query.order_by(_V.source, _V.key)
    yield from plain_rows(connection.execute(query), _COLUMNS)


UPCOMING_FIELDS: Final = ("shutdown_on", "days_left", "source", "provider", "model", "key", "status",
                          "shutdown_qualifier", "replacement", "announced_on", "is_model", "url")
_UPCOMING_COLUMNS: Final = resolved(_V, tuple(name for name in UPCOMING_FIELDS if name != "days_left"))


def watched_condition(watchlist: Sequence[str], dialect: str) -> ColumnElement[bool]:
    """The row's model or key fits a watchlist glob: `matching.watched` as SQL."""
    return or_(*(matches(column, pattern, dialect) for pattern in watchlist for column in (_V.model, _V.key)))


def upcoming(connection: Connection, *, today: dt.date, within: dt.timedelta, sources: Sequence[str] = (),
             model: str | None = None, watchlist: Sequence[str] = (), watched_only: bool = False,
             offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
    """Current rows whose shutdown date falls between `today` and `today + within`, soonest
    first; with a `watchlist`, its models first (or, `watched_only`, alone). `offset` and
    `limit` page through them in that order, so a page reads only the rows it shows."""
    last = today + dt.timedelta(days=within.days)
    dialect = connection.dialect.name
    query = select(*map(raw, _UPCOMING_COLUMNS)).where(
        _V.valid_to.is_(None), and_(_V.shutdown_on >= today, _V.shutdown_on <= last))
    if sources:
        query = query.where(_V.source.in_(sources))
    if model:
        query = query.where(model_filter(model, dialect))
    order: list[Any] = [_V.shutdown_on, _V.model, _V.source, _V.key]
    if watchlist and watched_only:
        query = query.where(watched_condition(watchlist, dialect))
    elif watchlist:
        order.insert(0, case((watched_condition(watchlist, dialect), 0), else_=1))
    query = query.order_by(*order).offset(offset or None).limit(limit)
    out: list[dict[str, Any]] = []
    for row in plain_rows(connection.execute(query), _UPCOMING_COLUMNS):
        shutdown = row["shutdown_on"]
        out.append({"shutdown_on": shutdown, "days_left": (dt.date.fromisoformat(shutdown) - today).days, **row})
    return out
