"""Source `anthropic-account`: the models your Anthropic key can call (`GET /v1/models`).

Off unless a key is configured (`api_key`, default `${ANTHROPIC_API_KEY:-}`).
Follows `has_more`/`last_id` pagination (`after_id`). Each model object is one
row keyed by its id: `lifecycle` (active / deprecated / retired) as its status,
`deprecated_at` as the announcement, `retires_at` as the shutdown. To list more
than the API's default, point `url` at `…/v1/models?limit=1000&lifecycle=active,deprecated`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sources.base import BuiltinSource, Option
from sources.lifecycle_words import status_of
from sources.model_list_api import api_date, cursor_pages, models
from watcher.model import Document, Observation, ParseError, Status
from watcher.secrets import Secret

PROVIDER: Final = "anthropic"
API_URL: Final = "https://api.anthropic.com/v1/models?limit=1000"
API_VERSION: Final = "2023-06-01"


def parse(doc: Document) -> list[Observation]:
    rows: dict[str, Observation] = {}
    for item in models(doc):
        stated = item.get("lifecycle")
        status = status_of(stated) if isinstance(stated, str) else None
        shutdown = api_date(item.get("retires_at"))
        rows.setdefault(item["id"], Observation(
            key=item["id"], provider=PROVIDER, model=item["id"],
            status=status or (Status.DEPRECATED if shutdown else Status.ACTIVE),
            announced_on=api_date(item.get("deprecated_at")), shutdown_on=shutdown,
        ))
    if not rows:
        raise ParseError("the account lists no models (a key without access?)")
    return list(rows.values())


def _headers(values: Mapping[str, Any]) -> Mapping[str, str]:
    key = values.get("api_key")
    token = key.reveal() if isinstance(key, Secret) else str(key or "")
    return {"x-api-key": token, "anthropic-version": API_VERSION} if token else {}


SOURCE: Final = BuiltinSource(
    name="anthropic-account",
    urls=(API_URL,),
    parser_version="1",
    parse_fn=parse,
    first_party=PROVIDER,
    account_view=True,
    options=(Option("api_key", "${ANTHROPIC_API_KEY:-}", "Anthropic API key; the source is off while it is empty",
                    secret=True, required=True),),
    headers_fn=_headers,
    next_page_fn=cursor_pages("after_id"),
    description="Your Anthropic account's model list (GET /v1/models): lifecycle, deprecated_at, retires_at",
)
