"""Source `bedrock-lifecycle`: Amazon Bedrock's model lifecycle page.

One table, `Model provider | Model name | Model ID | Regions | Legacy date | EOL
date | Public extended access start date`, a row per model and region group
(`rowspan` spreads a model's cells over its region rows). Models in it are
Legacy (status LEGACY); the EOL date is the shutdown; the Legacy and public
extended access dates are kept as the availability text, so a moved date is
reported. Bedrock serves other makers' models on its own schedule: those rows
are distribution `bedrock`; Amazon's own models (Nova, Titan) are Amazon's word.

Key: the model id; a second region group of the same model with different dates
is `{id}#{region}` (its first region), so the common case keeps a stable key.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final

from sources.base import BuiltinSource
from sources.blocks import Block, Table, find_column, plain
from sources.dates import parse_date
from sources.page_source import read_page
from watcher.identity import resolve
from watcher.model import Document, Observation, Status

PAGE_URL: Final = "https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html"
DISTRIBUTION: Final = "bedrock"
AMAZON: Final = "amazon"


def _observations(page: Sequence[Block]) -> Iterator[Observation]:
    for block in page:
        if not isinstance(block, Table):
            continue
        header = block.header
        model_id = find_column(header, r"model id")
        eol = find_column(header, r"\beol\b|end.of.life")
        if model_id is None or eol is None:
            continue
        legacy = find_column(header, r"legacy")
        extended = find_column(header, r"extended")
        regions = find_column(header, r"region")
        name = find_column(header, r"model name")
        seen: dict[str, tuple[str, ...]] = {}
        for cells in block.rows:
            if len(cells) < len(header) or not plain(cells[model_id]):
                continue
            source_id = plain(cells[model_id])
            day, qualifier = parse_date(cells[eol])
            notes = []
            for column, label in ((legacy, "legacy"), (extended, "public extended access")):
                if column is not None and (start := parse_date(cells[column])[0]) is not None:
                    notes.append(f"{label} from {start.isoformat()}")
            facts = (str(day), qualifier or "", *notes)
            key = source_id
            if source_id in seen:
                if seen[source_id] == facts:
                    continue
                first_region = plain(cells[regions]).split(",")[0].strip() if regions is not None else ""
                key = f"{source_id}#{first_region or len(seen)}"
            seen.setdefault(source_id, facts)
            identity = resolve(source_id, DISTRIBUTION)
            yield Observation(
                key=key, provider=identity.provider, model=identity.model, source_id=source_id,
                distribution=None if identity.provider == AMAZON else DISTRIBUTION,
                status=Status.LEGACY, shutdown_on=day, shutdown_qualifier=qualifier,
                availability="; ".join(notes) or None,
                section=plain(cells[name]) if name is not None else None, url=PAGE_URL,
            )


def parse(doc: Document) -> list[Observation]:
    return read_page(doc, lambda found, _text: _observations(found), "lifecycle table (Model ID | … | EOL date)")


SOURCE: Final = BuiltinSource(
    name="bedrock-lifecycle",
    urls=(PAGE_URL,),
    parser_version="1",
    parse_fn=parse,
    first_party=AMAZON,
    description="Amazon Bedrock model lifecycle: Legacy, EOL and public extended access dates (Bedrock's own)",
)
