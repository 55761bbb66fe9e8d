"""Source `gemini-deprecations`: the Gemini API's deprecations page (Google AI for Developers).

One table per model family, `Model | Release date | Shutdown date | Recommended
replacement`; a one-cell row "Preview models" starts the family's preview
sub-rows (status PREVIEW; the rows above it are stable, ACTIVE). Dates keep
their precision: "No shutdown date announced" is no date, "Earliest June 2026"
is earliest-month, and when the page says its dates are "the earliest possible
dates" every exact date is read as "earliest" (a catalog giving a later date
agrees; a model still listed past it is not a contradiction). Key: the model id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Final

from sources.base import BuiltinSource
from sources.blocks import Block, find_column, section_url, tables_under_headings
from sources.cells import parse_model_cell, parse_replacement
from sources.dates import parse_date
from sources.page_source import read_page
from watcher.model import Document, Observation, Status

PAGE_URL: Final = "https://ai.google.dev/gemini-api/docs/deprecations"
PROVIDER: Final = "google"
_EARLIEST_PAGE: Final = re.compile(r"earliest\s+possible\s+date", re.IGNORECASE)
_PREVIEW_ROW: Final = re.compile(r"preview|experimental", re.IGNORECASE)


def _observations(page: Sequence[Block], earliest: bool) -> Iterator[Observation]:
    for heading, block in tables_under_headings(page):
        header = block.header
        model = find_column(header, r"model", r"replacement|date")
        shutdown = find_column(header, r"shut ?down|retire|discontinu")
        if model is None or shutdown is None:
            continue
        replacement = find_column(header, r"replacement|upgrade|alternative")
        status = Status.ACTIVE
        for cells in block.rows:
            if (len(cells) == 1 or not any(cells[1:])) and "`" not in cells[0]:
                # A sub-heading row ("Preview models"), spanning the table or padded by a rendering.
                if _PREVIEW_ROW.search(cells[0]):
                    status = Status.PREVIEW
                continue
            if len(cells) < len(header):
                continue
            cell = parse_model_cell(cells[model])
            if cell is None or not cell.is_model:
                continue
            day, qualifier = parse_date(cells[shutdown])
            if day is not None and earliest and qualifier is None:
                qualifier = "earliest"
            yield Observation(
                key=cell.model, provider=PROVIDER, model=cell.model, aliases=cell.aliases,
                status=Status.PREVIEW if "preview" in cell.model else status,
                shutdown_on=day, shutdown_qualifier=qualifier,
                replacement=parse_replacement(cells[replacement]) if replacement is not None else None,
                section=heading or None, url=section_url(PAGE_URL, heading),
            )


def parse(doc: Document) -> list[Observation]:
    return read_page(doc, lambda found, text: _observations(found, bool(_EARLIEST_PAGE.search(text))),
                     "deprecation tables (Model | … | Shutdown date)")


SOURCE: Final = BuiltinSource(
    name="gemini-deprecations",
    urls=(PAGE_URL,),
    parser_version="1",
    parse_fn=parse,
    first_party=PROVIDER,
    description="Gemini API deprecations: shutdown dates (earliest possible) and replacements, stable and preview",
)
