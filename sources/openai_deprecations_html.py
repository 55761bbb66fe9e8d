"""HTML rendering of OpenAI's deprecations page -> blocks: the neutral reader (sources.blocks_html)."""

from __future__ import annotations

from sources.blocks_html import blocks, cut_short, inline

__all__ = ["blocks", "cut_short", "inline"]
