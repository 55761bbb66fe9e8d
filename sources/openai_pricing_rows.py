"""OpenAI pricing rows -> priced cells, shared by the Markdown-twin and HTML readers.

A `TextTokenPricingTables` row is `[label, price, …]`. Where the page names its
columns (the HTML's SSR table head), we map by name; the `.md` twin names none,
so there we map by row length, the one thing it tells us. The lengths seen: 3
prices (input, cached input, output; matching the rendered page's `Input |
Cached input | Output` in every capture), 4 (a cache-write column before
output), and 6 or 8 (the same, for a short- then a long-context group).
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, Final

from sources.jsx_literal import JsCall
from watcher.model import PriceKey, PriceUnit
from watcher.money import to_decimal


class RowShapeError(ValueError):
    """A row whose columns we cannot name; the page layout changed."""


@dataclasses.dataclass(frozen=True, slots=True)
class Column:
    component: str  # input, cached_input, cache_write, output, …
    group: str = ""  # "", "short" or "long": the context-length column group


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class PriceCell:
    """One price of one model, wherever on the page it was read."""

    model: str
    key: PriceKey
    value: Decimal


_BASIC: Final = (Column("input"), Column("cached_input"), Column("output"))
_WITH_WRITE: Final = (
    Column("input"),
    Column("cached_input"),
    Column("cache_write"),
    Column("output"),
)


def _grouped(columns: tuple[Column, ...]) -> tuple[Column, ...]:
    short = tuple(Column(c.component, "short") for c in columns)
    long = tuple(Column(c.component, "long") for c in columns)
    return short + long


DEFAULT_COLUMNS: Final = {
    3: _BASIC,
    4: _WITH_WRITE,
    6: _grouped(_BASIC),
    8: _grouped(_WITH_WRITE),
}

# Header text -> component. Anything else is named after its header, so a new
# column shows up as a new price rather than vanishing.
_HEADER_COMPONENTS: Final = {
    "input": "input",
    "cached input": "cached_input",
    "cache read": "cached_input",
    "cache reads": "cached_input",
    "cache write": "cache_write",
    "cache writes": "cache_write",
    "output": "output",
}

_BAND: Final = re.compile(
    r"\s*\(\s*(?P<op>[<>]=?|≤|≥)\s*(?P<size>\d+(?:\.\d+)?)\s*(?P<unit>[KkMm])\b[^)]*\)\s*$"
)
_TAG: Final = re.compile(r"<[^>]*>")
_SPACE: Final = re.compile(r"\s+")
_NOT_OFFERED: Final = frozenset({"", "-", "–", "—", "n/a"})


def cell_text(value: Any) -> str:
    """Plain text of a label or cell: strings, `pricingHtml("…")` calls, `{__html: …}`."""
    if isinstance(value, JsCall):
        value = next((arg for arg in value.args if isinstance(arg, str)), "")
    elif isinstance(value, dict):
        value = next((v for k, v in value.items() if k in ("__html", "html", "label")), "")
    if not isinstance(value, str):
        return "" if value is None else str(value)
    text = html.unescape(_TAG.sub(" ", value)).replace("`", "")
    return _SPACE.sub(" ", text).strip()


def split_label(label: str) -> tuple[str, str]:
    """`"gpt-5.4 (<272K context length)"` -> `("gpt-5.4", "<272K")`; no band -> `""`."""
    match = _BAND.search(label)
    if not match:
        return label.rstrip("*").strip(), ""
    op = {"≤": "<=", "≥": ">="}.get(match["op"], match["op"])
    band = f"{op}{match['size']}{match['unit'].upper()}"
    return label[: match.start()].rstrip("*").strip(), band


def price_value(raw: Any) -> Decimal | None:
    """A price cell as Decimal; None when the page says not offered (`null`, `""`, `-`)."""
    if isinstance(raw, JsCall | dict):
        raw = cell_text(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if text.lower() in _NOT_OFFERED:
            return None
        if text.lower() == "free":
            return Decimal(0)
        return to_decimal(text)
    return to_decimal(raw)


def columns_from_headers(headers: Sequence[tuple[str, str]]) -> tuple[Column, ...]:
    """(group text, column text) per price column -> named columns."""
    columns: list[Column] = []
    for group_text, text in headers:
        name = text.strip().lower()
        component = _HEADER_COMPONENTS.get(name) or re.sub(r"[^a-z0-9]+", "_", name).strip("_")
        if not component:
            raise RowShapeError(f"price column without a header (group {group_text!r})")
        group = group_text.strip().lower()
        group = "short" if "short" in group else "long" if "long" in group else ""
        columns.append(Column(component, group))
    return tuple(columns)


def iter_rows(rows: Any) -> Iterator[list[Any]]:
    """Rows of a `rows` prop; grouped tables (`{model: "Deep research", rows: […]}`) are flattened."""
    if not isinstance(rows, list):
        raise RowShapeError(f"rows is a {type(rows).__name__}, not a list")
    for row in rows:
        if isinstance(row, dict) and "rows" in row:
            yield from iter_rows(row["rows"])
        elif isinstance(row, list) and row:
            yield row
        else:
            raise RowShapeError(f"unexpected row {row!r:.80}")


def token_cells(
    row: Sequence[Any], tier: str, columns: Sequence[Column] | None = None
) -> list[PriceCell]:
    """The priced cells of one text-token row in one tier."""
    label = cell_text(row[0])
    values = row[1:]
    model, band = split_label(label)
    if not model:
        raise RowShapeError(f"row without a model label: {list(row)!r:.80}")
    if columns is None or len(columns) != len(values):
        # A row shorter than the head (a model without long-context prices) is
        # laid out by its own length, as the component itself does.
        columns = DEFAULT_COLUMNS.get(len(values))
        if columns is None:
            raise RowShapeError(f"{label!r}: {len(values)} prices, no known column layout")
    cells: list[PriceCell] = []
    for column, raw in zip(columns, values, strict=True):
        value = price_value(raw)
        if value is None:
            continue
        key = PriceKey(column.component, PriceUnit.PER_1M_TOKENS, tier, _variant(band, column.group))
        cells.append(PriceCell(model, key, value))
    return cells


def _variant(band: str, group: str) -> str:
    """The context band: the label's own, or the group's, named by the label's threshold."""
    if not group:
        return band
    threshold = band.lstrip("<>=")
    if not threshold:
        return f"{group}-context"
    return f"<{threshold}" if group == "short" else f">{threshold}"
