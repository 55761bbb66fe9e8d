"""OpenAI's pricing page: the `.md` twin first, the rendered HTML as fallback.

One observation per model id, holding every price the page gives it, keyed by
(component, unit, tier, variant). Where on the page a row sits (which section,
which table, in what order) is deliberately not part of the observation: rows
move between sections without their prices changing, and that is not news.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from sources.base import BuiltinSource
from watcher.model import Document, Observation, ParseError, PriceKey

if TYPE_CHECKING:
    from sources.openai_pricing_rows import PriceCell

PAGE_URL: Final = "https://developers.openai.com/api/docs/pricing"
PROVIDER: Final = "openai"

_HTML_START: Final = re.compile(
    r"\A\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL
)
_CHALLENGE_MARKERS: Final = (
    "cf-challenge",
    "challenge-platform",
    "cf_chl_",
    "<title>just a moment",
    "attention required! | cloudflare",
)


def parse(doc: Document) -> list[Observation]:
    # The readers (selectolax among them) are imported on the first parse: every
    # config load reads this module's declaration, and only polls parse.
    from sources.astro_props import AstroPropsError
    from sources.jsx_literal import JsxSyntaxError
    from sources.openai_pricing_html import count_text_islands, html_cells
    from sources.openai_pricing_md import has_components, md_cells
    from sources.openai_pricing_rows import RowShapeError

    text = doc.text
    if doc.http_status >= 400:
        raise ParseError(f"HTTP {doc.http_status}: an error page, not the pricing page")
    if not text.strip():
        raise ParseError("empty document")
    html = is_html(text)
    if not (count_text_islands(text) if html else has_components(text)):
        raise ParseError(_why_no_tables(text, html))
    try:
        cells = html_cells(text) if html else md_cells(text)
    except (RowShapeError, JsxSyntaxError, AstroPropsError) as exc:
        raise ParseError(f"pricing table unreadable: {exc}") from exc
    observations = observations_from(cells)
    if not observations:
        raise ParseError("pricing tables found but they hold no priced rows")
    return observations


def is_html(text: str) -> bool:
    """The rendered page, as opposed to the MDX twin (which also holds `<div>`s)."""
    return bool(_HTML_START.match(text)) or "<astro-island" in text


def observations_from(cells: Iterable[PriceCell]) -> list[Observation]:
    """Merge cells into one observation per model; independent of the cells' order."""
    prices: dict[str, dict[PriceKey, set[Decimal]]] = defaultdict(lambda: defaultdict(set))
    for cell in cells:
        prices[cell.model][cell.key].add(cell.value)
    return [
        Observation(
            key=model,
            provider=PROVIDER,
            model=model,
            # Two tables pricing the same thing differently should not happen; if
            # it does, the lowest wins, so the result never depends on page order.
            prices={key: min(values) for key, values in sorted(by_key.items())},
            url=PAGE_URL,
        )
        for model, by_key in sorted(prices.items())
    ]


def _why_no_tables(text: str, html: bool) -> str:
    # Only asked once no table was found: Cloudflare also injects its
    # challenge-platform script into real pages.
    head = text[:20_000].lower()
    if any(marker in head for marker in _CHALLENGE_MARKERS):
        return "bot challenge page (Cloudflare), not the pricing page"
    what = "HTML without TextTokenPricingTables islands" if html else (
        "Markdown without <TextTokenPricingTables> components"
    )
    return f"{what}: not the pricing page, or its layout changed"


SOURCE: Final = BuiltinSource(
    name="openai-pricing",
    urls=(f"{PAGE_URL}.md", PAGE_URL),
    parser_version="1",
    parse_fn=parse,
    first_party="openai",
    description=(
        "OpenAI API pricing: text tokens per tier and context band,"
        " video per second, images per image"
    ),
    # The twin has no image or video tables and loses components cut short.
    partial_renderings=True,
)
