"""Which sources speak for a model's maker: the same set disagreements and `show` use."""

from __future__ import annotations


def official_sources() -> frozenset[str]:
    from sources.registry import reference_sources

    return frozenset(reference_sources())
