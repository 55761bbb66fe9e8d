"""Every table's and analyst view's columns, each with the kind of value it holds.

Stated here once, without SQLAlchemy: `watcher.store.relations` builds its Core
relations from it, and the query commands' SQL text (`watcher.store.sql`) reads
which columns need converting from it, so a query on SQLite starts without
importing SQLAlchemy at all.
"""

from __future__ import annotations

from typing import Final, Literal

Kind = Literal["text", "int", "time", "date", "bool", "json", "number", "bytes"]

_FACTS: Final = tuple((name, "text") for name in ("source", "key", "provider", "model", "source_id",
                                                   "distribution"))


def _columns(spec: str) -> tuple[tuple[str, Kind], ...]:
    """`name:kind name …`; a bare name is text."""
    out: list[tuple[str, Kind]] = []
    for item in spec.split():
        name, _, kind = item.partition(":")
        out.append((name, kind or "text"))  # type: ignore[arg-type]
    return tuple(out)


TABLES: Final[dict[str, tuple[tuple[str, Kind], ...]]] = {
    "run": _columns(
        "id:int source trigger started_at:time finished_at:time observed_at:time outcome url http_status:int "
        "bytes:int duration_ms:int etag last_modified content_hash parser_version rows:int changes:int error"),
    "document": _columns("sha256 source content_type size:int compression body:bytes first_seen_at:time base"),
    "observation_version": (("id", "int"), *_FACTS, *_columns(
        "is_model:bool status announced_on:date shutdown_on:date shutdown_qualifier replacement aliases "
        "availability milestones section url valid_from:time valid_to:time run_id:int price_set:int")),
    "price_set": _columns("id:int digest:int prices:json"),
    "change": _columns(
        "id:int run_id:int source key provider model kind field old new severity note detected_at:time "
        "silence_id:int"),
    "absence": _columns("source key misses:int first_missed_at:time"),
    "delivery": _columns(
        "id:int dedupe_key channel route kind severity title body_text body_markdown body_html change_ids status "
        "attempts:int next_attempt_at:time last_error created_at:time sent_at:time"),
    "silence": _columns("id:int model source reason created_at:time until:time expired_at:time"),
    "reminder_sent": _columns("model shutdown_on:date days:int sent_at:time"),
    "lease": _columns("name holder epoch:int expires_at:time acquired_at:time"),
}
# The history's own two tables are stored under other names, their times compact on
# SQLite (`watcher.store.times`); the names above are the views analysts read them
# through, with the same columns (migration 0013). The code reads the tables.
STORED_AS: Final[dict[str, str]] = {"observation_version": "version_record", "change": "change_record"}
# A version as every reader and the export see it (`watcher.store.derived`): its
# prices in place of the set that holds them (migration 0011), in this order.
VERSION_AS_READ: Final[tuple[tuple[str, Kind], ...]] = (("id", "int"), *_FACTS, *_columns(
    "is_model:bool status announced_on:date shutdown_on:date shutdown_qualifier replacement aliases "
    "prices:json availability milestones section url valid_from:time valid_to:time run_id:int"))
# The analyst views (migration 0003).
VIEWS: Final[dict[str, tuple[tuple[str, Kind], ...]]] = {
    "current_models": (*_FACTS, *_columns(
        "is_model:bool status announced_on:date shutdown_on:date shutdown_qualifier replacement aliases "
        "prices:json availability section url valid_from:time run_id:int")),
    "price_history": _columns(
        "source key provider model price_key component unit tier variant price valid_from:time valid_to:time "
        "price_value:number"),
    "lifecycle_history": _columns(
        "source key provider model status announced_on:date shutdown_on:date shutdown_qualifier replacement "
        "availability valid_from:time valid_to:time"),
    "upcoming_shutdowns": _columns(
        "source key provider model is_model:bool status announced_on:date shutdown_on:date shutdown_qualifier "
        "replacement days_left:int url"),
    "source_health": _columns(
        "source last_run_at:time last_outcome last_error last_success_at:time consecutive_failures:int runs:int "
        "failed_runs:int current_rows:int last_change_at:time"),
}


def kinds(relation: str) -> dict[str, Kind]:
    """Column name -> kind, for a table or a view (a version's: as read)."""
    if relation == "observation_version":
        return dict(VERSION_AS_READ)
    return dict(TABLES.get(relation) or VIEWS[relation])
