"""The JSON API's shapes: the rows `watcher … --format json` prints, in an envelope
that carries a schema version. watcher/web/openapi.py turns these into the OpenAPI document, so
the description served at /api/openapi.json is the code, not a second copy."""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel, ConfigDict

SCHEMA_VERSION: Final = 1


class _Row(BaseModel):
    model_config = ConfigDict(extra="allow")  # a field added later is not an error for old clients


class ChangeRow(_Row):
    id: int
    detected_at: str
    source: str
    provider: str | None
    model: str | None
    key: str | None
    kind: str
    field: str | None
    old: str | None
    new: str | None
    severity: str | None
    note: str | None
    run_id: int | None
    silence_id: int | None


class UpcomingRow(_Row):
    shutdown_on: str
    days_left: int
    source: str
    provider: str | None
    model: str | None
    key: str
    status: str | None
    shutdown_qualifier: str | None
    replacement: str | None
    announced_on: str | None
    is_model: bool | None
    url: str | None
    watched: bool
    disagreeing_sources: list[str]


class VersionRow(_Row):
    source: str
    key: str
    provider: str | None
    model: str | None
    source_id: str | None
    distribution: str | None
    is_model: bool | None
    status: str | None
    announced_on: str | None
    shutdown_on: str | None
    shutdown_qualifier: str | None
    replacement: str | None
    aliases: str | None
    prices: Any
    availability: str | None
    valid_from: str | None
    valid_to: str | None
    url: str | None


class SourceRow(_Row):
    source: str
    enabled: bool
    schedule: str
    last_run: str | None
    last_outcome: str | None
    last_success: str | None
    failures: int
    rows: int
    last_error: str | None
    next_poll: str | None


class ModelSourceRow(_Row):
    source: str
    source_id: str | None
    key: str
    distribution: str | None
    status: str | None
    shutdown_on: str | None
    replacement: str | None
    prices: dict[str, str]
    availability: str | None
    since: str | None
    last_seen: str | None
    disagreements: list[str]


class Disagreement(_Row):
    source: str
    kind: str
    text: str
    since: str | None


class ModelView(_Row):
    provider: str
    model: str
    shutdown_on: str | None
    shutdown_source: str | None
    days_left: int | None
    sources: list[ModelSourceRow]
    disagreements: list[Disagreement]


class ChangesOut(BaseModel):
    schema_version: int = SCHEMA_VERSION
    changes: list[ChangeRow]
    next_offset: int | None


class UpcomingOut(BaseModel):
    schema_version: int = SCHEMA_VERSION
    today: str
    upcoming: list[UpcomingRow]
    next_offset: int | None = None  # more rows follow: ask again with this offset


class ModelOut(BaseModel):
    schema_version: int = SCHEMA_VERSION
    models: list[ModelView]


class HistoryOut(BaseModel):
    schema_version: int = SCHEMA_VERSION
    model: str
    history: list[VersionRow]


class AsofOut(BaseModel):
    schema_version: int = SCHEMA_VERSION
    at: str
    rows: list[VersionRow]


class SourcesOut(BaseModel):
    schema_version: int = SCHEMA_VERSION
    sources: list[SourceRow]


class OperationRow(_Row):
    path: str  # as the OpenAPI document names it: `{model}` is a path parameter
    summary: str


class IndexOut(BaseModel):
    """What the API offers, at its root: each operation and the document describing them."""

    schema_version: int = SCHEMA_VERSION
    openapi: str
    operations: list[OperationRow]


class Problem(BaseModel):
    """An error: one line saying what was wrong with the request."""

    detail: str
