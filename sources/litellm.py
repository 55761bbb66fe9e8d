"""LiteLLM's price catalog (`model_prices_and_context_window.json`).

One object keyed by model key (`gpt-4o`, `azure/sora-2`, `openrouter/openai/gpt-4o`,
`high/1024-x-1536/gpt-image-1`). Each key is one row; identity comes from the
key plus its `litellm_provider` (see `watcher.identity`). Entries that are not
models are skipped: `sample_spec` (documentation) and anything without a
`litellm_provider` string (e.g. `fallback_generalizations`, routing rules).

`deprecation_date` is LiteLLM's **shutdown** date. LiteLLM deletes retired
models from the file: a key that disappears is delisted from this catalog, not
retired by its provider. The parser simply does not emit it; the diff's
`delisted` change says exactly that.

Prices are USD per token/second/image/query as floats; every one goes through
`watcher.money`, so float noise (`0.0002833333333333333` vs `0.000283333333333`)
compares equal. Field names follow a grammar: a base (`input_cost_per_token`),
then context or duration qualifiers (`_above_200k_tokens` → variant `>200k`,
`_above_1hr` → `1h`, `_above_8s_interval` → `>8s`), then a tier
(`_batches`, `_priority`, `_flex`). Bases we map are in `_BASES`.

No price is dropped: every field whose name contains `cost` is a price. One the
grammar does not read (`google_maps_grounding_cost_per_query`,
`output_cost_per_second_4k`, `cache_read_input_image_token_cost`, per-character,
per-pixel, per-page and DBU prices, a new tier such as `_ultrafast`, whatever
LiteLLM adds next) is kept under its own name, its number exactly as stated
(`PriceKey.as_stated`); an object value (`guardrail_cost_per_unit`) gives one
price per member. So a change to it is reported the day it happens, without a
release of ours. Every number is kept as stated, `0.0` included.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, Final

from sources.base import BuiltinSource
from sources.catalog_common import expect_dict, iso_date, load_json
from watcher.identity import resolve
from watcher.model import Document, Observation, ParseError, PriceKey, PriceUnit
from watcher.money import MILLION, to_decimal

NAME: Final = "litellm"
CATALOG_URL: Final = (
    "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"
)
NOT_MODELS: Final = frozenset({"sample_spec"})

_M, _S, _I, _R = PriceUnit.PER_1M_TOKENS, PriceUnit.PER_SECOND, PriceUnit.PER_IMAGE, PriceUnit.PER_REQUEST
_PER_TOKEN: Final = MILLION
_AS_IS: Final = Decimal(1)

# base field -> (component, unit, scale to our unit, fixed variant)
_BASES: Final[Mapping[str, tuple[str, PriceUnit, Decimal, str]]] = {
    "input_cost_per_token": ("input", _M, _PER_TOKEN, ""),
    "output_cost_per_token": ("output", _M, _PER_TOKEN, ""),
    "cache_read_input_token_cost": ("cached_input", _M, _PER_TOKEN, ""),
    "cache_creation_input_token_cost": ("cache_write", _M, _PER_TOKEN, ""),
    "input_cost_per_token_cache_hit": ("input_cache_hit", _M, _PER_TOKEN, ""),
    "output_cost_per_reasoning_token": ("reasoning", _M, _PER_TOKEN, ""),
    "input_cost_per_audio_token": ("audio_input", _M, _PER_TOKEN, ""),
    "output_cost_per_audio_token": ("audio_output", _M, _PER_TOKEN, ""),
    "cache_read_input_audio_token_cost": ("cached_audio_input", _M, _PER_TOKEN, ""),
    "cache_creation_input_audio_token_cost": ("audio_cache_write", _M, _PER_TOKEN, ""),
    "input_cost_per_image_token": ("image_input", _M, _PER_TOKEN, ""),
    "output_cost_per_image_token": ("image_output", _M, _PER_TOKEN, ""),
    "output_cost_per_video_token": ("video", _M, _PER_TOKEN, ""),
    "citation_cost_per_token": ("citation", _M, _PER_TOKEN, ""),
    "computer_use_input_cost_per_1k_tokens": ("computer_use_input", _M, Decimal(1000), ""),
    "computer_use_output_cost_per_1k_tokens": ("computer_use_output", _M, Decimal(1000), ""),
    "input_cost_per_second": ("input", _S, _AS_IS, ""),
    "output_cost_per_second": ("output", _S, _AS_IS, ""),
    "output_cost_per_second_1080p": ("output", _S, _AS_IS, "1080p"),
    "input_cost_per_audio_per_second": ("audio_input", _S, _AS_IS, ""),
    "input_cost_per_video_per_second": ("video_input", _S, _AS_IS, ""),
    "output_cost_per_video_per_second": ("video", _S, _AS_IS, ""),
    "input_cost_per_image": ("image_input", _I, _AS_IS, ""),
    "output_cost_per_image": ("image", _I, _AS_IS, ""),
    "input_cost_per_request": ("request", _R, _AS_IS, ""),
    "input_cost_per_query": ("query", _R, _AS_IS, ""),
    "search_context_cost_per_query": ("web_search", _R, _AS_IS, ""),  # {search_context_size_low: …}
}

_TIERS: Final = (("_batches", "batch"), ("_priority", "priority"), ("_flex", "flex"))
_QUALIFIER: Final = re.compile(r"_above_(\d+)(k_tokens|hr|s_interval)$")
_QUALIFIER_FORMAT: Final = {"k_tokens": ">{}k", "hr": "{}h", "s_interval": ">{}s"}
_CONTEXT_SIZE: Final = "search_context_size_"


@functools.lru_cache(maxsize=1024)
def price_field(field: str) -> tuple[str, PriceUnit, Decimal, str, str] | None:
    """(component, unit, scale, tier, variant) for a field the grammar reads; None for any other."""
    name, tier = field, "standard"
    for suffix, tier_name in _TIERS:
        if name.endswith(suffix):
            name, tier = name.removesuffix(suffix), tier_name
            break
    qualifiers: list[str] = []
    while (match := _QUALIFIER.search(name)) is not None:
        qualifiers.insert(0, _QUALIFIER_FORMAT[match.group(2)].format(match.group(1)))
        name = name[: match.start()]
    base = _BASES.get(name)
    if base is None:
        return None
    component, unit, scale, fixed = base
    return component, unit, scale, tier, ",".join(filter(None, (fixed, *qualifiers)))


def _prices(entry: Mapping[str, Any]) -> dict[PriceKey, Decimal]:
    prices: dict[PriceKey, Decimal] = {}
    for field, raw in entry.items():
        if "cost" not in field:
            continue
        if (spec := price_field(field)) is None:
            for variant, value in _members(raw):
                if (number := to_decimal(value)) is not None:
                    prices[PriceKey.as_stated(field, variant)] = number
            continue
        component, unit, scale, tier, variant = spec
        for size, value in _members(raw):  # search context sizes: low / medium / high
            if (number := to_decimal(value, scale)) is not None:
                prices[PriceKey(component, unit, tier, _context_variant(size, variant))] = number
    return dict(sorted(prices.items()))


def _members(raw: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(member path, value) of a field's value: itself, or each member of an object (dotted)."""
    if isinstance(raw, dict):
        for name, value in raw.items():
            yield from _members(value, f"{path}.{name}" if path else str(name))
    else:
        yield path, raw


