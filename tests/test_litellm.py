"""LiteLLM price catalog parser on trimmed real captures (1.97.0 → 1.98.0)."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sources import litellm
from sources.registry import builtin
from watcher.model import COMPARED_FIELDS, Document, Observation, ParseError, PriceKey, PriceUnit

FIXTURES = Path(__file__).parent / "fixtures" / "litellm"
OLD, NEW = "1.97.0", "1.98.0"
M, S, I, R = PriceUnit.PER_1M_TOKENS, PriceUnit.PER_SECOND, PriceUnit.PER_IMAGE, PriceUnit.PER_REQUEST
FETCHED = dt.datetime(2026, 8, 22, tzinfo=dt.UTC)


def raw(version: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / f"model_prices-{version}.json").read_bytes())
    return loaded


def doc(body: bytes, content_type: str = "text/plain; charset=utf-8") -> Document:
    return Document(source="litellm", url=litellm.CATALOG_URL, body=body, fetched_at=FETCHED,
                    content_type=content_type)


def parse_version(version: str) -> dict[str, Observation]:
    body = (FIXTURES / f"model_prices-{version}.json").read_bytes()
    return {o.key: o for o in litellm.parse(doc(body))}


def test_source_contract() -> None:
    source = builtin("litellm")
    assert source is litellm.SOURCE
    assert source.urls == (
        "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json",)


def test_documentation_entries_are_not_models() -> None:
    parsed = parse_version(NEW)
    assert "sample_spec" in raw(NEW) and "fallback_generalizations" in raw(NEW)
    assert "sample_spec" not in parsed and "fallback_generalizations" not in parsed
    assert len(parsed) == len(raw(NEW)) - 2


def test_sora_family_gets_shutdown_date() -> None:
    old, new = parse_version(OLD), parse_version(NEW)
    for key in ("sora-2", "sora-2-pro", "openai/sora-2", "openai/sora-2-pro"):
        assert old[key].shutdown_on is None
        assert new[key].shutdown_on == dt.date(2026, 9, 24)
    # Azure's own deployments and the high-res SKU got no date in 1.98.0.
    for key in ("azure/sora-2", "azure/sora-2-pro", "sora-2-pro-high-res"):
        assert new[key].shutdown_on is None
    assert (new["sora-2"].provider, new["sora-2"].model, new["sora-2"].distribution) == ("openai", "sora-2", None)
    assert (new["openai/sora-2"].provider, new["openai/sora-2"].model) == ("openai", "sora-2")
    azure = new["azure/sora-2"]
    assert (azure.provider, azure.model, azure.distribution) == ("openai", "sora-2", "azure")
    assert azure.source_id == "azure/sora-2"
    assert new["sora-2"].prices == {PriceKey("video", S): Decimal("0.1")}
    assert new["sora-2-pro-high-res"].prices == {PriceKey("video", S): Decimal("0.5")}


def test_dates_move_both_ways_and_disappear() -> None:
    old, new = parse_version(OLD), parse_version(NEW)
    assert (old["azure/o3-2025-04-16"].shutdown_on, new["azure/o3-2025-04-16"].shutdown_on) == (
        dt.date(2026, 4, 16), dt.date(2026, 10, 21))
    assert (old["claude-3-opus-20240229"].shutdown_on, new["claude-3-opus-20240229"].shutdown_on) == (
        dt.date(2026, 5, 1), dt.date(2026, 1, 5))
    assert old["xai/grok-code-fast-1"].shutdown_on == dt.date(2026, 5, 15)
    assert new["xai/grok-code-fast-1"].shutdown_on is None


def test_tiers_bands_and_units() -> None:
    new = parse_version(NEW)
    gpt5 = new["gpt-5"].prices
    assert gpt5[PriceKey("input", M)] == Decimal("1.25")
    assert gpt5[PriceKey("input", M, "flex")] == Decimal("0.625")
    assert gpt5[PriceKey("output", M, "priority")] == Decimal(20)
    assert gpt5[PriceKey("cached_input", M, "priority")] == Decimal("0.25")
    assert gpt5[PriceKey("web_search", R, variant="high")] == Decimal("0.01")
    gpt4o = new["gpt-4o"].prices
    assert gpt4o[PriceKey("input", M, "batch")] == Decimal("1.25")
    sonnet = new["claude-sonnet-4-5"].prices
    assert sonnet[PriceKey("input", M, variant=">200k")] == Decimal(6)
    assert sonnet[PriceKey("cache_write", M, variant="1h")] == Decimal(6)
    assert sonnet[PriceKey("cache_write", M, variant="1h,>200k")] == Decimal(12)
    assert new["vertex_ai/veo-3.0-generate-001"].prices == {PriceKey("output", S): Decimal("0.4")}
    assert new["dall-e-3"].prices == {PriceKey("image_input", I): Decimal("0.04")}
    assert new["deepseek/deepseek-chat"].prices[PriceKey("input_cache_hit", M)] == Decimal("0.028")
    assert set(new["ollama/llama2"].prices.values()) == {Decimal(0)}  # stated free, kept
    # Per character: a unit the grammar does not read, kept under its own name as stated.
    assert new["tts-1"].prices == {PriceKey.as_stated("input_cost_per_character"): Decimal("0.000015")}


def test_identity_and_kind_of_rows() -> None:
    new = parse_version(NEW)
    expected = {
        "gpt-4o": ("openai", "gpt-4o", None),
        "azure/gpt-4o": ("openai", "gpt-4o", "azure"),
        "openrouter/openai/gpt-4o": ("openai", "gpt-4o", "openrouter"),
        "gemini-2.5-pro": ("google", "gemini-2.5-pro", "vertex_ai"),
        "gemini/gemini-2.5-flash": ("google", "gemini-2.5-flash", None),
        "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0": ("anthropic", "claude-3-5-haiku-20241022", "bedrock"),
        "high/1024-x-1536/gpt-image-1": ("openai", "gpt-image-1", None),
        "bedrock_mantle/openai.gpt-5.6-sol": ("openai", "gpt-5.6-sol", "bedrock"),
    }
    assert {k: (new[k].provider, new[k].model, new[k].distribution) for k in expected} == expected
    assert new["tavily/search"].is_model is False
    assert new["gpt-4o"].is_model is True
    assert new["gpt-4o"].url == litellm.CATALOG_URL
    assert all(o.status is None for o in new.values())


def test_float_noise_is_not_a_change() -> None:
    old_raw, new_raw = raw(OLD)["gpt-realtime-whisper"], raw(NEW)["gpt-realtime-whisper"]
    assert old_raw["input_cost_per_second"] != new_raw["input_cost_per_second"]
    assert parse_version(OLD)["gpt-realtime-whisper"] == parse_version(NEW)["gpt-realtime-whisper"]


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("input_cost_per_token", ("input", M, "standard", "")),
        ("output_cost_per_token_batches", ("output", M, "batch", "")),
        ("cache_read_input_token_cost_flex", ("cached_input", M, "flex", "")),
        ("input_cost_per_token_above_272k_tokens_priority", ("input", M, "priority", ">272k")),
        ("cache_creation_input_token_cost_above_1hr_above_200k_tokens", ("cache_write", M, "standard", "1h,>200k")),
        ("input_cost_per_video_per_second_above_8s_interval", ("video_input", S, "standard", ">8s")),
        ("output_cost_per_video_per_second", ("video", S, "standard", "")),
        ("output_cost_per_second_1080p", ("output", S, "standard", "1080p")),
        ("output_cost_per_image", ("image", I, "standard", "")),
        ("search_context_cost_per_query", ("web_search", R, "standard", "")),
        ("input_cost_per_character", None),
        ("output_cost_per_pixel", None),
        ("input_dbu_cost_per_token", None),
        ("made_up_cost_per_fortnight", None),
    ],
)
def test_price_field_grammar(field: str, expected: tuple[str, PriceUnit, str, str] | None) -> None:
    spec = litellm.price_field(field)
    assert (None if spec is None else (spec[0], spec[1], spec[3], spec[4])) == expected


def _numbers(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_numbers(v) for v in value.values())
    return int(isinstance(value, (int, float)) and not isinstance(value, bool))


def test_every_cost_number_in_the_fixtures_is_a_price() -> None:
    for version in (OLD, NEW):
        parsed = parse_version(version)
        for key, entry in raw(version).items():
            if litellm.is_model_entry(key, entry):
                stated = sum(_numbers(v) for f, v in entry.items() if "cost" in f)
                assert len(parsed[key].prices) == stated, key


# --- the independent check: a diff of the raw JSON, with no parser code ------


def _relevant(entry: dict[str, Any]) -> dict[str, Any]:
    return {f: v for f, v in entry.items() if f == "deprecation_date" or "cost" in f}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)
    return bool(a == b)


def _raw_models(catalog: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in catalog.items()
            if k != "sample_spec" and isinstance(v, dict) and isinstance(v.get("litellm_provider"), str)}


def raw_diff(old: dict[str, Any], new: dict[str, Any]) -> tuple[set[str], set[str], set[str]]:
    a, b = _raw_models(old), _raw_models(new)
    ra, rb = {k: _relevant(v) for k, v in a.items()}, {k: _relevant(v) for k, v in b.items()}
    changed = {k for k in a.keys() & b.keys()
               if ra[k].keys() != rb[k].keys() or not all(_same(ra[k][f], rb[k][f]) for f in ra[k])}
    return set(b) - set(a), set(a) - set(b), changed


def observation_diff(old: dict[str, Observation], new: dict[str, Observation]) -> tuple[set[str], set[str], set[str]]:
    def facts(o: Observation) -> tuple[Any, ...]:
        return tuple(getattr(o, f) for f in COMPARED_FIELDS)
    changed = {k for k in old.keys() & new.keys() if facts(old[k]) != facts(new[k])}
    return set(new) - set(old), set(old) - set(new), changed


def test_observation_diff_equals_independent_raw_diff() -> None:
    expected = raw_diff(raw(OLD), raw(NEW))
    actual = observation_diff(parse_version(OLD), parse_version(NEW))
    assert actual == expected
    added, removed, changed = actual
    assert added == {"claude-mythos-5", "xai/grok-4.6", "nimble/search"}
    assert removed == set()
    assert {"sora-2", "openai/sora-2-pro", "azure/o3-2025-04-16", "xai/grok-code-fast-1",
            "bedrock_mantle/openai.gpt-5.6-sol", "gpt-5.6-sol", "gpt-image-1"} <= changed
    # Controls: unchanged, changed outside prices/dates, float noise.
    controls = {"gpt-4o", "azure/sora-2", "anthropic.claude-opus-4-5-20251101-v1:0", "gpt-realtime-whisper"}
    assert not controls & changed
    bedrock = "anthropic.claude-opus-4-5-20251101-v1:0"
    assert raw(OLD)[bedrock] != raw(NEW)[bedrock]  # supports_tool_search only


def test_a_removed_key_is_simply_not_emitted() -> None:
    catalog = raw(NEW)
    del catalog["sora-2"]
    keys = {o.key for o in litellm.parse(doc(json.dumps(catalog).encode()))}
    assert "sora-2" not in keys and "sora-2-pro" in keys


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"", "text/plain", "empty"),
        (b"<!DOCTYPE html><html><title>429 Too Many Requests</title></html>", "text/html", "HTML"),
        (b'{"gpt-4o": {"litellm_provider": "openai",', "text/plain", "not JSON"),
        (b'["gpt-4o"]', "text/plain", "expected an object"),
        (b"{}", "text/plain", "no models"),
        (b'{"sample_spec": {"litellm_provider": "one of ..."}}', "text/plain", "no models"),
        (b'{"message": "Not Found"}', "text/plain", "no models"),
    ],
)
def test_refuses_what_is_not_a_catalog(body: bytes, content_type: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        litellm.parse(doc(body, content_type))


# --- prices the grammar does not read: kept under their own name, as stated --------

COST_FIELDS = FIXTURES / "cost_fields.json"  # one real entry per such field, 1.56.6 → 1.109.1


def parse_cost_fields(catalog: dict[str, Any] | None = None) -> dict[str, Observation]:
    body = COST_FIELDS.read_bytes() if catalog is None else json.dumps(catalog).encode()
    return {o.key: o for o in litellm.parse(doc(body))}


def test_every_cost_number_of_every_release_is_a_price() -> None:
    catalog = json.loads(COST_FIELDS.read_bytes())
    parsed = parse_cost_fields()
    stated = PriceKey.as_stated
    for key, entry in catalog.items():
        assert len(parsed[key].prices) == sum(_numbers(v) for f, v in entry.items() if "cost" in f), key
        for field in entry:
            if "cost" in field and litellm.price_field(field) is None and not isinstance(entry[field], dict):
                assert parsed[key].prices[stated(field)] == Decimal(repr(entry[field])), (key, field)


@pytest.mark.parametrize(
    ("key", "price", "value"),
    [
        ("vertex_ai/gemini-4-argon-cyber-permissive", "google_maps_grounding_cost_per_query", "0.014"),
        ("fal_ai/minimax/h3/text-to-video", "output_cost_per_second_4k", "0.16"),
        ("gpt-realtime-mini-2025-12-15", "cache_read_input_image_token_cost", "0.00000008"),
        ("amazon.titan-image-generator-v2:0", "output_cost_per_image_above_1024_and_1024_pixels", "0.01"),
        ("nscale/stabilityai/stable-diffusion-xl-base-1.0", "input_cost_per_pixel", "0.000000003"),
        ("nscale/stabilityai/stable-diffusion-xl-base-1.0", "output_cost_per_pixel", "0"),  # zero, as stated
        ("gemini/learnlm-1.5-pro-experimental", "output_cost_per_character", "0"),
        ("mistral/mistral-ocr-latest", "ocr_cost_per_page_batches", "0.002"),
        ("databricks/databricks-meta-llama-3-1-405b-instruct", "input_dbu_cost_per_token", "0.000071429"),
        ("gpt-6.1-sol", "input_cost_per_token_ultrafast", "0.000012"),  # a tier the grammar does not know
    ],
)
def test_prices_kept_as_stated(key: str, price: str, value: str) -> None:
    assert parse_cost_fields()[key].prices[PriceKey.as_stated(price)] == Decimal(value)


def test_an_object_of_prices_is_one_price_per_member() -> None:
    prices = parse_cost_fields()["bedrock/guardrails"].prices
    assert prices[PriceKey.as_stated("guardrail_cost_per_unit", "contentPolicyUnits")] == Decimal("0.00015")
    assert prices[PriceKey.as_stated("guardrail_cost_per_unit", "wordPolicyUnits")] == Decimal(0)
    assert len(prices) == 8


def test_a_known_field_beside_unknown_ones_is_still_read_by_the_grammar() -> None:
    prices = parse_cost_fields()["gpt-6.1-sol"].prices
    assert PriceKey("input", M) in prices
    assert PriceKey.as_stated("input_cost_per_token") not in prices


def test_a_change_to_a_price_kept_as_stated_is_reported() -> None:
    from watcher.poll.diff import diff

    key = "vertex_ai/gemini-4-argon-cyber-permissive"
    catalog = json.loads(COST_FIELDS.read_bytes())
    before = parse_cost_fields(catalog)
    catalog[key]["google_maps_grounding_cost_per_query"] = 0.025
    catalog["mistral/mistral-ocr-latest"]["ocr_cost_per_page"] = 0.0  # a price cut to zero is a change
    del catalog["openai/container"]["code_interpreter_cost_per_session"]
    changes = diff("litellm", before, list(parse_cost_fields(catalog).values())).changes
    assert sorted((c.key, c.field, c.old, c.new) for c in changes) == [
        ("mistral/mistral-ocr-latest", "ocr_cost_per_page/as_stated/", "0.004", "0"),
        ("openai/container", "code_interpreter_cost_per_session/as_stated/", "0.03", None),
        (key, "google_maps_grounding_cost_per_query/as_stated/", "0.014", "0.025"),
    ]
