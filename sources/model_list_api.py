"""What the providers' model-list APIs have in common (`GET /v1/models` with a key).

One document is one page or, when the fetcher followed pagination, a JSON array
of pages (see `watcher.poll.fetch.Fetcher.fetch_source`). Pages are `{"data": [...],
"has_more": bool, "last_id": "..."}` where they paginate (Anthropic; OpenAI's
list shape), plain `{"data": [...]}` elsewhere.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sources.dates import parse_date
from watcher.model import Document, ParseError
from watcher.secrets import Secret


def pages(doc: Document) -> list[Mapping[str, Any]]:
    try:
        data = json.loads(doc.body)
    except ValueError as exc:
        raise ParseError(f"not JSON: {exc}") from None
    found = data if isinstance(data, list) else [data]
    if not found or not all(isinstance(page, Mapping) and isinstance(page.get("data"), list) for page in found):
        raise ParseError('not a model list (expected {"data": [...]})')
    return found


def models(doc: Document) -> Iterator[Mapping[str, Any]]:
    """Every model object of every page, in order (objects without an `id` are skipped)."""
    for page in pages(doc):
        for item in page["data"]:
            if isinstance(item, Mapping) and isinstance(item.get("id"), str) and item["id"]:
                yield item


def cursor_pages(param: str) -> Callable[[Document], str | None]:
    """`next_page` for `has_more` + `last_id` pagination: the same URL with `param=last_id`."""

    def next_page(doc: Document) -> str | None:
        try:
            page = json.loads(doc.body)
        except ValueError:
            return None  # parse will say what is wrong with it
        if not (isinstance(page, Mapping) and page.get("has_more") and isinstance(page.get("last_id"), str)):
            return None
        parts = urlsplit(doc.url)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != param] + [(param, page["last_id"])]
        return urlunsplit(parts._replace(query=urlencode(query)))

    return next_page


def api_date(value: Any) -> dt.date | None:
    """A date field: ISO date or date-time (`2026-01-05T00:00:00Z`), or Unix seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, dt.UTC).date()
    if isinstance(value, str):
        day, _ = parse_date(value[:10])
        return day
    return None


def bearer(values: Mapping[str, Any]) -> Mapping[str, str]:
    """`Authorization: Bearer KEY` from the `api_key` option (a Secret)."""
    key = values.get("api_key")
    token = key.reveal() if isinstance(key, Secret) else str(key or "")
    return {"Authorization": f"Bearer {token}"} if token else {}
