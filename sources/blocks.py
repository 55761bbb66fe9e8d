"""The neutral form a documentation page reduces to: headings and tables, in page order.

HTML (`sources.blocks_html`) and Markdown (`sources.blocks_md`) front-ends turn a
page into a flat list of `Heading` and `Table` blocks whose text follows one
convention: inline code is wrapped in backticks, links are replaced by their
text, footnote markers are dropped, escapes and entities are decoded,
whitespace is collapsed. Any provider's lifecycle page is parsed from there, so
both renderings of the same content yield the same observations.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import Final


@dataclasses.dataclass(frozen=True, slots=True)
class Heading:
    level: int
    text: str  # plain text: code backticks already removed


@dataclasses.dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # cells in the backtick convention


Block = Heading | Table

# Hyphen look-alikes that only ever mean "-" in these pages (U+2011 shows up in dates).
_HYPHENS: Final = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2212": "-"})
_WS: Final = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Collapse whitespace (NBSP included) and fold hyphen look-alikes."""
    return _WS.sub(" ", text.translate(_HYPHENS)).strip()


def plain(text: str) -> str:
    """Cell or heading text without code backticks."""
    return clean_text(text.replace("`", ""))


def slugify(text: str) -> str:
    """Anchor-style slug: ASCII lowercase words joined by single hyphens.

    Ours, not the page's `id` attribute, so both renderings (and a site that
    changes its slugger) give the same keys and URLs.
    """
    # Apostrophes vanish rather than split words: "OpenAI’s" and "OpenAI's" -> "openais".
    text = plain(text).replace("\u2019", "").replace("'", "")
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def section_url(page_url: str, heading: str) -> str:
    """Where a row under `heading` is seen: the page at the heading's anchor (our slug), or the page."""
    return f"{page_url}#{slugify(heading)}" if heading else page_url


def tables_under_headings(page: Sequence[Block]) -> Iterator[tuple[str, Table]]:
    """Each table of the page with the text of the nearest heading above it ("" before any)."""
    heading = ""
    for block in page:
        if isinstance(block, Heading):
            heading = block.text
        else:
            yield heading, block


def find_column(header: Sequence[str], accept: str, reject: str | None = None) -> int | None:
    """The first column whose header matches `accept` (a regex, case-insensitive) and not `reject`."""
    for index, name in enumerate(header):
        if re.search(accept, name, re.IGNORECASE) and not (reject and re.search(reject, name, re.IGNORECASE)):
            return index
    return None


def blocks(text: str) -> list[Block]:
    """Headings and tables of an HTML or Markdown page, whichever `text` is."""
    if looks_like_html(text):
        from sources.blocks_html import blocks as html_blocks

        return html_blocks(text)
    from sources.blocks_md import blocks as md_blocks

    return md_blocks(text)


def cut_short(text: str) -> str | None:
    """Why this body is evidently incomplete (a truncated transfer), or None; HTML or Markdown."""
    if looks_like_html(text):
        from sources.blocks_html import cut_short as html_cut

        return html_cut(text)
    from sources.blocks_md import cut_short as md_cut

    return md_cut(text)


_HTML_HINT: Final = re.compile(r"<html|<table|<body", re.IGNORECASE)


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    if head.startswith("<!--"):  # a Markdown file may open with an HTML comment
        return _HTML_HINT.search(text) is not None and "\n|" not in text
    return head.startswith("<") or _HTML_HINT.search(text) is not None
