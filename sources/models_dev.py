"""models.dev's catalog (`https://models.dev/api.json`).

`{provider_id: {id, name, models: {model_id: {…, cost: {…}, status}}}}`: one row
per (provider, model), keyed `f"{provider_id}/{model_id}"`; identity from that
key with the provider id as hint (so `google-vertex/…` is a Vertex distribution
and `openai/gpt-4o` is OpenAI's own).

Costs are already USD per 1M tokens (numbers): `input`, `output`, `cache_read`,
`cache_write`, `reasoning`, `input_audio`, `output_audio`. Any other `cost`
entry is kept as stated under its own name (`cost.input_image`, see
`PriceKey.as_stated`), so a new kind of price is watched the day it appears;
every number is kept as stated, 0 included. Context bands come as
`tiers` (`{"tier": {"type": "context", "size": 272000}, …}` → variant `>272k`)
and, older and coarser, `context_over_200k` (→ `>200k`), used only when no
context tier is given, since both describe the same band; a tier on another
condition is kept with that condition as its variant (`type=size`). `experimental.modes`
become tiers: the mode's `service_tier` when it names one (OpenAI's `fast` is
`priority`), else the mode's name (Anthropic's `fast`).

`status` is the only lifecycle word: `alpha`/`beta` → preview, `deprecated` →
deprecated, absent → None (the catalog does not say). There are no dates.
Unknown top-level entries (not a provider object) are skipped so that a schema
addition does not take the source down; a body with no models at all is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

from sources.base import BuiltinSource
from sources.catalog_common import context_band, expect_dict, load_json
from watcher.identity import resolve
from watcher.model import Document, Observation, ParseError, PriceKey, PriceUnit, Status
from watcher.money import to_decimal

NAME: Final = "models-dev"
CATALOG_URL: Final = "https://models.dev/api.json"
HUMAN_URL: Final = "https://models.dev/"

_COMPONENTS: Final[Mapping[str, str]] = {
    "input": "input",
    "output": "output",
    "cache_read": "cached_input",
    "cache_write": "cache_write",
    "reasoning": "reasoning",
    "input_audio": "audio_input",
    "output_audio": "audio_output",
}
_STATUS: Final[Mapping[str, Status]] = {
    "alpha": Status.PREVIEW,
    "beta": Status.PREVIEW,
    "deprecated": Status.DEPRECATED,
}


_STRUCTURE: Final = frozenset({"tiers", "context_over_200k"})


def _flat(cost: Mapping[str, Any], tier: str, variant: str) -> Iterable[tuple[PriceKey, Decimal]]:
    """The prices of one cost object; an entry we do not map is kept as stated, as `cost.<name>`."""
    for field, raw in cost.items():
        if field in _STRUCTURE or field == "tier":  # bands (read by `_costs`), a band's condition
            continue
        if (component := _COMPONENTS.get(field)) is not None:
            if (value := to_decimal(raw)) is not None:
                yield PriceKey(component, PriceUnit.PER_1M_TOKENS, tier, variant), value
            continue
        stated_variant = ",".join(filter(None, (tier if tier != "standard" else "", variant)))
        for name, leaf in _leaves(raw, f"cost.{field}"):
            if (value := to_decimal(leaf)) is not None:
                yield PriceKey.as_stated(name, stated_variant), value


def _leaves(raw: Any, name: str) -> Iterable[tuple[str, Any]]:
    if isinstance(raw, dict):
        for field, value in raw.items():
            yield from _leaves(value, f"{name}.{field}")
    else:
        yield name, raw


def _band(condition: Mapping[str, Any]) -> str | None:
    """A tier's condition as a variant: a context band `>272k`, any other as stated (`type=size`)."""
    if condition.get("type") == "context":
        return context_band(condition.get("size"))
    return f"{condition.get('type')}={condition.get('size')}"


def _costs(cost: Mapping[str, Any], tier: str) -> Iterable[tuple[PriceKey, Decimal]]:
    yield from _flat(cost, tier, "")
    banded = False
    tiers = cost.get("tiers")
    for entry in tiers if isinstance(tiers, list) else ():
        condition = entry.get("tier") if isinstance(entry, dict) else None
        if isinstance(condition, dict) and (band := _band(condition)) is not None:
            banded = banded or condition.get("type") == "context"
            yield from _flat(entry, tier, band)
    over = cost.get("context_over_200k")
    if not banded and isinstance(over, dict):
        yield from _flat(over, tier, ">200k")


def _prices(model: Mapping[str, Any]) -> dict[PriceKey, Decimal]:
    prices: dict[PriceKey, Decimal] = {}
    cost = model.get("cost")
    if isinstance(cost, dict):
        prices.update(_costs(cost, "standard"))
    experimental = model.get("experimental")
    modes = experimental.get("modes") if isinstance(experimental, dict) else None
    for mode, spec in modes.items() if isinstance(modes, dict) else ():
        mode_cost = spec.get("cost") if isinstance(spec, dict) else None
        if isinstance(mode_cost, dict):
            prices.update(_costs(mode_cost, _mode_tier(str(mode), spec)))
    return dict(sorted(prices.items()))


def _mode_tier(mode: str, spec: Mapping[str, Any]) -> str:
    """OpenAI's `fast` mode is its `priority` service tier: name it so, as LiteLLM does."""
    provider = spec.get("provider")
    body = provider.get("body") if isinstance(provider, dict) else None
    service_tier = body.get("service_tier") if isinstance(body, dict) else None
    return service_tier if isinstance(service_tier, str) and service_tier else mode


def _status(model: Mapping[str, Any]) -> Status | None:
    word = model.get("status")
    return _STATUS.get(word.strip().lower()) if isinstance(word, str) else None


def _observation(provider_id: str, model_id: str, model: Mapping[str, Any]) -> Observation:
    key = f"{provider_id}/{model_id}"
    identity = resolve(key, provider_id)
    return Observation(
        key=key,
        provider=identity.provider,
        model=identity.model,
        source_id=model_id,
        distribution=identity.distribution,
        status=_status(model),
        prices=_prices(model),
        url=HUMAN_URL,
    )


def parse(doc: Document) -> list[Observation]:
    catalog = expect_dict(load_json(doc), "models.dev catalog")
    observations: list[Observation] = []
    for provider_id, provider in catalog.items():
        models = provider.get("models") if isinstance(provider, dict) else None
        if not isinstance(models, dict):
            continue
        for model_id, model in models.items():
            if isinstance(model, dict) and model_id:
                observations.append(_observation(provider_id, model_id, model))
    if not observations:
        raise ParseError("models.dev catalog lists no models")
    return observations


SOURCE: Final = BuiltinSource(
    name=NAME,
    urls=(CATALOG_URL,),
    parser_version="2",
    parse_fn=parse,
    description="models.dev open model catalog: per-provider prices and status words",
)
