"""What a version row leaves out because another column already states it (migrations 0010, 0011).

Most sources key a row by their own id and state one url for the whole document
(LiteLLM: every row), so `source_id` repeated the key and `url` the run's url on
every version: 0.76 MB of the 5.05 MB the nine LiteLLM releases left (issue 13).
Such a value is stored as SAME (the empty string) and read back from the key, or
from the url of the run that wrote the version; NULL still means none. Readers
select `resolved(...)`, never the two stored columns.

A version's prices are a set many versions share, stored once in `price_set` and
named by the version's `price_set` (migration 0011); readers see them as the
`prices` column the version had.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from watcher.store.layout import VERSION_AS_READ

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.sql.base import ReadOnlyColumnCollection

SAME: Final = ""
# The stored column -> what it is derived from when it holds SAME.
DERIVED: Final = ("source_id", "url")
# A version's columns as every reader and the export see them, in their order.
COLUMNS: Final = tuple(name for name, _ in VERSION_AS_READ)


def stored(value: str | None, derived: str | None) -> str | None:
    """What to store for `value` when the column is derived from `derived`: SAME where
    they are equal; an empty value is no value (SAME would read back as `derived`)."""
    if not value:
        return None
    return SAME if value == derived else value


def source_id(v: ReadOnlyColumnCollection[str, Any]) -> ColumnElement[Any]:
    from sqlalchemy import case

    return case((v.source_id == SAME, v.key), else_=v.source_id)


def url(v: ReadOnlyColumnCollection[str, Any]) -> ColumnElement[Any]:
    from sqlalchemy import case, select

    from watcher.store.relations import RUN

    run_url = select(RUN.c.url).where(RUN.c.id == v.run_id).scalar_subquery()
    return case((v.url == SAME, run_url), else_=v.url)


def prices(v: ReadOnlyColumnCollection[str, Any]) -> ColumnElement[Any]:
    from sqlalchemy import select

    from watcher.store.relations import PRICE_SET

    return select(PRICE_SET.c.prices).where(PRICE_SET.c.id == v.price_set).scalar_subquery()


def resolved_sql(name: str, v: str) -> str:
    """The version column `name` as readers see it, in SQL text, `v` naming the version
    table: `source_id`, `url` and `prices` as the functions above say, the rest as stored."""
    if name == "source_id":
        return f"CASE WHEN {v}.source_id = '' THEN {v}.key ELSE {v}.source_id END"
    if name == "url":
        return f"CASE WHEN {v}.url = '' THEN (SELECT run.url FROM run WHERE run.id = {v}.run_id) ELSE {v}.url END"
    if name == "prices":
        return f"(SELECT price_set.prices FROM price_set WHERE price_set.id = {v}.price_set)"
    return f"{v}.{name}"


def resolved(v: ReadOnlyColumnCollection[str, Any], names: tuple[str, ...] | None = None) -> list[Any]:
    """The version columns `names` (default: `COLUMNS`) as readers see them, each under its own name."""
    from sqlalchemy import String, type_coerce

    from watcher.store.types import JSONText

    out: list[Any] = []
    for name in names if names is not None else COLUMNS:
        if name == "source_id":
            out.append(type_coerce(source_id(v), String()).label(name))
        elif name == "url":
            out.append(type_coerce(url(v), String()).label(name))
        elif name == "prices":
            out.append(type_coerce(prices(v), JSONText()).label(name))
        else:
            out.append(v[name])
    return out

