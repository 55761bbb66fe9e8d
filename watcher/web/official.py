"""Which sources speak for a model's maker: the same set disagreements and `show` use."""

from __future__ import annotations


def official_sources() -> frozenset[str]:
    from watcher.disagreement_check import OFFICIAL_SOURCES

    return frozenset(OFFICIAL_SOURCES)
