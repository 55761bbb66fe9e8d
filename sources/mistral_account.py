"""Source `mistral-account`: the models your Mistral key can call (`GET /v1/models`).

Off unless a key is configured (`api_key`, default `${MISTRAL_API_KEY:-}`). Each
model object is one row keyed by its id, with its `aliases`; `deprecation` (the
date it goes) is the shutdown and `deprecation_replacement_model` the replacement.
"""

from __future__ import annotations

from typing import Final

from sources.base import BuiltinSource, Option
from sources.model_list_api import api_date, bearer, cursor_pages, models
from watcher.model import Document, Observation, ParseError, Status

PROVIDER: Final = "mistral"


def parse(doc: Document) -> list[Observation]:
    rows: dict[str, Observation] = {}
    for item in models(doc):
        shutdown = api_date(item.get("deprecation"))
        replacement = item.get("deprecation_replacement_model")
        stated = item.get("aliases")
        aliases = stated if isinstance(stated, list) else []
        rows.setdefault(item["id"], Observation(
            key=item["id"], provider=PROVIDER, model=item["id"],
            aliases=tuple(a for a in aliases if isinstance(a, str) and a and a != item["id"]),
            status=Status.DEPRECATED if shutdown else Status.ACTIVE, shutdown_on=shutdown,
            replacement=(replacement,) if isinstance(replacement, str) and replacement else None,
        ))
    if not rows:
        raise ParseError("the account lists no models (a key without access?)")
    return list(rows.values())


SOURCE: Final = BuiltinSource(
    name="mistral-account",
    urls=("https://api.mistral.ai/v1/models",),
    parser_version="1",
    parse_fn=parse,
    first_party=PROVIDER,
    account_view=True,
    options=(Option("api_key", "${MISTRAL_API_KEY:-}", "Mistral API key; the source is off while it is empty",
                    secret=True, required=True),),
    headers_fn=bearer,
    next_page_fn=cursor_pages("after"),
    description="Your Mistral account's model list (GET /v1/models): deprecation date and replacement",
)