def _context_variant(size: str, variant: str) -> str:
    return ",".join(filter(None, (size.removeprefix(_CONTEXT_SIZE), variant)))


def _observation(key: str, entry: Mapping[str, Any], url: str) -> Observation:
    identity = resolve(key, entry["litellm_provider"])
    return Observation(
        key=key,
        provider=identity.provider,
        model=identity.model,
        source_id=key,
        distribution=identity.distribution,
        shutdown_on=iso_date(entry.get("deprecation_date")),
        prices=_prices(entry),
        is_model=entry.get("mode") != "search",  # web-search tools priced per query
        url=url,
    )


def is_model_entry(key: str, entry: Any) -> bool:
    return key not in NOT_MODELS and isinstance(entry, dict) and isinstance(entry.get("litellm_provider"), str)


def parse(doc: Document) -> list[Observation]:
    catalog = expect_dict(load_json(doc), "LiteLLM catalog")
    observations = [
        _observation(key, entry, doc.url or CATALOG_URL)
        for key, entry in catalog.items()
        if is_model_entry(key, entry)
    ]
    if not observations:
        raise ParseError("LiteLLM catalog lists no models")
    return observations


SOURCE: Final = BuiltinSource(
    name=NAME,
    urls=(CATALOG_URL,),
    parser_version="2",
    parse_fn=parse,
    description="LiteLLM model price catalog: prices and deprecation (shutdown) dates",
)
