"""Source `openai-account`: the models your OpenAI key can call (`GET /v1/models`).

Off unless a key is configured (`api_key`, default `${OPENAI_API_KEY:-}`). Each
model object is one row keyed by its id: ACTIVE, or DEPRECATED with its
`shutdown_date` when the API states one. A watched model leaving this list is
news: the account can no longer call it.
"""

from __future__ import annotations

from typing import Final

from sources.base import BuiltinSource, Option
from sources.model_list_api import api_date, bearer, cursor_pages, models
from watcher.identity import resolve
from watcher.model import Document, Observation, ParseError, Status

PROVIDER: Final = "openai"


def parse(doc: Document) -> list[Observation]:
    rows: dict[str, Observation] = {}
    for item in models(doc):
        shutdown = api_date(item.get("shutdown_date"))
        identity = resolve(item["id"], PROVIDER)
        rows.setdefault(item["id"], Observation(
            key=item["id"], provider=identity.provider, model=identity.model,
            source_id=item["id"] if identity.model != item["id"] else None,
            status=Status.DEPRECATED if shutdown else Status.ACTIVE, shutdown_on=shutdown,
        ))
    if not rows:
        raise ParseError("the account lists no models (a key without access?)")
    return list(rows.values())


SOURCE: Final = BuiltinSource(
    name="openai-account",
    urls=("https://api.openai.com/v1/models",),
    parser_version="1",
    parse_fn=parse,
    first_party=PROVIDER,
    account_view=True,
    options=(Option("api_key", "${OPENAI_API_KEY:-}", "OpenAI API key; the source is off while it is empty",
                    secret=True, required=True),),
    headers_fn=bearer,
    next_page_fn=cursor_pages("after"),
    description="Your OpenAI account's model list (GET /v1/models): what the key can call, shutdown_date",
)
