"""The replay's yardstick: what really changed between two catalog versions, read from the raw JSON.

Written apart from the product's parsers on purpose (nothing here imports `sources` or `watcher`): it
knows the catalogs' documented shape, not the product's price grammar. A price is every number stated
under a field whose name contains `cost` (LiteLLM) or anywhere inside a model's `cost` object
(models.dev, including its context tiers and experimental modes), kept under the field's own path and
as stated; a nested object of prices (LiteLLM's `search_context_cost_per_query`) is one price per
member. The only interpretations made are the ones a reader of the catalogs' documentation makes:

- two numbers that agree to 9 significant digits are the same price (`0.0002833333333333333` and
  `0.000283333333333` are one value written twice, not an edit);
- a shutdown date is LiteLLM's `deprecation_date` read as a calendar day; a far-future placeholder
  (year 2090 or later) or text that is not a date states no date;
- models.dev's two notations for prices above a context length (`tiers` with a context condition,
  and the older `context_over_200k` kept beside them) are one statement: the tiers where present, else
  the old object (see `_context_bands`).

Expectations follow the watcher's documented promise, step by step: the first version is a silent
baseline; a row seen before is compared with the last version of it that was seen; a row missing from
`delist_after` consecutive versions is delisted at the version where the count is reached (and one that
comes back earlier was never gone); a row never seen, or seen again after it was delisted, is listed.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Final

PLACEHOLDER_YEAR: Final = 2090
SAME_PRICE: Final = Decimal("1e-9")  # relative difference below which two stated numbers are one price
KINDS: Final = ("price", "shutdown_date", "listed", "delisted")


@dataclasses.dataclass(frozen=True, slots=True)
class RawRow:
    prices: Mapping[str, Decimal]  # path of the field as the catalog names it -> value as stated
    shutdown: str | None = None  # YYYY-MM-DD


@dataclasses.dataclass(frozen=True, slots=True)
class Expected:
    """One real change at one step of the history."""

    step: int
    kind: str  # one of KINDS
    key: str
    field: str | None = None  # the raw field path, for prices
    old: Decimal | str | None = None
    new: Decimal | str | None = None


def number(value: Any) -> Decimal | None:
    """A stated number (JSON number or numeric text), exactly as written; None otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        found = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        return None
    return found if found.is_finite() else None


def same_price(a: Decimal | None, b: Decimal | None) -> bool:
    if a is None or b is None:
        return a is b
    if a == b:
        return True
    return abs(a - b) <= SAME_PRICE * max(abs(a), abs(b))


def calendar_day(value: Any) -> str | None:
    if not isinstance(value, str) or len(value.strip()) < 10:
        return None
    day = value.strip()[:10]
    parts = day.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or int(parts[0]) >= PLACEHOLDER_YEAR:
        return None
    return day


def _numbers(path: str, value: Any) -> Iterator[tuple[str, Decimal]]:
    """Every number under `value`, by path. A list member is named by its non-numeric members (a tier's
    condition), which are its identity, not prices."""
    if (found := number(value)) is not None:
        yield path, found
    elif isinstance(value, dict):
        for name, member in value.items():
            yield from _numbers(f"{path}.{name}", member)
    elif isinstance(value, list):
        for index, member in enumerate(value):
            if not isinstance(member, dict):
                yield from _numbers(f"{path}[{index}]", member)
                continue
            identity = {k: v for k, v in member.items() if number(v) is None}
            label = json.dumps(identity, sort_keys=True, separators=(",", ":")) if identity else str(index)
            for name, price in member.items():
                if name not in identity:
                    yield from _numbers(f"{path}[{label}].{name}", price)


