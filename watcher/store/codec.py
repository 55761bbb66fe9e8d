"""Observation <-> observation_version row. Money as decimal text, lists as text."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol

from watcher.model import (
    Observation,
    PriceKey,
    Status,
    format_milestones,
    format_replacement,
    parse_milestones,
    parse_replacement,
)
from watcher.money import format_price
from watcher.store.derived import stored


def prices_to_text(prices: Mapping[PriceKey, Decimal]) -> str | None:
    """JSON object text, keys sorted, so equal prices are equal text."""
    if not prices:
        return None
    items = sorted((str(k), format_price(v)) for k, v in prices.items())
    return json.dumps(dict(items), separators=(",", ":"))


def price_digest(text: str) -> int:
    """What a price set `text` is found by (migration 0011): its SHA-256's first 32 bits,
    signed as the column holds them; sets that share one are told apart by their text."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big", signed=True)


def prices_from_text(text: str | None) -> dict[PriceKey, Decimal]:
    if not text:
        return {}
    return {PriceKey.parse(k): Decimal(v) for k, v in json.loads(text).items()}


def row_values(obs: Observation, *, source: str, valid_from: dt.datetime, run_id: int,
               run_url: str | None = None, price_set: int | None = None) -> dict[str, Any]:
    """The column values of a new current version: for bulk inserts, which skip
    building ORM objects (the slowest part of storing a 3,000-row catalog). The source's
    own id and the url are left out where the key and the run's url state them; the
    prices are named by their set, which the caller stores (`price_set`)."""
    return dict(
        source=source,
        key=obs.key,
        provider=obs.provider,
        model=obs.model,
        source_id=stored(obs.source_id, obs.key),
        distribution=obs.distribution,
        is_model=obs.is_model,
        status=obs.status.value if obs.status else None,
        announced_on=obs.announced_on,
        shutdown_on=obs.shutdown_on,
        shutdown_qualifier=obs.shutdown_qualifier,
        replacement=format_replacement(obs.replacement),
        aliases=", ".join(obs.aliases) or None,
        availability=obs.availability,
        milestones=format_milestones(obs.milestones),
        section=obs.section,
        url=stored(obs.url, run_url),
        valid_from=valid_from,
        valid_to=None,
        run_id=run_id,
        price_set=price_set,
    )


class VersionRow(Protocol):
    """A result row of a version's columns as `derived.resolved` reads them."""

    key: str
    provider: str
    model: str
    source_id: str | None
    distribution: str | None
    aliases: str | None
    status: str | None
    announced_on: dt.date | None
    shutdown_on: dt.date | None
    shutdown_qualifier: str | None
    replacement: str | None
    prices: str | None
    availability: str | None
    milestones: str | None
    is_model: bool
    section: str | None
    url: str | None


def from_row(row: VersionRow) -> Observation:
    return Observation(
        key=row.key,
        provider=row.provider,
        model=row.model,
        source_id=row.source_id,
        distribution=row.distribution,
        aliases=tuple(row.aliases.split(", ")) if row.aliases else (),
        status=Status(row.status) if row.status else None,
        announced_on=row.announced_on,
        shutdown_on=row.shutdown_on,
        shutdown_qualifier=row.shutdown_qualifier,
        replacement=parse_replacement(row.replacement),
        prices=prices_from_text(row.prices),
        availability=row.availability,
        milestones=parse_milestones(row.milestones),
        is_model=row.is_model,
        section=row.section,
        url=row.url,
    )
