"""Source `vertex-model-versions`: Vertex AI's model versions and lifecycle page.

Tables `Model ID | Release date | Retirement date | Replacement model` (stable
models) and `… | Recommended upgrade` (retired ones; or under a "Retired"
heading). Vertex AI is a platform with its own schedule (its gemini-2.5-pro
retires days after the Gemini API's), so every row is a distribution
(`vertex_ai`): Google's models and partner models (Claude on Vertex) alike,
the maker from identity resolution (unknown makers: Google). "May 19, 2027 or
later" and "No sooner than …" are "earliest" dates. Key: the model id.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final

from sources.base import BuiltinSource
from sources.blocks import Block, find_column, section_url, tables_under_headings
from sources.cells import parse_model_cell, parse_replacement
from sources.dates import parse_date
from sources.page_source import read_page
from watcher.identity import UNKNOWN_PROVIDER, resolve
from watcher.model import Document, Observation, Status

PAGE_URL: Final = "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions"
DISTRIBUTION: Final = "vertex_ai"


def _observations(page: Sequence[Block]) -> Iterator[Observation]:
    for heading, block in tables_under_headings(page):
        header = block.header
        model = find_column(header, r"model", r"replacement|upgrade|date")
        retire = find_column(header, r"retire|shut ?down|discontinu")
        if model is None or retire is None:
            continue
        upgrade = find_column(header, r"upgrade")
        replacement = upgrade if upgrade is not None else find_column(header, r"replacement|alternative")
        retired = upgrade is not None or "retired" in heading.lower()
        for cells in block.rows:
            if len(cells) < len(header):
                continue
            cell = parse_model_cell(cells[model])
            if cell is None or not cell.is_model:
                continue
            identity = resolve(cell.model, DISTRIBUTION)
            provider = identity.provider if identity.provider not in (DISTRIBUTION, UNKNOWN_PROVIDER) else "google"
            day, qualifier = parse_date(cells[retire])
            yield Observation(
                key=cell.model, provider=provider, model=identity.model, source_id=cell.model,
                distribution=DISTRIBUTION, aliases=cell.aliases,
                status=Status.RETIRED if retired else Status.ACTIVE,
                shutdown_on=day, shutdown_qualifier=qualifier,
                replacement=parse_replacement(cells[replacement]) if replacement is not None else None,
                section=heading or None, url=section_url(PAGE_URL, heading),
            )


def parse(doc: Document) -> list[Observation]:
    return read_page(doc, lambda found, _text: _observations(found), "model version tables (Model ID | … | Retirement date)")


SOURCE: Final = BuiltinSource(
    name="vertex-model-versions",
    urls=(PAGE_URL,),
    parser_version="1",
    parse_fn=parse,
    first_party="google",
    description="Vertex AI model versions: retirement dates on Vertex (Google and partner models, as a platform)",
)
