"""Source `anthropic-deprecations`: Anthropic's model deprecations page.

Three kinds of tables, found by their headers (never position):

- the status table, `API model name | Current state | Deprecated | Tentative
  retirement date`: one row per model, key `status/{model}`, status from the
  state word (Active / Legacy / Deprecated / Retired), `announced_on` the
  deprecation date, the retirement date `tentative` while the column says so
  and the model is not retired yet;
- per-announcement tables under `YYYY-MM-DD: title` headings, `Retirement date |
  Deprecated model | Recommended replacement`: key `{announcement}/{model}`;
- tables for Amazon Bedrock and Google Cloud Vertex AI (a heading or a column
  naming the platform): the same models on those platforms, read as
  distributions with their own schedules, keyed `{platform}/{id}`.

Rows with no model cell are skipped; a page with none of these tables is a
parse error (a layout change is one source_health alert, never a flood).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Final

from sources.base import BuiltinSource
from sources.blocks import Block, Heading, Table, find_column, section_url, slugify
from sources.cells import parse_model_cell, parse_replacement
from sources.dates import parse_date, split_heading
from sources.lifecycle_words import status_of
from sources.page_source import read_page
from watcher.identity import resolve
from watcher.model import Document, Observation, Status

PAGE_URL: Final = "https://docs.claude.com/en/docs/about-claude/model-deprecations"
PROVIDER: Final = "anthropic"
_PLATFORMS: Final = (("bedrock", "bedrock"), ("vertex", "vertex_ai"))


@dataclasses.dataclass(frozen=True, slots=True)
class _Context:
    heading: str = ""
    level: int = 0
    announced: dt.date | None = None
    platform: str | None = None  # distribution named by the heading


def _platform(text: str) -> str | None:
    lowered = text.lower()
    return next((dist for word, dist in _PLATFORMS if word in lowered), None)


def _observations(page: Sequence[Block]) -> Iterator[Observation]:
    context = _Context()
    for block in page:
        if isinstance(block, Heading):
            date, _ = split_heading(block.text)
            platform, level = _platform(block.text), block.level
            if platform is None and context.platform and block.level > context.level:
                platform, level = context.platform, context.level  # a subsection of the Bedrock part
            context = _Context(block.text, level, date, platform)
            continue
        yield from _table(block, context)


def _table(table: Table, context: _Context) -> Iterator[Observation]:
    header = table.header
    model = find_column(header, r"\bid\b|api (model )?name")
    if model is None:
        model = find_column(header, r"model", r"replacement|date|state|status")
    retire = find_column(header, r"retire|shut ?down|sunset")
    if model is None or retire is None:
        return
    state = find_column(header, r"state|status")
    deprecated = find_column(header, r"deprecat", r"model")
    replacement = find_column(header, r"replacement|alternative")
    tentative = "tentative" in header[retire].lower()
    platform = _platform(" ".join(header)) or context.platform
    url = section_url(PAGE_URL, context.heading)
    for cells in table.rows:
        if len(cells) < len(header):
            continue
        cell = parse_model_cell(cells[model])
        if cell is None or not cell.is_model:
            continue
        status = status_of(cells[state]) if state is not None else Status.DEPRECATED
        shutdown, qualifier = parse_date(cells[retire], tentative=tentative and status is not Status.RETIRED)
        announced = parse_date(cells[deprecated])[0] if deprecated is not None else context.announced
        row = Observation(
            key="", provider=PROVIDER, model=cell.model, aliases=cell.aliases, status=status,
            announced_on=announced, shutdown_on=shutdown, shutdown_qualifier=qualifier,
            replacement=parse_replacement(cells[replacement]) if replacement is not None else None,
            section=context.heading or None, url=url,
        )
        if platform is not None:
            identity = resolve(cell.model, platform)
            yield dataclasses.replace(row, key=f"{platform}/{cell.model}", provider=identity.provider,
                                      model=identity.model, source_id=cell.model, distribution=platform)
        elif state is not None:
            yield dataclasses.replace(row, key=f"status/{cell.model}")
        else:
            token = context.announced.isoformat() if context.announced else slugify(context.heading) or "page"
            yield dataclasses.replace(row, key=f"{token}/{cell.model}")


def parse(doc: Document) -> list[Observation]:
    return read_page(doc, lambda found, _text: _observations(found), "model deprecation tables")


SOURCE: Final = BuiltinSource(
    name="anthropic-deprecations",
    urls=(f"{PAGE_URL}.md", PAGE_URL),
    parser_version="1",
    parse_fn=parse,
    first_party=PROVIDER,
    description="Anthropic model deprecations: model states, retirement dates, replacements; Bedrock/Vertex tables",
)
