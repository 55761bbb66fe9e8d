"""Markdown rendering of OpenAI's deprecations page -> blocks: the neutral reader (sources.blocks_md)."""

from __future__ import annotations

from sources.blocks_md import _split_row, blocks, cut_short, inline

__all__ = ["_split_row", "blocks", "cut_short", "inline"]
