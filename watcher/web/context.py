"""What every page, feed and API call needs: the database, the configuration, the
clock, and one reading of the query parameters and filters they all share."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine
from starlette.exceptions import HTTPException
from starlette.requests import Request

from watcher.config import Settings
from watcher.durations import parse_duration, parse_time
from watcher.model import KIND_NAMES, SEVERITY_NAMES
from watcher.store.queries_changes import ChangeFilter

API_PREFIX = "/api/v1"  # the JSON API's paths (watcher.web.api), mounted by watcher.web.app
OPENAPI_PATH = "/api/openapi.json"  # the document that describes them (watcher.web.openapi)
KINDS: tuple[str, ...] = KIND_NAMES
SEVERITIES: tuple[str, ...] = SEVERITY_NAMES


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclasses.dataclass(frozen=True, slots=True)
class WebContext:
    engine: Engine
    settings: Settings
    official_sources: frozenset[str]
    clock: Callable[[], dt.datetime] = _utcnow

    def today(self) -> dt.date:
        return self.clock().astimezone(dt.UTC).date()

    @property
    def source_names(self) -> list[str]:
        return list(self.settings.sources)


def web_context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.web
    return ctx


def bad_request(detail: str) -> HTTPException:
    return HTTPException(status_code=400, detail=detail)


def many(request: Request, name: str) -> list[str]:
    """A repeatable query parameter: ?kind=price&kind=status."""
    return request.query_params.getlist(name)


def text(request: Request, name: str, default: str | None = None) -> str | None:
    return request.query_params.get(name, default)


def required(request: Request, name: str) -> str:
    value = request.query_params.get(name)
    if value is None:
        raise bad_request(f"{name}: required")
    return value


def number(request: Request, name: str, default: int, *, low: int, high: int | None = None) -> int:
    """A whole-number query parameter within [low, high]; a bad one is a 400 naming it."""
    given = request.query_params.get(name)
    if given is None:
        return default
    try:
        value = int(given)
    except ValueError:
        raise bad_request(f"{name}: {given!r} is not a whole number") from None
    if value < low or (high is not None and value > high):
        raise bad_request(f"{name}: must be at least {low}" + (f" and at most {high}" if high is not None else ""))
    return value


def _choices(name: str, given: Sequence[str], allowed: Sequence[str]) -> tuple[str, ...]:
    values = tuple(v for v in given if v)
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise bad_request(f"{name}: unknown {', '.join(map(repr, unknown))}; expected one of {', '.join(allowed)}")
    return values


def change_filter(ctx: WebContext, *, source: Sequence[str] = (), provider: Sequence[str] = (),
                  model: str | None = None, kind: Sequence[str] = (), severity: Sequence[str] = (),
                  since: str | None = None, until: str | None = None) -> ChangeFilter:
    """The filters of `watcher changes`, checked the same way: an unknown source, kind or
    severity is an error that says what is allowed, never an empty answer."""
    try:
        start = parse_time(since) if since else None
        end = parse_time(until) if until else None
    except ValueError as exc:
        raise bad_request(f"since/until: {exc}") from None
    return ChangeFilter(
        since=start, until=end,
        sources=_choices("source", source, ctx.source_names),
        providers=tuple(p for p in provider if p),
        model=model or None,
        kinds=_choices("kind", kind, KINDS),
        severities=_choices("severity", severity, SEVERITIES),
    )


def model_views(ctx: WebContext, model: str) -> list[dict[str, Any]]:
    """What every source says now of `model`, with its history (watcher.show), or the
    404 that the page and the API both answer when no source lists it."""
    from watcher.show import model_dossiers

    views = model_dossiers(ctx.engine, model, today=ctx.today(), official_sources=ctx.official_sources)
    if not views:
        raise HTTPException(status_code=404, detail=f"no source lists {model!r}")
    return views


def within(text: str) -> dt.timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise bad_request(f"within: {exc}") from None


def checked_sources(ctx: WebContext, given: Sequence[str]) -> tuple[str, ...]:
    return _choices("source", given, ctx.source_names)
