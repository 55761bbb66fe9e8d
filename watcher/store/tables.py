"""The tables (docs/architecture.md, "The data model"). Migrations in `migrations/versions` create exactly these.

Money is decimal text, times are UTC, and `observation_version` is SCD-2: one
row per version of one source row's facts, `valid_to` NULL on the current one.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index, LargeBinary, text
from sqlmodel import Field, SQLModel
from sqlmodel._compat import SQLModelConfig  # the type SQLModel declares model_config with

from watcher.store.types import UTCDateTime


def _partial(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    """A partial index, `where` in SQL. SQLite's clause is stated here and PostgreSQL's
    (the same) by `declare_postgresql_where`: stating `postgresql_where` loads SQLAlchemy's
    PostgreSQL dialect, 2.4 MB resident in a daemon on SQLite (issue 13). Neither backend
    creates these indexes from the models; the migrations do, with both clauses."""
    return Index(name, *columns, unique=unique, sqlite_where=text(where), info={"where": where})


def declare_postgresql_where() -> None:
    """Give every partial index its PostgreSQL clause, for whatever compares or renders the
    models against a PostgreSQL database (the migrations' environment, autogenerate)."""
    for table in SQLModel.metadata.tables.values():
        for index in table.indexes:
            where = index.info.get("where")
            if where is not None:
                index.dialect_kwargs["postgresql_where"] = text(where)


class _Table(SQLModel):
    """What every table model is: its pydantic validator and serializer are built when
    first used, not at import (table models are constructed without validation, and a
    daemon that never dumps one saves 0.5 MB resident, issue 13)."""

    model_config = SQLModelConfig(defer_build=True)


def _utc(*, nullable: bool = False, index: bool = False, compact: bool = False) -> Column[dt.datetime]:
    return Column(UTCDateTime(compact), nullable=nullable, index=index)


class Run(_Table, table=True):
    __tablename__ = "run"
    __table_args__ = (Index("ix_run_source_started", "source", "started_at"),
                      Index("ix_run_source_observed", "source", "observed_at"))  # migration 0008 says who asks

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=100)
    trigger: str = Field(max_length=20)  # poll, ingest, daemon
    started_at: dt.datetime = Field(sa_column=_utc())
    finished_at: dt.datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    # The time the document speaks for: fetch time, or an archive's capture time.
    observed_at: dt.datetime = Field(sa_column=_utc())
    # changed, unchanged, not_modified, baseline, failed, refused
    outcome: str = Field(max_length=20)
    url: str | None = None
    http_status: int | None = None
    bytes: int | None = None
    duration_ms: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = Field(default=None, max_length=64)
    parser_version: str | None = Field(default=None, max_length=20)
    rows: int | None = None
    changes: int = 0
    error: str | None = None


class DocumentBlob(_Table, table=True):
    """A distinct raw body, content-addressed; written only when its hash is new, whole or
    as a delta against an earlier body of its source (watcher.store.documents)."""

    __tablename__ = "document"

    sha256: str = Field(primary_key=True, max_length=64)
    source: str = Field(max_length=100, index=True)
    content_type: str | None = None
    size: int  # uncompressed bytes
    # xz (whole), zstd-delta (against `base`: watcher.store.bodies); zlib before migration 0004
    compression: str = Field(default="xz", max_length=10)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    first_seen_at: dt.datetime = Field(sa_column=_utc())
    base: str | None = Field(default=None, max_length=64)  # the sha256 a delta is decoded against (0012)


