"""models.dev parser on a trimmed real capture (2026-05-21)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from sources import models_dev
from sources.registry import builtin
from watcher.model import Document, Observation, ParseError, PriceKey, PriceUnit, Status

FIXTURE = Path(__file__).parent / "fixtures" / "models_dev" / "api-2026-05-21.json"
M = PriceUnit.PER_1M_TOKENS


def doc(body: bytes, content_type: str = "application/json") -> Document:
    return Document(source="models-dev", url=models_dev.CATALOG_URL, body=body,
                    fetched_at=dt.datetime(2026, 5, 21, tzinfo=dt.UTC), content_type=content_type)


@pytest.fixture(scope="module")
def parsed() -> dict[str, Observation]:
    return {o.key: o for o in models_dev.parse(doc(FIXTURE.read_bytes()))}


def prices(obs: Observation) -> dict[str, str]:
    return {str(k): format(v, "f") for k, v in obs.prices.items()}


def test_source_contract() -> None:
    source = builtin("models-dev")
    assert source is models_dev.SOURCE
    assert source.name == "models-dev"
    assert source.urls == ("https://models.dev/api.json",)


def test_one_row_per_provider_model(parsed: dict[str, Observation]) -> None:
    raw = json.loads(FIXTURE.read_bytes())
    assert set(parsed) == {f"{p}/{m}" for p, provider in raw.items() for m in provider["models"]}
    gpt4o = parsed["openai/gpt-4o"]
    assert (gpt4o.provider, gpt4o.model, gpt4o.distribution, gpt4o.source_id) == ("openai", "gpt-4o", None, "gpt-4o")
    assert gpt4o.url == "https://models.dev/"
    assert gpt4o.shutdown_on is None and gpt4o.status is None


def test_costs_are_already_per_million(parsed: dict[str, Observation]) -> None:
    assert prices(parsed["openai/gpt-4o"]) == {
        "cached_input/per_1m_tokens/standard": "1.25",
        "input/per_1m_tokens/standard": "2.5",
        "output/per_1m_tokens/standard": "10",
    }
    assert parsed["alibaba/qwen-plus"].prices[PriceKey("reasoning", M)] > 0
    assert parsed["google/gemini-2.5-flash"].prices[PriceKey("audio_input", M)] == Decimal(1)
    assert parsed["openai/gpt-image-1"].prices == {}  # no `cost` object: nothing stated


def _edited(edit: dict[str, object]) -> Observation:
    """google/gemini-2.5-pro with its `cost` object updated by `edit`."""
    raw = json.loads(FIXTURE.read_bytes())
    raw["google"]["models"]["gemini-2.5-pro"]["cost"].update(edit)
    return {o.key: o for o in models_dev.parse(doc(json.dumps(raw).encode()))}["google/gemini-2.5-pro"]


def test_every_cost_entry_is_a_price_unknown_ones_as_stated() -> None:
    obs = _edited({"input_image": 0.3, "output_video": {"per_second": 0.1}, "input_audio": 0})
    stated = PriceKey.as_stated
    assert obs.prices[stated("cost.input_image")] == Decimal("0.3")
    assert obs.prices[stated("cost.output_video.per_second")] == Decimal("0.1")
    assert obs.prices[PriceKey("audio_input", M)] == Decimal(0)  # zero, as stated
    # An unknown entry inside a context band keeps the band.
    tiers = [{"tier": {"type": "context", "size": 200000}, "input": 2.5, "input_image": 0.6}]
    banded = _edited({"tiers": tiers})
    assert banded.prices[stated("cost.input_image", ">200k")] == Decimal("0.6")
    assert banded.prices[PriceKey("input", M, variant=">200k")] == Decimal("2.5")


def test_a_tier_on_another_condition_is_kept_with_its_condition() -> None:
    obs = _edited({"tiers": [{"tier": {"type": "time", "size": "night"}, "input": 0.6}]})
    assert obs.prices[PriceKey("input", M, variant="time=night")] == Decimal("0.6")


def test_context_tiers_win_over_the_coarse_200k_band(parsed: dict[str, Observation]) -> None:
    # gpt-5.4's `context_over_200k` and its tier describe one band, which starts at 272k.
    gpt54 = parsed["openai/gpt-5.4"].prices
    assert gpt54[PriceKey("input", M, variant=">272k")] == Decimal(5)
    assert not any(k.variant == ">200k" for k in gpt54)
    gemini = parsed["google/gemini-2.5-pro"].prices
    assert gemini[PriceKey("output", M, variant=">200k")] == Decimal(15)


def test_modes_become_tiers(parsed: dict[str, Observation]) -> None:
    opus = parsed["anthropic/claude-opus-4-6"].prices
    assert opus[PriceKey("input", M, "fast")] == Decimal(30)
    assert opus[PriceKey("input", M)] == Decimal(5)
    # A mode that is OpenAI's priority service tier is named like LiteLLM's.
    assert parsed["aihubmix/gpt-5.4"].prices[PriceKey("input", M, "priority")] == Decimal(5)


def test_status_words(parsed: dict[str, Observation]) -> None:
    assert parsed["azure/grok-4-1-fast-reasoning"].status is Status.PREVIEW  # beta
    assert parsed["openrouter/openrouter/owl-alpha"].status is Status.PREVIEW  # alpha
    assert parsed["deepinfra/zai-org/GLM-4.5"].status is Status.DEPRECATED
    assert parsed["baseten/moonshotai/Kimi-K2-Thinking"].status is Status.DEPRECATED
    assert parsed["anthropic/claude-opus-4-6"].status is None


def test_identity_across_distributions(parsed: dict[str, Observation]) -> None:
    expected = {
        "google/gemini-2.5-pro": ("google", "gemini-2.5-pro", None),
        "google-vertex/gemini-2.5-pro": ("google", "gemini-2.5-pro", "vertex_ai"),
        "google-vertex/claude-opus-4-6@default": ("anthropic", "claude-opus-4-6", "vertex_ai"),
        "google-vertex/claude-3-5-sonnet@20241022": ("anthropic", "claude-3-5-sonnet-20241022", "vertex_ai"),
        "google-vertex/meta/llama-3.3-70b-instruct-maas": ("meta", "llama-3.3-70b-instruct", "vertex_ai"),
        "amazon-bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0": ("anthropic", "claude-sonnet-4-5-20250929", "bedrock"),
        "amazon-bedrock/anthropic.claude-opus-4-6-v1": ("anthropic", "claude-opus-4-6", "bedrock"),
        "amazon-bedrock/global.anthropic.claude-opus-4-7": ("anthropic", "claude-opus-4-7", "bedrock"),
        "amazon-bedrock/amazon.nova-pro-v1:0": ("amazon", "nova-pro-v1:0", "bedrock"),
        "azure/grok-4-1-fast-reasoning": ("x-ai", "grok-4-1-fast-reasoning", "azure"),
        "openrouter/openai/gpt-4o": ("openai", "gpt-4o", "openrouter"),
        "deepinfra/zai-org/GLM-4.5": ("z-ai", "GLM-4.5", "deepinfra"),
        "xai/grok-4.20-0309-non-reasoning": ("x-ai", "grok-4.20-0309-non-reasoning", None),
        "groq/llama-3.3-70b-versatile": ("meta", "llama-3.3-70b-versatile", "groq"),
        "anthropic/claude-opus-4-6": ("anthropic", "claude-opus-4-6", None),
    }
    assert {k: (parsed[k].provider, parsed[k].model, parsed[k].distribution) for k in expected} == expected


def test_unknown_top_level_entries_are_skipped() -> None:
    catalog = json.loads(FIXTURE.read_bytes())
    catalog["$schema"] = "https://models.dev/schema.json"
    catalog["broken-provider"] = {"id": "broken-provider", "models": []}
    observations = models_dev.parse(doc(json.dumps(catalog).encode()))
    assert len(observations) == sum(len(p["models"]) for k, p in catalog.items() if isinstance(p, dict)
                                    and isinstance(p.get("models"), dict))


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"   ", "application/json", "empty"),
        (b"<!doctype html><html><body>Cloudflare: 520</body></html>", "text/html", "HTML"),
        (b'{"openai": {"models": {', "application/json", "not JSON"),
        (b"[1, 2]", "application/json", "expected an object"),
        (b'{"openai": {"id": "openai", "models": {}}}', "application/json", "no models"),
        (b'{"error": "not found"}', "application/json", "no models"),
    ],
)
def test_refuses_what_is_not_a_catalog(body: bytes, content_type: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        models_dev.parse(doc(body, content_type))
