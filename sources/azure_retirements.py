"""Source `azure-retirements`: Azure OpenAI / Foundry model retirement schedule.

Read from the Markdown file Microsoft keeps in the public MicrosoftDocs
repository (the stable source; learn.microsoft.com renders it). Tables under a
heading per maker (`### Azure OpenAI`, `### DeepSeek`, `### Anthropic`, …):
`Model | Version | Lifecycle | Retirement date | Replacement`, and fine-tuned
models' `Model | Version | Training retirement date | Deployment retirement date`.

Every row is Azure's own schedule for a maker's model (distribution `azure`),
never the maker's statement: Azure retiring gpt-4o on its date is not OpenAI
disagreeing with itself. Key `{model}@{version}` (`ft/` for fine-tuning);
lifecycle words GA / Preview / Deprecated / Legacy / Retired; "No earlier than
…" dates are "earliest"; the training retirement date of a fine-tuned model is
kept as its availability.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Final

from sources.base import BuiltinSource
from sources.blocks import Block, Heading, find_column, plain, section_url, slugify
from sources.cells import parse_replacement
from sources.dates import parse_date
from sources.lifecycle_words import status_of
from sources.page_source import read_page
from watcher.identity import UNKNOWN_PROVIDER, resolve
from watcher.model import Document, Observation

RAW_URL: Final = ("https://raw.githubusercontent.com/MicrosoftDocs/azure-ai-docs/main/articles/foundry/openai/"
                  "includes/concepts-model-retirement-schedule-content.md")
PAGE_URL: Final = "https://learn.microsoft.com/azure/ai-foundry/openai/concepts/model-retirements"
DISTRIBUTION: Final = "azure"
# Section headings naming a maker the model ids do not ("Azure OpenAI": gpt-*, sora-*).
_HEADING_MAKERS: Final = {"azure openai": "openai", "openai": "openai"}
_NO_VERSION: Final = re.compile(r"^(?:-+|\u2014|\u2013|n/?a)?$", re.IGNORECASE)


def _maker(heading: str, model: str) -> str:
    named = _HEADING_MAKERS.get(heading.lower().strip())
    if named is not None:
        return named
    identity = resolve(model, heading.lower().replace(" ", "-") or None)
    if identity.provider not in (UNKNOWN_PROVIDER, DISTRIBUTION):
        return identity.provider
    return slugify(heading) or UNKNOWN_PROVIDER


def _observations(page: Sequence[Block]) -> Iterator[Observation]:
    maker_heading = ""
    for block in page:
        if isinstance(block, Heading):
            if block.level <= 3:
                maker_heading = block.text
            continue
        header = block.header
        model = find_column(header, r"^model")
        version = find_column(header, r"version")
        deployment = find_column(header, r"deployment retirement")
        retire = deployment if deployment is not None else find_column(header, r"retire")
        if model is None or retire is None:
            continue
        lifecycle = find_column(header, r"lifecycle|status|state")
        replacement = find_column(header, r"replacement|upgrade")
        training = find_column(header, r"training retirement")
        for cells in block.rows:
            if len(cells) < len(header) or not plain(cells[model]):
                continue
            name = plain(cells[model])
            ver = plain(cells[version]) if version is not None else ""
            ver = "" if _NO_VERSION.match(ver) else ver
            day, qualifier = parse_date(cells[retire])
            availability = None
            if training is not None:
                start, hedge = parse_date(cells[training])
                if start is not None:
                    availability = f"training retires {start.isoformat()}" + (f" ({hedge})" if hedge else "")
            maker = _maker(maker_heading, name)
            yield Observation(
                key=("ft/" if training is not None else "") + (f"{name}@{ver}" if ver else name),
                provider=maker, model=resolve(name, maker).model,
                source_id=f"{name} ({ver})" if ver else name, distribution=DISTRIBUTION,
                status=status_of(cells[lifecycle]) if lifecycle is not None else None,
                shutdown_on=day, shutdown_qualifier=qualifier,
                replacement=parse_replacement(cells[replacement]) if replacement is not None else None,
                availability=availability, section=maker_heading or None,
                url=section_url(PAGE_URL, maker_heading),
            )


def parse(doc: Document) -> list[Observation]:
    return read_page(doc, lambda found, _text: _observations(found), "retirement tables (Model | Version | … | Retirement date)")


SOURCE: Final = BuiltinSource(
    name="azure-retirements",
    urls=(RAW_URL,),
    parser_version="1",
    parse_fn=parse,
    first_party=DISTRIBUTION,
    description="Azure OpenAI / Foundry model retirement schedule (MicrosoftDocs Markdown): Azure's own dates",
)
