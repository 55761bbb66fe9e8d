"""The JSON API: the query commands (`changes`, `show`, `upcoming`, `history`, `asof`,
`sources`) over HTTP, with the rows `--format json` prints and a schema version.

Each endpoint is declared once, as an `Operation`: its route, and what the OpenAPI
document (watcher/web/openapi.py) says about its parameters and its answer's model."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse

from watcher.durations import parse_time
from watcher.store import readers
from watcher.web.context import (
    API_PREFIX,
    OPENAPI_PATH,
    bad_request,
    change_filter,
    checked_sources,
    many,
    model_views,
    number,
    required,
    text,
    web_context,
    within,
)
from watcher.web.schemas import (
    AsofOut,
    ChangesOut,
    HistoryOut,
    IndexOut,
    ModelOut,
    SourcesOut,
    UpcomingOut,
)
from watcher.web.sources_view import source_rows
from watcher.web.timeline import upcoming_shutdowns

PREFIX = API_PREFIX


@dataclasses.dataclass(frozen=True, slots=True)
class Param:
    """A parameter as the OpenAPI document states it (`where`: query or path)."""

    name: str
    schema: dict[str, Any]
    where: str = "query"
    required: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Operation:
    path: str  # Starlette's route path; {name:path} is {name} in the document
    endpoint: Callable[[Request], JSONResponse]
    summary: str
    model: type[BaseModel]
    params: tuple[Param, ...] = ()
    may_be_missing: bool = False  # answers 404 for a model no source lists

    @property
    def documented_path(self) -> str:
        """The path as the OpenAPI document and the API's index name it."""
        return PREFIX + re.sub(r"\{(\w+):path\}", r"{\1}", self.path)


def _reply(model: type[BaseModel], value: dict[str, Any]) -> JSONResponse:
    """The answer checked against its model, then serialised as the model says."""
    return JSONResponse(model.model_validate(value).model_dump(mode="json"))


def api_changes(request: Request) -> JSONResponse:
    ctx = web_context(request)
    offset, limit = number(request, "offset", 0, low=0), number(request, "limit", 100, low=1, high=1000)
    flt = change_filter(ctx, source=many(request, "source"), provider=many(request, "provider"),
                        model=text(request, "model"), kind=many(request, "kind"),
                        severity=many(request, "severity"), since=text(request, "since"),
                        until=text(request, "until"))
    page = readers.recent_changes(ctx.engine, flt, offset=offset, limit=limit)
    return _reply(ChangesOut, {"changes": page.rows, "next_offset": offset + limit if page.more else None})


def api_model(request: Request) -> JSONResponse:
    model = request.path_params["model"]
    views = model_views(web_context(request), model)
    for view in views:
        view.pop("history", None)
    return _reply(ModelOut, {"models": views})


def api_upcoming(request: Request) -> JSONResponse:
    ctx = web_context(request)
    offset, limit = number(request, "offset", 0, low=0), number(request, "limit", 100, low=1, high=1000)
    rows = upcoming_shutdowns(ctx.engine, today=ctx.today(), within=within(text(request, "within", "90d") or ""),
                              watchlist=ctx.settings.watchlist, sources=checked_sources(ctx, many(request, "source")),
                              model=text(request, "model"), offset=offset, limit=limit + 1)
    return _reply(UpcomingOut, {"today": ctx.today().isoformat(), "upcoming": rows[:limit],
                                "next_offset": offset + limit if len(rows) > limit else None})


def api_history(request: Request) -> JSONResponse:
    model = request.path_params["model"]
    rows = readers.model_history(web_context(request).engine, model)
    return _reply(HistoryOut, {"model": model, "history": rows})


def api_asof(request: Request) -> JSONResponse:
    ctx = web_context(request)
    try:
        when = parse_time(required(request, "at"))
    except ValueError as exc:
        raise bad_request(f"at: {exc}") from None
    rows = readers.catalog_asof(ctx.engine, when, sources=checked_sources(ctx, many(request, "source")),
                                model=text(request, "model"))
    return _reply(AsofOut, {"at": when.astimezone(dt.UTC).isoformat(), "rows": rows})


def api_index(request: Request) -> JSONResponse:
    return _reply(IndexOut, {"openapi": OPENAPI_PATH, "operations": [
        {"path": op.documented_path, "summary": op.summary} for op in OPERATIONS]})


def api_sources(request: Request) -> JSONResponse:
    return _reply(SourcesOut, {"sources": source_rows(web_context(request))})


_MANY = {"type": "array", "items": {"type": "string"}, "default": []}
_TEXT = {"anyOf": [{"type": "string"}, {"type": "null"}]}
_FILTERS = (Param("source", _MANY), Param("provider", _MANY), Param("model", _TEXT), Param("kind", _MANY),
            Param("severity", _MANY))
_PAGING = (Param("offset", {"type": "integer", "minimum": 0, "default": 0}),
           Param("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}))
_MODEL = Param("model", {"type": "string"}, where="path", required=True)

OPERATIONS: tuple[Operation, ...] = (
    Operation("/changes", api_changes, "Detected changes, newest first", ChangesOut,
              (*_FILTERS, Param("since", _TEXT), Param("until", _TEXT), *_PAGING)),
    Operation("/models/{model:path}", api_model, "What every source says now about a model", ModelOut,
              (_MODEL,), may_be_missing=True),
    Operation("/upcoming", api_upcoming, "Shutdowns ahead, watched models first", UpcomingOut,
              (Param("within", {"type": "string", "default": "90d"}), Param("source", _MANY), Param("model", _TEXT),
               *_PAGING)),
    Operation("/history/{model:path}", api_history, "Every version of a model's facts", HistoryOut, (_MODEL,)),
    Operation("/asof", api_asof, "The catalog as it was at a time", AsofOut,
              (Param("at", {"type": "string"}, required=True), Param("source", _MANY), Param("model", _TEXT))),
    Operation("/sources", api_sources, "Configured sources, schedule and health", SourcesOut),
    Operation("/", api_index, "What the API offers: each operation, and this document", IndexOut),
)
