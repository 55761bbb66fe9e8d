"""The generic JSON-catalog source: options, row reading, identity, units, Flatkey-like transitions."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sources import registry
from sources.base import Source
from sources.json_catalog import configure, field
from watcher.model import (
    NO_REPLACEMENT,
    ChangeKind,
    Document,
    Observation,
    ParseError,
    PriceKey,
    PriceUnit,
    Status,
)
from watcher.poll.diff import field_changes

FIXTURES = Path(__file__).parent / "fixtures" / "json_catalog"
WHEN = dt.datetime(2026, 8, 1, tzinfo=dt.UTC)

FLATKEY: dict[str, Any] = {
    "type": "json-catalog",
    "url": "https://router.flatkey.ai/v1/pricing",
    "items": "data",
    "id": "model",
    "provider_field": "owned_by",
    "availability": "availability_status",
    "shutdown": "lifecycle.shutdown_at",
    "replacement": "lifecycle.replaced_by",
    "url_template": "https://flatkey.ai/models/{id}",
    "status": {"path": "lifecycle.status", "map": {"beta": "preview"}},
    "prices": {
        "input": {"path": "pricing.input_per_1m", "unit": "per_1m_tokens"},
        "cached_input": {"path": "pricing.cached_input_per_1m", "unit": "per_1m_tokens"},
        "output": {"path": "pricing.output_per_1m", "unit": "per_1m_tokens"},
        "video": {"path": "pricing.per_second", "unit": "per_second", "variant": "720x1280"},
        "request": {"path": "pricing.per_request", "unit": "per_request"},
    },
}

NEW_API: dict[str, Any] = {
    "type": "json-catalog",
    "url": "https://gateway.example.com/api/pricing",
    "items": "data",
    "id": "model_name",
    "provider_field": "owner_by",
    "prices": {
        # new-api ratios: 1 = $0.002 / 1K tokens = $2 / 1M; output = ratio x completion ratio.
        "input": {"path": "model_ratio", "unit": "per_1m_tokens", "scale": 2, "when": {"path": "quota_type", "equals": 0}},
        "output": {
            "path": ["model_ratio", "completion_ratio"],
            "unit": "per_1m_tokens",
            "scale": 2,
            "when": {"path": "quota_type", "equals": 0},
        },
        "request": {"path": "model_price", "unit": "per_request", "when": {"path": "quota_type", "equals": 1}},
    },
}


def doc(name: str, body: bytes | str, status: int = 200) -> Document:
    raw = body.encode() if isinstance(body, str) else body
    return Document(name, "https://example.invalid/", raw, WHEN, http_status=status)


def parse_fixture(name: str, options: dict[str, Any], fixture: str) -> dict[str, Observation]:
    source = configure(name, options)
    return {o.key: o for o in source.parse(doc(name, (FIXTURES / fixture).read_bytes()))}


def tok(component: str, tier: str = "standard") -> PriceKey:
    return PriceKey(component, PriceUnit.PER_1M_TOKENS, tier)


# --- Flatkey-like ------------------------------------------------------------------


def test_flatkey_rows() -> None:
    rows = parse_fixture("flatkey", FLATKEY, "flatkey-like-2026-06.json")
    assert sorted(rows) == [
        "claude-sonnet-4-5", "flatkey-auto", "gpt-4o", "gpt-4o-mini", "sora-2", "sora-2-pro",
    ]  # fmt: skip
    sora = rows["sora-2"]
    assert (sora.provider, sora.model, sora.distribution) == ("openai", "sora-2", "flatkey")
    assert sora.availability == "available" and sora.status is Status.ACTIVE
    assert sora.prices == {PriceKey("video", PriceUnit.PER_SECOND, "standard", "720x1280"): Decimal("0.1")}
    assert sora.url == "https://flatkey.ai/models/sora-2"
    assert rows["gpt-4o"].prices == {
        tok("input"): Decimal("2.5"),
        tok("cached_input"): Decimal("1.25"),
        tok("output"): Decimal("10"),
    }
    assert rows["claude-sonnet-4-5"].provider == "anthropic"
    router = rows["flatkey-auto"]
    assert (router.provider, router.distribution, router.status) == ("flatkey", None, Status.PREVIEW)
    assert router.prices == {PriceKey("request", PriceUnit.PER_REQUEST): Decimal(0)}  # free is a price


def test_flatkey_availability_transitions_and_no_noise() -> None:
    before = parse_fixture("flatkey", FLATKEY, "flatkey-like-2026-06.json")
    after = parse_fixture("flatkey", FLATKEY, "flatkey-like-2026-08.json")
    assert after["sora-2"].availability == "unknown_failure"
    assert after["sora-2"].shutdown_on == dt.date(2026, 9, 24)
    assert after["sora-2"].replacement == NO_REPLACEMENT
    changes = {
        key: sorted(c.kind for c in field_changes("flatkey", before[key], after[key]))
        for key in sorted(set(before) & set(after))
    }
    assert changes == {
        "claude-sonnet-4-5": [ChangeKind.AVAILABILITY],
        # "2.50" became 2.5 and rows were reordered: not changes.
        "gpt-4o": [],
        "gpt-4o-mini": [],
        "sora-2": sorted(
            [ChangeKind.AVAILABILITY, ChangeKind.REPLACEMENT, ChangeKind.SHUTDOWN_DATE, ChangeKind.STATUS]
        ),
        "sora-2-pro": sorted(
            [ChangeKind.AVAILABILITY, ChangeKind.REPLACEMENT, ChangeKind.SHUTDOWN_DATE, ChangeKind.STATUS]
        ),
    }


def test_source_contract_and_registry() -> None:
    source = registry.configure("flatkey", FLATKEY)
    assert isinstance(source, Source)
    assert source.name == "flatkey"
    assert list(source.urls) == ["https://router.flatkey.ai/v1/pricing"]
    assert source.parser_version.startswith("1+")
    # Options the parser reads are part of its version (a config edit re-reads the body); the URL is not.
    assert registry.configure("flatkey", {**FLATKEY, "url": "http://127.0.0.1/p"}).parser_version == source.parser_version
    assert registry.configure("flatkey", {**FLATKEY, "id": "name"}).parser_version != source.parser_version


# --- new-api, Together, object-of-rows ------------------------------------------------


def test_new_api_ratios() -> None:
    rows = parse_fixture("new-api", NEW_API, "new-api-pricing.json")
    assert rows["gpt-4o"].prices == {tok("input"): Decimal("2.5"), tok("output"): Decimal(10)}
    assert rows["gpt-4o-mini"].prices == {tok("input"): Decimal("0.15"), tok("output"): Decimal("0.6")}
    assert rows["claude-3-5-haiku-20241022"].prices[tok("output")] == Decimal(4)
    assert rows["dall-e-3"].prices == {PriceKey("request", PriceUnit.PER_REQUEST): Decimal("0.04")}
    gpt4o = rows["gpt-4o"]
    assert (gpt4o.provider, gpt4o.distribution) == ("openai", "new-api")


def test_together_bare_list() -> None:
    options = {
        "url": "https://api.together.xyz/v1/models",
        "id": "id",
        "provider_field": "organization",
        "distribution": "together_ai",
        "prices": {
            "input": {"path": "pricing.input", "unit": "per_1m_tokens"},
            "output": {"path": "pricing.output", "unit": "per_1m_tokens"},
        },
    }
    rows = parse_fixture("together", options, "together-models.json")
    llama = rows["meta-llama/Llama-3.3-70B-Instruct-Turbo"]
    assert (llama.provider, llama.model, llama.distribution) == (
        "meta",
        "Llama-3.3-70B-Instruct-Turbo",
        "together_ai",
    )
    assert llama.source_id == "meta-llama/Llama-3.3-70B-Instruct-Turbo"
    assert llama.prices[tok("input")] == Decimal("0.88")
    assert rows["deepseek-ai/DeepSeek-V3"].provider == "deepseek"


def test_object_of_rows_and_per_token_units() -> None:
    options = {
        "url": "https://example.com/prices.json",
        "items": "",
        "id": "@key",
        "provider_field": "litellm_provider",
        "distribution": "",
        "shutdown": "deprecation_date",
        "prices": {
            "input": {"path": "input_cost_per_token", "unit": "per_token"},
            "cached_input": {"path": "cache_read_input_token_cost", "unit": "per_token"},
            "output": {"path": "output_cost_per_token", "unit": "per_token"},
            "input_batch": {"path": "input_cost_per_token_batches", "unit": "per_token", "tier": "batch"},
            "video": {"path": "output_cost_per_video_per_second", "unit": "per_second"},
            "input_1k": {"path": "input_cost_per_1k", "unit": "per_1k_tokens"},
        },
    }
    rows = parse_fixture("prices", options, "per-token-object.json")
    assert rows["gpt-4o"].prices == {
        tok("input"): Decimal("2.5"),
        tok("cached_input"): Decimal("1.25"),
        tok("output"): Decimal(10),
    }
    assert (rows["gpt-4o"].provider, rows["gpt-4o"].distribution) == ("openai", None)
    assert rows["openrouter/openai/gpt-4o-mini"].prices[tok("input_batch", "batch")] == Decimal("0.075")
    assert rows["openrouter/openai/gpt-4o-mini"].distribution == "openrouter"
    sora = rows["azure/sora-2"]
    assert (sora.provider, sora.model, sora.distribution) == ("openai", "sora-2", "azure")
    assert sora.shutdown_on == dt.date(2026, 9, 24)
    assert sora.prices == {PriceKey("video", PriceUnit.PER_SECOND): Decimal("0.1")}
    legacy = rows["text-davinci-legacy"].prices
    # Float noise rounds away, and per-token and per-1K renderings agree.
    assert legacy[tok("input")] == Decimal("283.3333333")
    assert legacy[tok("input_1k")] == legacy[tok("input")]


# --- row details ---------------------------------------------------------------------


def catalog(rows: list[dict[str, Any]], **extra: Any) -> list[Observation]:
    options = {"url": "https://example.com/c", "items": "data", "id": "id", **extra}
    return configure("c", options).parse(doc("c", json.dumps({"data": rows})))


def test_negative_prices_are_sentinels_and_missing_fields_are_omitted() -> None:
    prices = {"input": {"path": "p.in", "unit": "per_token"}, "output": {"path": "p.out", "unit": "per_token"}}
    (obs,) = catalog([{"id": "openrouter/auto", "p": {"in": "-1"}}], prices=prices)
    assert obs.prices == {}


def test_dates_in_several_spellings() -> None:
    rows: list[dict[str, Any]] = [
        {"id": "a", "d": "2026-07-23"},
        {"id": "b", "d": "July 23, 2026"},
        {"id": "c", "d": 1784764800},
        {"id": "d", "d": 1784764800000},
        {"id": "e", "d": "2026\u201107\u201123"},
        {"id": "f", "d": "soon"},
        {"id": "g", "d": None},
    ]
    got = {o.key: o.shutdown_on for o in catalog(rows, shutdown="d")}
    expected = dt.date(2026, 7, 23)
    assert got == {"a": expected, "b": expected, "c": expected, "d": expected, "e": expected, "f": None, "g": None}


def test_status_words() -> None:
    rows: list[dict[str, Any]] = [{"id": "a", "s": "Deprecated"}, {"id": "b", "s": "sunset"}, {"id": "c", "s": "mystery"}]
    status = {"path": "s", "map": {"sunset": "retired"}}
    got = {o.key: o.status for o in catalog(rows, status=status)}
    assert got == {"a": Status.DEPRECATED, "b": Status.RETIRED, "c": None}


def test_availability_is_kept_verbatim() -> None:
    rows: list[dict[str, Any]] = [{"id": "a", "x": "Unknown_Failure "}, {"id": "b", "x": True}, {"id": "c"}]
    got = {o.key: o.availability for o in catalog(rows, availability="x")}
    assert got == {"a": "Unknown_Failure", "b": "true", "c": None}


def test_replacements() -> None:
    rows: list[dict[str, Any]] = [{"id": "a", "r": "gpt-5"}, {"id": "b", "r": ["x", "y"]}, {"id": "c", "r": ""}, {"id": "d", "r": "---"}]
    got = {o.key: o.replacement for o in catalog(rows, replacement="r")}
    assert got == {"a": ("gpt-5",), "b": ("x", "y"), "c": None, "d": NO_REPLACEMENT}


def test_rows_without_id_are_skipped_and_duplicates_keep_the_first() -> None:
    rows: list[dict[str, Any]] = [{"id": "a", "v": "first"}, {"name": "no id"}, {"id": "a", "v": "second"}, {"id": 42}]
    got = catalog(rows, availability="v")
    assert [(o.key, o.availability) for o in got] == [("42", None), ("a", "first")]


def test_field_paths() -> None:
    row = {"a": {"b": [{"c": 1}, {"c": 2}]}, "x.y": 3}
    assert field(row, "a.b.1.c") == 2
    assert field(row, "a.b.-1.c") == 2
    assert field(row, "a.b.5.c") is None
    assert field(row, "a.missing") is None
    assert field(row, "") is row


# --- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ("", 200, "empty"),
        ('{"error": "rate limited"}', 429, "HTTP 429"),
        ("<!DOCTYPE html><title>Just a moment...</title>", 200, "challenge"),
        ("<html>oops</html>", 200, "not JSON"),
        ('{"items": []}', 200, "holds nothing"),
        ('{"data": {"oops": 1}}', 200, "no rows"),
        ('{"data": []}', 200, "no rows"),
        ('{"data": "text"}', 200, "holds a str"),
        ('{"data": [{"name": "x"}]}', 200, "none with an id"),
    ],
)
def test_parse_errors(body: str, status: int, reason: str) -> None:
    source = configure("c", {"url": "https://example.com/c", "items": "data", "id": "id"})
    with pytest.raises(ParseError, match=reason):
        source.parse(doc("c", body, status))


# --- option validation --------------------------------------------------------------------


BASE: dict[str, Any] = {"type": "json-catalog", "url": "https://example.com/c", "id": "id"}


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"type": "json-catalog", "id": "id"}, "sources.gw.url"),
        ({"type": "json-catalog", "url": "https://example.com/c"}, "sources.gw.id"),
        ({**BASE, "itmes": "data"}, "sources.gw.itmes"),
        ({**BASE, "url": "ftp://example.com"}, "sources.gw.url"),
        ({**BASE, "url": 5}, "sources.gw.url"),
        ({**BASE, "type": "yaml-catalog"}, "sources.gw.type"),
        ({**BASE, "provider": "openai", "provider_field": "owner"}, "sources.gw.provider_field"),
        ({**BASE, "id": ""}, "sources.gw.id"),
        ({**BASE, "prices": "input"}, "sources.gw.prices"),
        ({**BASE, "prices": {"input": {"unit": "per_token"}}}, "sources.gw.prices.input.path"),
        ({**BASE, "prices": {"input": {"path": "p"}}}, "sources.gw.prices.input.unit"),
        ({**BASE, "prices": {"input": {"path": "p", "unit": "per_mtok"}}}, "sources.gw.prices.input.unit"),
        ({**BASE, "prices": {"input": {"path": "p", "unit": "per_token", "cost": 1}}}, "sources.gw.prices.input.cost"),
        ({**BASE, "prices": {"input": {"path": "p", "unit": "per_token", "scale": 0}}}, "sources.gw.prices.input.scale"),
        ({**BASE, "prices": {"input": {"path": "p", "unit": "per_token", "tier": 1}}}, "sources.gw.prices.input.tier"),
        ({**BASE, "prices": {"input": {"path": "p", "unit": "per_token", "when": {"path": "q"}}}},
         "sources.gw.prices.input.when.equals"),
        ({**BASE, "status": {"map": {}}}, "sources.gw.status.path"),
        ({**BASE, "status": {"path": "s", "map": {"gone": "dead"}}}, "sources.gw.status.map.gone"),
        ({**BASE, "status": {"path": "s", "words": {}}}, "sources.gw.status.words"),
        ({**BASE, "availability": ["a"]}, "sources.gw.availability"),
        ({**BASE, "url_template": "https://x/{model}"}, "sources.gw.url_template"),
    ],
)  # fmt: skip
def test_option_errors_name_the_key(options: dict[str, Any], key: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(key)}:"):
        configure("gw", options)


def test_unknown_option_error_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known: availability, distribution, id"):
        configure("gw", {**BASE, "model_path": "x"})


def test_examples_in_the_docs_configure() -> None:
    """The TOML blocks of docs/json-catalog.md are valid options."""
    import tomllib

    text = (Path(__file__).parents[1] / "docs" / "json-catalog.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```toml\n")[1:]]
    assert len(blocks) >= 2
    for block in blocks:
        for name, options in tomllib.loads(block)["sources"].items():
            assert isinstance(configure(name, options), Source)
