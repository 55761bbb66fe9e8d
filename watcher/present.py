"""Observations as plain rows for listings (`watcher check`, `watcher show`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from watcher.diff import shutdown_text
from watcher.model import Observation, format_replacement
from watcher.money import format_price


def join_prices(prices: Iterable[tuple[object, str]], separator: str = "; ") -> str:
    """`price key value` pairs as one line (or one per line with separator="\n"): the
    single spelling of prices in listings, `watcher check` and `watcher show` alike."""
    return separator.join(f"{key} {value}" for key, value in prices)


def prices_text(obs: Observation) -> str | None:
    if not obs.prices:
        return None
    return join_prices((key, format_price(value)) for key, value in sorted(obs.prices.items()))


def observation_dict(obs: Observation) -> dict[str, Any]:
    return {
        "key": obs.key,
        "provider": obs.provider,
        "model": obs.model,
        "source_id": obs.source_id,
        "distribution": obs.distribution,
        "aliases": ", ".join(obs.aliases) or None,
        "is_model": obs.is_model,
        "status": obs.status.value if obs.status else None,
        "announced_on": obs.announced_on.isoformat() if obs.announced_on else None,
        "shutdown_on": shutdown_text(obs),
        "replacement": format_replacement(obs.replacement),
        "prices": prices_text(obs),
        "availability": obs.availability,
        "section": obs.section,
        "url": obs.url,
    }
