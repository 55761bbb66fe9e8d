"""Prices from the rendered pricing page (HTML).

Text-token prices come from each `<astro-island component-export=
"TextTokenPricingTables">`'s props: the SSR table inside may be cut short, the
props are whole. The SSR table's head is still read, because it is where the
page names its columns. Video (per second) and image (per image) prices only
exist as plain tables, recognised by their column headers, not by the section
they sit in. The tier is the content-switcher pane an element sits in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from selectolax.lexbor import LexborHTMLParser, LexborNode

from sources.astro_props import decode_props
from sources.openai_pricing_rows import (
    Column,
    PriceCell,
    RowShapeError,
    cell_text,
    columns_from_headers,
    iter_rows,
    price_value,
    token_cells,
)
from watcher.model import PriceKey, PriceUnit

TEXT_ISLAND: Final = 'astro-island[component-export="TextTokenPricingTables"]'
_SIZE: Final = re.compile(r"(\d{2,5})\s*[x×]\s*(\d{2,5})")
_SLUG_DROP: Final = re.compile(r"[^a-z0-9.]+")

Grid = list[list[str]]


def html_cells(text: str) -> list[PriceCell]:
    """Every priced cell on the page; raises RowShapeError or AstroPropsError."""
    tree = LexborHTMLParser(text)
    cells: list[PriceCell] = []
    for island in tree.css(TEXT_ISLAND):
        cells.extend(_island_cells(island))
    for table in tree.css("table"):
        if _inside_text_island(table):
            continue
        head, body = _grid(table)
        headers = [h.lower() for h in (head[-1] if head else [])]
        tier = _tier(table)
        if any("per second" in h for h in headers):
            cells.extend(_video_cells(headers, body, tier))
        elif any(_SIZE.search(h) for h in headers):
            cells.extend(_image_cells(headers, body, tier))
    return cells


def count_text_islands(text: str) -> int:
    return len(LexborHTMLParser(text).css(TEXT_ISLAND))


def _island_cells(island: LexborNode) -> list[PriceCell]:
    raw = island.attributes.get("props")
    if not raw:
        raise RowShapeError("TextTokenPricingTables island without props")
    props = decode_props(raw)
    tier = props.get("tier") if isinstance(props.get("tier"), str) else None
    tier = (tier or _tier(island)).strip().lower()
    columns = _island_columns(island)
    cells: list[PriceCell] = []
    for row in iter_rows(props.get("rows")):
        cells.extend(token_cells(row, tier, columns))
    return cells


def _island_columns(island: LexborNode) -> tuple[Column, ...] | None:
    """Named price columns from the SSR table head, when the island rendered one."""
    table = island.css_first("table")
    if table is None:
        sibling = island.next
        while sibling is not None and not sibling.is_element_node:
            sibling = sibling.next
        table = sibling if sibling is not None and sibling.tag == "table" else None
    if table is None:
        return None
    head, _ = _grid(table)
    if not head:
        return None
    leaves = head[-1][1:]  # the first column is the model
    groups = head[0][1:] if len(head) > 1 else [""] * len(leaves)
    return columns_from_headers(list(zip(groups, leaves, strict=False)))


def _video_cells(headers: Sequence[str], body: Grid, tier: str) -> list[PriceCell]:
    model_at = _find(headers, "model", 0)
    size_at = _find(headers, "resolution", _find(headers, "size", 1))
    price_at = _find(headers, "per second", len(headers) - 1)
    cells: list[PriceCell] = []
    for row in body:
        if len(row) <= max(model_at, size_at, price_at) or not row[model_at]:
            continue
        value = price_value(row[price_at])
        if value is None:
            continue
        key = PriceKey("video", PriceUnit.PER_SECOND, tier, _resolution(row[size_at]))
        cells.append(PriceCell(_model_id(row[model_at]), key, value))
    return cells


def _image_cells(headers: Sequence[str], body: Grid, tier: str) -> list[PriceCell]:
    model_at = _find(headers, "model", 0)
    quality_at = _find(headers, "quality", -1)
    sizes = {i: _resolution(h) for i, h in enumerate(headers) if _SIZE.search(h)}
    cells: list[PriceCell] = []
    for row in body:
        if len(row) != len(headers) or not row[model_at]:
            continue
        quality = row[quality_at].strip().lower() if quality_at >= 0 else ""
        for at, size in sizes.items():
            value = price_value(row[at])
            if value is None:
                continue
            variant = f"{size} {quality}".strip()
            key = PriceKey("image", PriceUnit.PER_IMAGE, tier, variant)
            cells.append(PriceCell(_model_id(row[model_at]), key, value))
    return cells


def _find(headers: Sequence[str], word: str, default: int) -> int:
    return next((i for i, h in enumerate(headers) if word in h), default)


def _resolution(text: str) -> str:
    """`Portrait: 720x1280 Landscape: 1280x720` -> `720x1280` (the first size named)."""
    match = _SIZE.search(text)
    return f"{match[1]}x{match[2]}" if match else " ".join(text.lower().split())


def _model_id(text: str) -> str:
    """Display names in the media tables (`GPT Image 1`, `DALL·E 3`) as API ids."""
    return _SLUG_DROP.sub("-", text.lower().replace("·", "-")).strip("-")


def _tier(node: LexborNode) -> str:
    parent = node.parent
    while parent is not None:
        attrs = parent.attributes if parent.is_element_node else {}
        if "data-content-switcher-pane" in attrs:
            return (attrs.get("data-value") or "standard").strip().lower()
        parent = parent.parent
    return "standard"


def _inside_text_island(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag == "astro-island":
            return parent.attributes.get("component-export") == "TextTokenPricingTables"
        parent = parent.parent
    return False


def _grid(table: LexborNode) -> tuple[Grid, Grid]:
    """(head rows, body rows) as text, with rowspan and colspan spread out."""
    head: Grid = []
    body: Grid = []
    pending: dict[int, tuple[int, str]] = {}  # column -> (rows still spanned, text)
    for tr in table.css("tr"):
        cells = [c for c in tr.iter() if c.tag in ("td", "th")]
        row: list[str] = []

        def fill_spanned(row: list[str]) -> None:
            while len(row) in pending:
                left, text = pending.pop(len(row))
                if left > 1:
                    pending[len(row)] = (left - 1, text)
                row.append(text)

        for cell in cells:
            fill_spanned(row)
            text = cell_text(cell.text(separator=" "))
            span = _int_attr(cell, "colspan")
            down = _int_attr(cell, "rowspan")
            for _ in range(span):
                if down > 1:
                    pending[len(row)] = (down - 1, text)
                row.append(text)
        fill_spanned(row)
        in_head = tr.parent is not None and tr.parent.tag == "thead"
        all_th = bool(cells) and all(c.tag == "th" for c in cells)
        (head if in_head or (all_th and not body) else body).append(row)
    return head, body


def _int_attr(node: LexborNode, name: str) -> int:
    try:
        return max(1, int(node.attributes.get(name) or 1))
    except ValueError:
        return 1
