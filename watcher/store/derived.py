"""What a version row leaves out because another column already states it (migration 0010).

Most sources key a row by their own id and state one url for the whole document
(LiteLLM: every row), so `source_id` repeated the key and `url` the run's url on
every version: 0.76 MB of the 5.05 MB the nine LiteLLM releases left (issue 13).
Such a value is stored as SAME (the empty string) and read back from the key, or
from the url of the run that wrote the version; NULL still means none. Readers
select `resolved(...)`, never the two stored columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.sql.base import ReadOnlyColumnCollection

SAME: Final = ""
# The stored column -> what it is derived from when it holds SAME.
DERIVED: Final = ("source_id", "url")


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


def resolved_sql(name: str, v: str) -> str:
    """The version column `name` as readers see it, in SQL text, `v` naming the version
    table: `source_id` and `url` as `source_id` and `url` above say, the rest as stored."""
    if name == "source_id":
        return f"CASE WHEN {v}.source_id = '' THEN {v}.key ELSE {v}.source_id END"
    if name == "url":
        return f"CASE WHEN {v}.url = '' THEN (SELECT run.url FROM run WHERE run.id = {v}.run_id) ELSE {v}.url END"
    return f"{v}.{name}"


def resolved(v: ReadOnlyColumnCollection[str, Any], names: tuple[str, ...] | None = None) -> list[Any]:
    """The version columns `names` (default: all) as readers see them, each under its own name."""
    from sqlalchemy import String, type_coerce

    out: list[Any] = []
    for name in names if names is not None else tuple(c.name for c in v):
        if name == "source_id":
            out.append(type_coerce(source_id(v), String()).label(name))
        elif name == "url":
            out.append(type_coerce(url(v), String()).label(name))
        else:
            out.append(v[name])
    return out

