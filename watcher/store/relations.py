"""The tables and analyst views as light SQLAlchemy Core relations, for the read side.

Query commands must answer in well under half a second, and importing SQLModel
(with pydantic) costs about a tenth of that on its own; reading through these
`table()` clauses needs only SQLAlchemy Core. They carry the column types that
matter when reading (UTC datetimes, dates, booleans), so SQLite's text comes
back as the same Python values PostgreSQL gives. `tests/test_analyst_views.py`
checks them against the SQLModel tables and the views the migrations create.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Boolean, Date, Integer, LargeBinary, Numeric, String
from sqlalchemy.sql.expression import ColumnClause, TableClause, column, table

from watcher.store.types import JSONText, UTCDateTime


def _t(name: str, *columns: ColumnClause[object]) -> TableClause:
    return table(name, *columns)


def _s(name: str) -> ColumnClause[object]:
    return column(name, String)


def _i(name: str) -> ColumnClause[object]:
    return column(name, Integer)


def _ts(name: str) -> ColumnClause[object]:
    return column(name, UTCDateTime)


def _d(name: str) -> ColumnClause[object]:
    return column(name, Date)


def _b(name: str) -> ColumnClause[object]:
    return column(name, Boolean)


def _j(name: str) -> ColumnClause[object]:
    return column(name, JSONText)


def _n(name: str) -> ColumnClause[object]:
    return column(name, Numeric)


RUN: Final = _t(
    "run", _i("id"), _s("source"), _s("trigger"), _ts("started_at"), _ts("finished_at"), _ts("observed_at"),
    _s("outcome"), _s("url"), _i("http_status"), _i("bytes"), _i("duration_ms"), _s("etag"),
    _s("last_modified"), _s("content_hash"), _s("parser_version"), _i("rows"), _i("changes"), _s("error"),
)
DOCUMENT: Final = _t(
    "document", _s("sha256"), _s("source"), _s("content_type"), _i("size"), _s("compression"),
    column("body", LargeBinary), _ts("first_seen_at"),
)
_FACTS: Final = ("source", "key", "provider", "model", "source_id", "distribution")
OBSERVATION_VERSION: Final = _t(
    "observation_version", _i("id"), *map(_s, _FACTS), _b("is_model"), _s("status"), _d("announced_on"),
    _d("shutdown_on"), _s("shutdown_qualifier"), _s("replacement"), _s("aliases"), _j("prices"),
    _s("availability"), _s("milestones"), _s("section"), _s("url"), _ts("valid_from"), _ts("valid_to"),
    _i("run_id"),
)
CHANGE: Final = _t(
    "change", _i("id"), _i("run_id"), _s("source"), _s("key"), _s("provider"), _s("model"), _s("kind"),
    _s("field"), _s("old"), _s("new"), _s("severity"), _s("note"), _ts("detected_at"), _i("silence_id"),
)
ABSENCE: Final = _t("absence", _s("source"), _s("key"), _i("misses"), _ts("first_missed_at"))
DELIVERY: Final = _t(
    "delivery", _i("id"), _s("dedupe_key"), _s("channel"), _s("route"), _s("kind"), _s("severity"), _s("title"),
    _s("body_text"), _s("body_markdown"), _s("body_html"), _s("change_ids"), _s("status"), _i("attempts"),
    _ts("next_attempt_at"), _s("last_error"), _ts("created_at"), _ts("sent_at"),
)
SILENCE: Final = _t(
    "silence", _i("id"), _s("model"), _s("source"), _s("reason"), _ts("created_at"), _ts("until"),
    _ts("expired_at"),
)
REMINDER_SENT: Final = _t("reminder_sent", _s("model"), _d("shutdown_on"), _i("days"), _ts("sent_at"))
LEASE: Final = _t("lease", _s("name"), _s("holder"), _i("epoch"), _ts("expires_at"), _ts("acquired_at"))

# --- the analyst views (migration 0003) ---------------------------------------------------

CURRENT_MODELS: Final = _t(
    "current_models", *map(_s, _FACTS), _b("is_model"), _s("status"), _d("announced_on"), _d("shutdown_on"),
    _s("shutdown_qualifier"), _s("replacement"), _s("aliases"), _j("prices"), _s("availability"),
    _s("section"), _s("url"), _ts("valid_from"), _i("run_id"),
)
PRICE_HISTORY: Final = _t(
    "price_history", _s("source"), _s("key"), _s("provider"), _s("model"), _s("price_key"), _s("component"),
    _s("unit"), _s("tier"), _s("variant"), _s("price"), _ts("valid_from"), _ts("valid_to"), _n("price_value"),
)
LIFECYCLE_HISTORY: Final = _t(
    "lifecycle_history", _s("source"), _s("key"), _s("provider"), _s("model"), _s("status"),
    _d("announced_on"), _d("shutdown_on"), _s("shutdown_qualifier"), _s("replacement"), _s("availability"),
    _ts("valid_from"), _ts("valid_to"),
)
UPCOMING_SHUTDOWNS: Final = _t(
    "upcoming_shutdowns", _s("source"), _s("key"), _s("provider"), _s("model"), _b("is_model"), _s("status"),
    _d("announced_on"), _d("shutdown_on"), _s("shutdown_qualifier"), _s("replacement"), _i("days_left"),
    _s("url"),
)
SOURCE_HEALTH: Final = _t(
    "source_health", _s("source"), _ts("last_run_at"), _s("last_outcome"), _s("last_error"),
    _ts("last_success_at"), _i("consecutive_failures"), _i("runs"), _i("failed_runs"), _i("current_rows"),
    _ts("last_change_at"),
)

TABLES: Final[dict[str, TableClause]] = {
    t.name: t for t in (RUN, DOCUMENT, OBSERVATION_VERSION, CHANGE, ABSENCE, DELIVERY, SILENCE,
                        REMINDER_SENT, LEASE)
}
VIEWS: Final[dict[str, TableClause]] = {
    v.name: v for v in (CURRENT_MODELS, PRICE_HISTORY, LIFECYCLE_HISTORY, UPCOMING_SHUTDOWNS, SOURCE_HEALTH)
}
RELATIONS: Final[dict[str, TableClause]] = {**TABLES, **VIEWS}
