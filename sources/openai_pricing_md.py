"""Prices from the pricing page's `.md` twin (MDX: `<TextTokenPricingTables rows={[…]} />`).

The twin drops the image, video, audio and fine-tuning tables, and its
generator cuts some components short (everything up to the first `<br />` in
their props is lost), so only complete `TextTokenPricingTables` are read.
"""

from __future__ import annotations

import re
from typing import Final

from sources.jsx_literal import Component, find_components
from sources.openai_pricing_rows import PriceCell, RowShapeError, iter_rows, token_cells

COMPONENT: Final = "TextTokenPricingTables"
_PANE: Final = re.compile(r"data-content-switcher-pane\s+data-value=[\"'](?P<tier>[\w-]+)[\"']")


def md_cells(text: str) -> list[PriceCell]:
    """Every priced cell of every text-token table; raises RowShapeError or JsxSyntaxError."""
    cells: list[PriceCell] = []
    for component in find_components(text, COMPONENT):
        tier = _tier(text, component)
        if "rows" not in component.attrs:
            raise RowShapeError(f"<{COMPONENT} tier={tier!r}> has no rows prop")
        for row in iter_rows(component.attrs["rows"]):
            cells.extend(token_cells(row, tier))
    return cells


def has_components(text: str) -> bool:
    return f"<{COMPONENT}" in text


def _tier(text: str, component: Component) -> str:
    """The `tier` prop; failing that, the content-switcher pane the component sits in."""
    tier = component.attrs.get("tier")
    if isinstance(tier, str) and tier.strip():
        return tier.strip().lower()
    panes = list(_PANE.finditer(text, 0, component.start))
    return panes[-1]["tier"].lower() if panes else "standard"