def _context_bands(cost: Mapping[str, Any]) -> dict[str, Any]:
    """models.dev states prices above a context length in two notations: `tiers` entries whose condition
    is `{"type": "context", "size": N}`, and the older `context_over_200k` object, which snapshots keep
    beside the tiers for older readers. The tiers are the statement where present (their size is exact:
    272000 for GPT-5.4, where the old object could only say 200k); the old object counts only when there
    are none. Either way a band is `context>N`, so a move from one notation to the other with the same
    size and numbers changes nothing."""
    out = {k: v for k, v in cost.items() if k not in ("context_over_200k", "tiers")}
    tiers = cost.get("tiers")
    other: list[Any] = []
    for entry in tiers if isinstance(tiers, list) else ():
        condition = entry.get("tier") if isinstance(entry, dict) else None
        if isinstance(condition, dict) and condition.get("type") == "context" and number(condition.get("size")):
            out[f"context>{number(condition['size'])}"] = {k: v for k, v in entry.items() if k != "tier"}
        else:
            other.append(entry)
    if other:
        out["tiers"] = other
    if isinstance(over := cost.get("context_over_200k"), dict) and not any(k.startswith("context>") for k in out):
        out["context>200000"] = over
    return out


def litellm_rows(body: bytes) -> dict[str, RawRow]:
    """LiteLLM's catalog: one row per key whose entry names a `litellm_provider` (not the `sample_spec`
    documentation entry)."""
    catalog = json.loads(body)
    rows: dict[str, RawRow] = {}
    for key, entry in catalog.items():
        if key == "sample_spec" or not isinstance(entry, dict) or not isinstance(entry.get("litellm_provider"), str):
            continue
        prices = dict(pair for field, value in entry.items() if "cost" in field for pair in _numbers(field, value))
        rows[key] = RawRow(prices=prices, shutdown=calendar_day(entry.get("deprecation_date")))
    return rows


def models_dev_rows(body: bytes) -> dict[str, RawRow]:
    """models.dev's `api.json`: one row per provider/model."""
    catalog = json.loads(body)
    rows: dict[str, RawRow] = {}
    for provider_id, provider in catalog.items():
        models = provider.get("models") if isinstance(provider, dict) else None
        for model_id, model in (models or {}).items() if isinstance(models, dict) else ():
            if not isinstance(model, dict):
                continue
            cost = model.get("cost")
            prices = dict(_numbers("cost", _context_bands(cost))) if isinstance(cost, dict) else {}
            experimental = model.get("experimental")
            modes = experimental.get("modes") if isinstance(experimental, dict) else None
            for mode, spec in modes.items() if isinstance(modes, dict) else ():
                if isinstance(spec, dict) and isinstance(mode_cost := spec.get("cost"), dict):
                    prices.update(_numbers(f"modes.{mode}.cost", _context_bands(mode_cost)))
            rows[f"{provider_id}/{model_id}"] = RawRow(prices=prices)
    return rows


def row_changes(step: int, key: str, before: RawRow, after: RawRow) -> list[Expected]:
    out = [Expected(step, "price", key, field, before.prices.get(field), after.prices.get(field))
           for field in sorted(set(before.prices) | set(after.prices))
           if not same_price(before.prices.get(field), after.prices.get(field))]
    if before.shutdown != after.shutdown:
        out.append(Expected(step, "shutdown_date", key, "deprecation_date", before.shutdown, after.shutdown))
    return out


def expected_changes(history: Sequence[Mapping[str, RawRow]], delist_after: int) -> list[list[Expected]]:
    """Per step of `history` (raw rows by key), the real changes a watcher must report there."""
    believed: dict[str, RawRow] = {}
    misses: dict[str, int] = {}
    out: list[list[Expected]] = []
    for step, rows in enumerate(history):
        found: list[Expected] = []
        for key, row in rows.items():
            misses.pop(key, None)
            before = believed.get(key)
            if step and before is None:
                found.append(Expected(step, "listed", key))
            elif before is not None:
                found.extend(row_changes(step, key, before, row))
            believed[key] = row
        for key in sorted(believed.keys() - rows.keys()):
            misses[key] = misses.get(key, 0) + 1
            if misses[key] >= delist_after:
                found.append(Expected(step, "delisted", key))
                del believed[key], misses[key]
        out.append(found)
    return out