class ObservationVersion(_Table, table=True):
    # Shown to analysts as the view `observation_version`, its times as text (migration 0013).
    __tablename__ = "version_record"
    __table_args__ = (
        # One current version per (source, key): the invariant the diff relies on.
        _partial("ux_observation_current", "source", "key", unique=True, where="valid_to IS NULL"),
        # A row's versions (history, the views' period ends); a row has few versions, so
        # ordering them by valid_from needs no index column (migration 0005), and few sources
        # share a key, so the source is read from the row, not the index (migration 0011).
        # It also finds a row by the source's own id where that is the key.
        Index("ix_observation_key", "key"),
        Index("ix_observation_model", "model"),
        # `watcher history ID` finds rows by any spelling (migration 0003); the source's own
        # id only where it is not the key, which the index above holds (migrations 0009, 0010).
        _partial("ix_observation_source_id", "source_id", where="source_id <> ''"),
        _partial("ix_observation_aliases", "aliases", where="aliases IS NOT NULL"),
        # Shutdowns ahead (`upcoming`, the web page's timeline, the calendar feed): a range
        # over current rows that state a date, not a scan of every current row (0007).
        _partial("ix_observation_upcoming", "shutdown_on", where="valid_to IS NULL AND shutdown_on IS NOT NULL"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=100)
    key: str
    provider: str
    model: str
    source_id: str | None = None  # '' (derived.SAME): the key; read through derived.resolved
    distribution: str | None = None
    is_model: bool = True
    status: str | None = Field(default=None, max_length=20)
    announced_on: dt.date | None = None
    shutdown_on: dt.date | None = None
    shutdown_qualifier: str | None = Field(default=None, max_length=20)
    replacement: str | None = None  # "---" = explicitly none; ids joined by ", "
    aliases: str | None = None  # ids joined by ", "
    availability: str | None = None
    milestones: str | None = None  # dated steps besides the shutdown, one per line (migration 0005)
    section: str | None = None
    url: str | None = None  # '' (derived.SAME): the run's url; read through derived.resolved
    valid_from: dt.datetime = Field(sa_column=_utc(compact=True))
    valid_to: dt.datetime | None = Field(default=None, sa_column=_utc(nullable=True, compact=True))
    run_id: int = Field(foreign_key="run.id")
    # The version's prices, a set many versions share (migration 0011); read through derived.resolved.
    # No foreign key: SQLite could not drop the column again; the writer stores the set first.
    price_set: int | None = None


class PriceSet(_Table, table=True):
    """A distinct set of prices, stored once (migration 0011): 1,684 sets among the 5,470
    versions the nine LiteLLM releases leave, 0.28 MB instead of 0.82 MB written per version.
    Ids are numbered in order, so a version names its set in a byte or two and the table
    fills its pages as appends do; a writer finds a set by its text's 32-bit `digest`
    (`codec.price_digest`), which sets may share."""

    __tablename__ = "price_set"
    __table_args__ = (Index("ix_price_set_digest", "digest"),)

    id: int | None = Field(default=None, primary_key=True)
    digest: int
    prices: str  # JSON object {price key: decimal text}, keys sorted


class ChangeRecord(_Table, table=True):
    # Shown to analysts as the view `change`, its time as text (migration 0013).
    __tablename__ = "change_record"
    # Indexed for the queries that run: `watcher changes` by time; per poll, a source's
    # open health alert and the open disagreements (few rows, so partial indexes).
    # By source, model or run nothing reads a range often enough to pay for an index
    # on every change row (migration 0005).
    __table_args__ = (
        Index("ix_change_detected", "detected_at"),
        _partial("ix_change_health", "source", where="kind = 'source_health'"),
        _partial("ix_change_disagreement", "key", where="kind = 'disagreement'"),
        # The calendar feed's SEQUENCE: how often each row's shutdown date moved (migration 0008).
        _partial("ix_change_shutdown", "source", "key", where="kind = 'shutdown_date'"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int | None = Field(default=None, foreign_key="run.id")
    source: str = Field(max_length=100)
    key: str
    provider: str | None = None
    model: str | None = None
    kind: str = Field(max_length=20)
    field: str | None = None
    old: str | None = None
    new: str | None = None
    severity: str = Field(max_length=10)
    note: str | None = None
    detected_at: dt.datetime = Field(sa_column=_utc(compact=True))
    silence_id: int | None = Field(default=None, foreign_key="silence.id")  # recorded, not alerted


class Absence(_Table, table=True):
    """A current row missing from the latest successful polls, not yet believed delisted."""

    __tablename__ = "absence"

    source: str = Field(primary_key=True, max_length=100)
    key: str = Field(primary_key=True)
    misses: int = 1
    first_missed_at: dt.datetime = Field(sa_column=_utc())


class Delivery(_Table, table=True):
    """Outbox: one message for one channel. Written in the poll's transaction,
    dispatched after the commit; `dedupe_key` makes queuing idempotent."""

    __tablename__ = "delivery"
    __table_args__ = (Index("ix_delivery_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True)
    channel: str = Field(max_length=100)
    route: str | None = Field(default=None, max_length=100)
    kind: str = Field(max_length=20)  # digest, reminder, health, test
    severity: str = Field(max_length=10)
    title: str
    body_text: str
    body_markdown: str
    body_html: str
    change_ids: str | None = None  # JSON list of change ids this message covers
    status: str = Field(default="pending", max_length=10)  # pending, sent, dead
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(sa_column=_utc())
    last_error: str | None = None
    created_at: dt.datetime = Field(sa_column=_utc())
    sent_at: dt.datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class Silence(_Table, table=True):
    __tablename__ = "silence"

    id: int | None = Field(default=None, primary_key=True)
    model: str  # glob
    source: str | None = Field(default=None, max_length=100)
    reason: str
    created_at: dt.datetime = Field(sa_column=_utc())
    until: dt.datetime = Field(sa_column=_utc())
    expired_at: dt.datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class ReminderSent(_Table, table=True):
    """One deadline reminder per (model, shutdown date, threshold), across restarts."""

    __tablename__ = "reminder_sent"

    model: str = Field(primary_key=True)
    shutdown_on: dt.date = Field(primary_key=True)
    days: int = Field(primary_key=True)
    sent_at: dt.datetime = Field(sa_column=_utc())


class Lease(_Table, table=True):
    """Leader lease for replicas; `epoch` grows on every change of holder (fencing)."""

    __tablename__ = "lease"

    name: str = Field(primary_key=True, max_length=50)
    holder: str = Field(max_length=200)
    epoch: int = 0
    expires_at: dt.datetime = Field(sa_column=_utc())
    acquired_at: dt.datetime = Field(sa_column=_utc())
