"""OpenRouter's model catalog (`/api/v1/models?output_modalities=all`).

One row per OpenRouter id (`openai/sora-2`, `nvidia/x:free`, `~openai/gpt-latest`).
Both envelopes are accepted: `{"data": [...]}` and, since mid-2026,
`{"data": [...], "total_count": n, "links": {...}}`.

A listing says nothing about lifecycle, so `status` stays None; the one
lifecycle fact is `expiration_date` ("the date after which the model may be
removed"), kept as the shutdown date, with `2098-12-31` meaning no date.

Prices are USD per token as decimal strings. Readings (checked on the captures):
- `prompt`/`completion`/`input_cache_*`/`internal_reasoning`/`audio*`/
  `image_output`/`image_token` are per token → per 1M tokens.
- `image` is per token for models that answer in text (Gemini's `image` equals
  its `prompt`: image-input tokens → component `image_input`), but per image for
  image generators (`x-ai/grok-imagine-image-2.0`: 0.01, Qwen-Image: 0.003 →
  component `image`, PER_IMAGE).
- `request`, `web_search` are per call → PER_REQUEST.
- `overrides` hold the same keys under a condition: `min_prompt_tokens` becomes
  a context band variant (`>200k`), `utc_start`/`utc_end` (HHMM) a time window
  (`utc1000-0100`).
Sentinels: `"-1"` marks a router pseudo-model (`openrouter/auto`): no price, and
the row is not a model. `"0"` is free and kept, except on video, image-only and
rerank models, which all show `"0"` because they are billed per second, image
or search elsewhere: there a zero is omitted, not stated.

Identity: provider/model from `watcher.identity`; a `:batch` row prices the
batch tier; a `:free` row has distribution `openrouter:free` because the free
endpoint expires on its own schedule (`nvidia/...:free` 2026-08-24), which must
never be read as the maker's shutdown. `alias_target` (`~openai/gpt-latest` →
`openai/gpt-5.6-sol`) is recorded in the target's `aliases`, so a pointer moving
shows as an alias change; the alias row itself is kept as its own row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

from sources.base import BuiltinSource
from sources.catalog_common import context_band, expect_dict, iso_date, load_json
from watcher.identity import resolve
from watcher.model import Document, Observation, ParseError, PriceKey, PriceUnit
from watcher.money import per_million, to_decimal

NAME: Final = "openrouter"
CATALOG_URL: Final = "https://openrouter.ai/api/v1/models?output_modalities=all"
MODEL_PAGE: Final = "https://openrouter.ai/"

# pricing key -> (component, variant) for per-token prices.
_PER_TOKEN: Final[Mapping[str, tuple[str, str]]] = {
    "prompt": ("input", ""),
    "completion": ("output", ""),
    "input_cache_read": ("cached_input", ""),
    "input_cache_write": ("cache_write", ""),
    "input_cache_write_1h": ("cache_write", "1h"),
    "internal_reasoning": ("reasoning", ""),
    "audio": ("audio_input", ""),
    "input_audio_cache": ("cached_audio_input", ""),
    "audio_output": ("audio_output", ""),
    "image_output": ("image_output", ""),
    "image_token": ("image_token", ""),
}
_PER_REQUEST: Final[Mapping[str, str]] = {"request": "request", "web_search": "web_search"}
_ROUTER_SENTINEL: Final = Decimal(-1)
# Output kinds billed outside the token prices; their "0" means "not here".
_PRICED_ELSEWHERE: Final = (frozenset({"video"}), frozenset({"image"}), frozenset({"rerank"}))


def _output_modalities(row: Mapping[str, Any]) -> frozenset[str]:
    arch = row.get("architecture")
    found = arch.get("output_modalities") if isinstance(arch, dict) else None
    return frozenset(m for m in found if isinstance(m, str)) if isinstance(found, list) else frozenset()


def _priced_elsewhere(outputs: frozenset[str]) -> bool:
    return "video" in outputs or outputs in _PRICED_ELSEWHERE


def _variant_of_override(override: Mapping[str, Any]) -> str | None:
    """The condition of one `overrides` entry as a variant; None when not understood."""
    parts: list[str] = []
    if "min_prompt_tokens" in override:
        band = context_band(override["min_prompt_tokens"])
        if band is None:
            return None
        parts.append(band)
    if "utc_start" in override or "utc_end" in override:
        try:
            start, end = int(override["utc_start"]), int(override["utc_end"])
        except (KeyError, TypeError, ValueError):
            return None
        parts.append(f"utc{start:04d}-{end:04d}")
    return ",".join(parts) or None


def _prices_from(
    pricing: Mapping[str, Any], *, tier: str, variant: str, generator: bool, drop_zero: bool
) -> Iterable[tuple[PriceKey, Decimal]]:
    for field, raw in pricing.items():
        if field in _PER_TOKEN:
            component, own_variant = _PER_TOKEN[field]
            key = PriceKey(component, PriceUnit.PER_1M_TOKENS, tier, ",".join(filter(None, (own_variant, variant))))
            value = per_million(raw)
        elif field in _PER_REQUEST:
            key = PriceKey(_PER_REQUEST[field], PriceUnit.PER_REQUEST, tier, variant)
            value = to_decimal(raw)
        elif field == "image" and generator:
            key = PriceKey("image", PriceUnit.PER_IMAGE, tier, variant)
            value = to_decimal(raw)
        elif field == "image":
            key = PriceKey("image_input", PriceUnit.PER_1M_TOKENS, tier, variant)
            value = per_million(raw)
        else:
            continue  # `overrides`, `discount` and keys we have no reading for
        if value is None or value < 0 or (value == 0 and drop_zero):
            continue
        yield key, value


def _prices(pricing: Mapping[str, Any], outputs: frozenset[str], tier: str) -> dict[PriceKey, Decimal]:
    generator = bool(outputs) and "text" not in outputs and "image" in outputs
    drop_zero = _priced_elsewhere(outputs)
    prices = dict(_prices_from(pricing, tier=tier, variant="", generator=generator, drop_zero=drop_zero))
    overrides = pricing.get("overrides")
    for override in overrides if isinstance(overrides, list) else ():
        if isinstance(override, dict) and (variant := _variant_of_override(override)):
            prices.update(_prices_from(override, tier=tier, variant=variant, generator=generator, drop_zero=drop_zero))
    return dict(sorted(prices.items()))


def _is_router(pricing: Mapping[str, Any]) -> bool:
    return any(to_decimal(pricing.get(field)) == _ROUTER_SENTINEL for field in ("prompt", "completion"))


def _rows(body: Any) -> list[Any]:
    envelope = expect_dict(body, "OpenRouter catalog")
    rows = envelope.get("data")
    if not isinstance(rows, list):
        raise ParseError("OpenRouter catalog: no `data` list")
    return rows


def _alias_map(rows: list[Any]) -> dict[str, list[str]]:
    """target id -> ids of alias rows pointing at it (`~openai/gpt-latest`)."""
    aliases: dict[str, list[str]] = {}
    for row in rows:
        target = row.get("alias_target") if isinstance(row, dict) else None
        slug = target.get("slug") if isinstance(target, dict) else None
        if isinstance(slug, str) and isinstance(row.get("id"), str):
            aliases.setdefault(slug, []).append(row["id"])
    return aliases


def _observation(row: Mapping[str, Any], model_id: str, aliases: list[str]) -> Observation:
    identity = resolve(model_id)
    stated = row.get("pricing")
    pricing: Mapping[str, Any] = stated if isinstance(stated, dict) else {}
    router = _is_router(pricing)
    tier = "batch" if identity.variant == "batch" else "standard"
    prices = {} if router else _prices(pricing, _output_modalities(row), tier)
    distribution = "openrouter:free" if identity.variant == "free" else identity.distribution
    return Observation(
        key=model_id,
        provider=identity.provider,
        model=identity.model,
        source_id=model_id,
        distribution=distribution,
        aliases=tuple(aliases),
        shutdown_on=iso_date(row.get("expiration_date")),
        prices=prices,
        is_model=not router,
        url=MODEL_PAGE + model_id,
    )


def parse(doc: Document) -> list[Observation]:
    rows = _rows(load_json(doc))
    aliases = _alias_map(rows)
    observations: dict[str, Observation] = {}
    for row in rows:
        if not isinstance(row, dict):
            raise ParseError(f"OpenRouter catalog: a row is a {type(row).__name__}, not an object")
        model_id = row.get("id")
        if not isinstance(model_id, str) or not model_id.strip() or model_id in observations:
            continue
        observations[model_id] = _observation(row, model_id, aliases.get(model_id, []))
    if not observations:
        raise ParseError("OpenRouter catalog lists no models")
    return list(observations.values())


SOURCE: Final = BuiltinSource(
    name=NAME,
    urls=(CATALOG_URL,),
    parser_version="1",
    parse_fn=parse,
    description="OpenRouter model catalog (all output modalities): prices and expiration dates",
)
