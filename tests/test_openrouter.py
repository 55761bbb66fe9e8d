"""OpenRouter catalog parser on trimmed real captures (2026-06-16, 2026-08-19)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from sources import openrouter
from sources.registry import builtin
from watcher.model import Document, Observation, ParseError, PriceKey, PriceUnit

FIXTURES = Path(__file__).parent / "fixtures" / "openrouter"
JUNE = "models-2026-06-16.json"
AUGUST = "models-2026-08-19.json"
ALL = "models-all-modalities-2026-08-19.json"
FETCHED = dt.datetime(2026, 8, 19, 12, tzinfo=dt.UTC)
M = PriceUnit.PER_1M_TOKENS


def doc(body: bytes, content_type: str = "application/json") -> Document:
    return Document(source="openrouter", url=openrouter.CATALOG_URL, body=body,
                    fetched_at=FETCHED, content_type=content_type)


def parse_fixture(name: str) -> dict[str, Observation]:
    observations = openrouter.parse(doc((FIXTURES / name).read_bytes()))
    return {o.key: o for o in observations}


def prices(obs: Observation) -> dict[str, str]:
    return {str(k): format(v, "f") for k, v in obs.prices.items()}


def test_source_contract() -> None:
    source = builtin("openrouter")
    assert source is openrouter.SOURCE
    assert source.urls == ("https://openrouter.ai/api/v1/models?output_modalities=all",)
    assert source.parser_version == "1"


@pytest.mark.parametrize("name", [JUNE, AUGUST, ALL])
def test_both_envelopes_parse_every_row(name: str) -> None:
    raw = json.loads((FIXTURES / name).read_bytes())
    parsed = parse_fixture(name)
    assert set(parsed) == {row["id"] for row in raw["data"]}
    assert ("total_count" in raw) == (name != JUNE)


def test_glm_45_expiration_moves() -> None:
    assert parse_fixture(JUNE)["z-ai/glm-4.5"].shutdown_on == dt.date(2026, 6, 19)
    august = parse_fixture(AUGUST)["z-ai/glm-4.5"]
    assert august.shutdown_on == dt.date(2026, 12, 31)
    assert (august.provider, august.model, august.distribution) == ("z-ai", "glm-4.5", None)
    assert august.status is None


def test_placeholder_expiration_means_no_date() -> None:
    raw = {r["id"]: r for r in json.loads((FIXTURES / AUGUST).read_bytes())["data"]}
    assert raw["z-ai/glm-5-turbo"]["expiration_date"] == "2098-12-31"
    assert parse_fixture(AUGUST)["z-ai/glm-5-turbo"].shutdown_on is None
    assert parse_fixture(JUNE)["z-ai/glm-5.2"].shutdown_on is None
    assert parse_fixture(JUNE)["meta-llama/llama-3-70b-instruct"].shutdown_on == dt.date(2026, 6, 19)


def test_sora_2_pro_only_with_all_modalities_and_no_expiration() -> None:
    assert "openai/sora-2-pro" not in parse_fixture(AUGUST)
    sora = parse_fixture(ALL)["openai/sora-2-pro"]
    assert (sora.provider, sora.model, sora.distribution) == ("openai", "sora-2-pro", None)
    assert sora.source_id == "openai/sora-2-pro"
    assert sora.shutdown_on is None and sora.status is None
    assert sora.prices == {}  # "0"/"0" on a video model: priced per second elsewhere
    assert sora.url == "https://openrouter.ai/openai/sora-2-pro"


def test_router_pseudo_models_have_no_price() -> None:
    parsed = parse_fixture(AUGUST)
    for key in ("openrouter/auto", "openrouter/fusion"):
        assert parsed[key].prices == {}
        assert parsed[key].is_model is False
    assert parsed["openai/gpt-4o"].is_model is True


def test_zero_is_free_for_text_models() -> None:
    parsed = parse_fixture(AUGUST)
    free = parsed["nvidia/nemotron-nano-12b-v2-vl:free"]
    assert prices(free) == {"input/per_1m_tokens/standard": "0", "output/per_1m_tokens/standard": "0"}
    assert free.shutdown_on == dt.date(2026, 8, 24)
    # The free endpoint's expiry is not the maker's: not comparable with official dates.
    assert (free.model, free.distribution) == ("nemotron-nano-12b-v2-vl", "openrouter:free")
    assert prices(parsed["openrouter/free"])["input/per_1m_tokens/standard"] == "0"


def test_zero_is_omitted_where_priced_elsewhere() -> None:
    parsed = parse_fixture(ALL)
    for video in ("google/veo-3.1", "bytedance/seedance-2.0"):
        assert parsed[video].prices == {}
    assert parsed["cohere/rerank-v3.5"].prices == {}
    # Image-only generators: the zeros go, the real prices stay.
    assert prices(parsed["x-ai/grok-imagine-image-2.0"]) == {
        "image/per_image/standard": "0.01",
        "image_output/per_1m_tokens/standard": "9.580838323",
        "image_token/per_1m_tokens/standard": "9.580838323",
    }
    assert prices(parsed["microsoft/mai-image-2.5"]) == {
        "image_output/per_1m_tokens/standard": "47",
        "image_token/per_1m_tokens/standard": "47",
        "input/per_1m_tokens/standard": "5",
    }
    # An embedding model's "0" is stated (free), as for any text-side model.
    assert prices(parsed["google/gemini-embedding-001"])["image_input/per_1m_tokens/standard"] == "0"


def test_token_prices_per_million() -> None:
    flash = parse_fixture(AUGUST)["google/gemini-2.5-flash"]
    assert prices(flash) == {
        "audio_input/per_1m_tokens/standard": "1",
        "cache_write/per_1m_tokens/standard": "0.08333333333",
        "cached_audio_input/per_1m_tokens/standard": "0.1",
        "cached_input/per_1m_tokens/standard": "0.03",
        "image_input/per_1m_tokens/standard": "0.3",  # Gemini's `image` equals its prompt price
        "input/per_1m_tokens/standard": "0.3",
        "output/per_1m_tokens/standard": "2.5",
        "reasoning/per_1m_tokens/standard": "2.5",
        "web_search/per_request/standard": "0.014",
    }
    audio = parse_fixture(AUGUST)["openai/gpt-audio"]
    assert audio.prices[PriceKey("audio_output", M)] == Decimal(64)


def test_batch_rows_price_the_batch_tier() -> None:
    batch = parse_fixture(AUGUST)["google/gemini-2.5-flash:batch"]
    assert (batch.model, batch.distribution) == ("gemini-2.5-flash", None)
    assert {k.tier for k in batch.prices} == {"batch"}
    assert batch.prices[PriceKey("input", M, "batch")] == Decimal("0.15")
    embed = parse_fixture(ALL)["openai/text-embedding-3-large:batch"]
    assert embed.prices[PriceKey("input", M, "batch")] == Decimal("0.065")


def test_overrides_become_variants() -> None:
    sonnet = parse_fixture(AUGUST)["anthropic/claude-sonnet-4.5"]
    assert sonnet.prices[PriceKey("input", M)] == Decimal(3)
    assert sonnet.prices[PriceKey("input", M, variant=">200k")] == Decimal(6)
    assert sonnet.prices[PriceKey("cache_write", M, variant="1h")] == Decimal(6)
    assert sonnet.prices[PriceKey("cache_write", M, variant="1h,>200k")] == Decimal(12)
    deepseek = parse_fixture(AUGUST)["deepseek/deepseek-v4-pro-0813"]
    assert deepseek.prices[PriceKey("input", M, variant="utc0100-0400")] == Decimal("1.32")
    assert deepseek.prices[PriceKey("input", M, variant="utc1000-0100")] == Decimal("0.66")


def test_alias_target_recorded_on_target() -> None:
    parsed = parse_fixture(AUGUST)
    assert parsed["openai/gpt-5.6-sol"].aliases == ("~openai/gpt-latest",)
    assert parsed["anthropic/claude-sonnet-5"].aliases == ("~anthropic/claude-sonnet-latest",)
    alias = parsed["~openai/gpt-latest"]
    assert (alias.provider, alias.model) == ("openai", "gpt-latest")
    assert alias.prices == parsed["openai/gpt-5.6-sol"].prices
    # June's capture has alias rows but no alias_target: nothing invented.
    assert all(o.aliases == () for o in parse_fixture(JUNE).values())


def test_identity_of_rows() -> None:
    parsed = parse_fixture(AUGUST)
    assert [(o.provider, o.model, o.distribution) for o in (
        parsed["openai/gpt-4o"], parsed["mistralai/mistral-large"], parsed["x-ai/grok-4.6"])] == [
        ("openai", "gpt-4o", None), ("mistral", "mistral-large", None), ("x-ai", "grok-4.6", None)]


def test_unchanged_rows_compare_equal_across_captures() -> None:
    june, august = parse_fixture(JUNE), parse_fixture(AUGUST)
    assert june["mistralai/mistral-large"] == august["mistralai/mistral-large"]
    # null in June, the 2098 placeholder in August: the same statement (no date).
    assert june["z-ai/glm-5-turbo"] == august["z-ai/glm-5-turbo"]
    # Real changes between the captures are seen.
    assert june["openai/gpt-5.2-chat"].shutdown_on == dt.date(2026, 8, 10)
    assert august["openai/gpt-5.2-chat"].shutdown_on is None
    assert PriceKey("cached_input", M) in august["openai/gpt-4o"].prices
    assert PriceKey("cached_input", M) not in june["openai/gpt-4o"].prices


def test_pure_and_independent_of_fetch_time() -> None:
    body = (FIXTURES / ALL).read_bytes()
    first = openrouter.parse(doc(body))
    later = openrouter.parse(dataclasses.replace(doc(body), fetched_at=FETCHED + dt.timedelta(days=400)))
    assert first == later


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"", "application/json", "empty"),
        (b"<!DOCTYPE html><html><body>Service unavailable</body></html>", "text/html", "HTML"),
        (b"<html>oops</html>", "application/json", "HTML"),
        (b'{"data": [', "application/json", "not JSON"),
        (b"[]", "application/json", "expected an object"),
        (b'{"error": {"message": "rate limited"}}', "application/json", "no `data` list"),
        (b'{"data": []}', "application/json", "no models"),
        (b'{"data": [{"name": "no id"}]}', "application/json", "no models"),
        (b'{"data": ["openai/gpt-4o"]}', "application/json", "not an object"),
    ],
)
def test_refuses_what_is_not_a_catalog(body: bytes, content_type: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        openrouter.parse(doc(body, content_type))
