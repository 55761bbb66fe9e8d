"""Source `mistral-models`: Mistral's models page (docs.mistral.ai, models overview).

Tables of models whose columns name the API id (`API endpoints`), and for
legacy and retired models `Deprecation on date`, `Retirement date` and
`Alternative model`; columns are found by header text. Status: a status column
when there is one, else the section heading's word ("Legacy models",
"Deprecated", "Retired"), else ACTIVE. The deprecation date is the
announcement (`announced_on`); the retirement date is the shutdown. Key: the
API id (the first one when a cell names several, the others as aliases).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final

from sources.base import BuiltinSource
from sources.blocks import Block, find_column, section_url, tables_under_headings
from sources.cells import parse_model_cell, parse_replacement
from sources.dates import parse_date
from sources.lifecycle_words import status_of
from sources.page_source import read_page
from watcher.model import Document, Observation, Status

PAGE_URL: Final = "https://docs.mistral.ai/getting-started/models/models_overview/"
PROVIDER: Final = "mistral"


def _heading_status(heading: str) -> Status | None:
    for word in heading.lower().replace("models", "").split():
        if (status := status_of(word)) is not None:
            return status
    return None


def _observations(page: Sequence[Block]) -> Iterator[Observation]:
    for heading, block in tables_under_headings(page):
        header = block.header
        model = find_column(header, r"api endpoint|api name|model id|\bid\b")
        if model is None:
            continue
        retire = find_column(header, r"retire|shut ?down|sunset")
        deprecated = find_column(header, r"deprecat")
        replacement = find_column(header, r"alternative|replacement")
        state = find_column(header, r"status|state")
        for cells in block.rows:
            if len(cells) < len(header):
                continue
            cell = parse_model_cell(cells[model].replace("|", ","))
            if cell is None or not cell.is_model:
                continue
            status = status_of(cells[state]) if state is not None else _heading_status(heading)
            day, qualifier = parse_date(cells[retire]) if retire is not None else (None, None)
            yield Observation(
                key=cell.model, provider=PROVIDER, model=cell.model, aliases=cell.aliases,
                status=status or Status.ACTIVE,
                announced_on=parse_date(cells[deprecated])[0] if deprecated is not None else None,
                shutdown_on=day, shutdown_qualifier=qualifier,
                replacement=parse_replacement(cells[replacement]) if replacement is not None else None,
                section=heading or None, url=section_url(PAGE_URL, heading),
            )


def parse(doc: Document) -> list[Observation]:
    return read_page(doc, lambda found, _text: _observations(found), "model tables with an API id column")


SOURCE: Final = BuiltinSource(
    name="mistral-models",
    urls=(PAGE_URL,),
    parser_version="1",
    parse_fn=parse,
    first_party=PROVIDER,
    description="Mistral models page: API ids, legacy models' deprecation and retirement dates, alternatives",
)
