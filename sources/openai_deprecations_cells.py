"""The neutral page form and cell readers the OpenAI deprecations parser uses.

They serve every provider's lifecycle page, so they live in neutral modules:
sources.blocks (headings and tables), sources.dates (date forms with their
precision) and sources.cells (model and replacement cells).
"""

from __future__ import annotations

from sources.blocks import Block, Heading, Table, clean_text, plain, slugify
from sources.cells import (
    ModelCell,
    is_model_id,
    parse_model_cell,
    parse_replacement,
    split_list,
)
from sources.dates import parse_date, split_heading

__all__ = [
    "Block", "Heading", "ModelCell", "Table", "clean_text", "is_model_id", "parse_date", "parse_model_cell",
    "parse_replacement", "plain", "slugify", "split_heading", "split_list",
]
