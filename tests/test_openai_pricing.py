"""The OpenAI pricing source, on fixtures built from real captures (tests/fixtures/openai_pricing/)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sources import registry
from sources.astro_props import AstroPropsError, decode_props
from sources.base import Source
from sources.jsx_literal import JsCall, JsxSyntaxError, find_components, parse_literal
from sources.openai_pricing import PAGE_URL, SOURCE, is_html, parse
from watcher.model import Document, Observation, ParseError, PriceKey, PriceUnit

FIXTURES = Path(__file__).parent / "fixtures" / "openai_pricing"
MD_FIXTURE = FIXTURES / "pricing-2026-06-27.md"
HTML_FIXTURE = FIXTURES / "pricing-page.html"
WHEN = dt.datetime(2026, 6, 27, 12, tzinfo=dt.UTC)


def doc(body: str | bytes, status: int = 200) -> Document:
    raw = body.encode() if isinstance(body, str) else body
    return Document("openai-pricing", PAGE_URL, raw, WHEN, http_status=status)


def by_key(observations: list[Observation]) -> dict[str, Observation]:
    return {o.key: o for o in observations}


def tok(component: str, tier: str = "standard", variant: str = "") -> PriceKey:
    return PriceKey(component, PriceUnit.PER_1M_TOKENS, tier, variant)


@pytest.fixture(scope="module")
def md() -> dict[str, Observation]:
    return by_key(parse(doc(MD_FIXTURE.read_bytes())))


@pytest.fixture(scope="module")
def page() -> dict[str, Observation]:
    return by_key(parse(doc(HTML_FIXTURE.read_bytes())))


# --- the .md twin ------------------------------------------------------------


def test_md_twin_reads_every_complete_component(md: dict[str, Observation]) -> None:
    assert len(md) == 42
    assert {"gpt-5.5", "gpt-5.4-mini", "o3", "babbage-002", "gpt-3.5-turbo-instruct"} <= set(md)
    # The generator truncated the Specialized component; its orphaned rows are not guessed at.
    assert "o3-deep-research" not in md


def test_observation_shape(md: dict[str, Observation]) -> None:
    gpt4o = md["gpt-4o"]
    assert (gpt4o.key, gpt4o.model, gpt4o.provider) == ("gpt-4o", "gpt-4o", "openai")
    assert gpt4o.status is None and gpt4o.section is None
    assert gpt4o.url == "https://developers.openai.com/api/docs/pricing"


def test_no_change_control_gpt_4o(md: dict[str, Observation], page: dict[str, Observation]) -> None:
    for source in (md, page):
        assert source["gpt-4o"].prices[tok("input")] == Decimal("2.50")
        assert source["gpt-4o"].prices[tok("cached_input")] == Decimal("1.25")
        assert source["gpt-4o"].prices[tok("output")] == Decimal("10")
        assert source["gpt-4o-mini"].prices[tok("input")] == Decimal("0.15")
        assert source["gpt-4o-mini"].prices[tok("cached_input")] == Decimal("0.075")
        assert source["gpt-4o-mini"].prices[tok("output")] == Decimal("0.60")


def test_tiers(md: dict[str, Observation]) -> None:
    gpt4o = md["gpt-4o"].prices
    assert gpt4o[tok("input", "batch")] == Decimal("1.25")
    assert gpt4o[tok("output", "priority")] == Decimal("17")
    assert tok("input", "flex") not in gpt4o  # gpt-4o has no flex row
    assert md["o4-mini"].prices[tok("cached_input", "flex")] == Decimal("0.138")


def test_not_offered_values_are_omitted(md: dict[str, Observation]) -> None:
    assert tok("cached_input") not in md["gpt-5-pro"].prices  # null
    assert tok("cached_input") not in md["gpt-5.2-pro"].prices  # "-"
    assert tok("cached_input", variant="<272K") not in md["gpt-5.5-pro"].prices  # ""
    assert tok("cached_input", "batch") not in md["gpt-4o"].prices  # "-" in batch
    assert md["gpt-5-pro"].prices[tok("output")] == Decimal("120")


def test_context_band_goes_in_the_variant(md: dict[str, Observation]) -> None:
    gpt54 = md["gpt-5.4"].prices
    assert gpt54[tok("input", variant="<272K")] == Decimal("2.5")
    assert gpt54[tok("cached_input", "batch", "<272K")] == Decimal("0.13")
    assert tok("input") not in gpt54
    assert tok("input", variant="") in md["gpt-5.4-mini"].prices


# --- row shapes ----------------------------------------------------------------


def mdx(*components: tuple[str, str]) -> str:
    parts = [
        f'<TextTokenPricingTables\n  client:load\n  tier="{tier}"\n  rows={{[\n{rows}\n  ]}}\n/>'
        for tier, rows in components
    ]
    return "# Pricing\n\n" + "\n".join(parts)


def test_four_value_rows_and_five_value_rows_with_cache_writes() -> None:
    # Synthetic prices: the captures hold no 5-value row yet.
    text = mdx(("standard", '["gpt-x", 5, 0.5, 6.25, 30],\n["gpt-y", 1.75, 0.175, 14],'))
    got = by_key(parse(doc(text)))
    assert got["gpt-x"].prices == {
        tok("input"): Decimal(5),
        tok("cached_input"): Decimal("0.5"),
        tok("cache_write"): Decimal("6.25"),
        tok("output"): Decimal(30),
    }
    assert got["gpt-y"].prices[tok("output")] == Decimal(14)
    assert tok("cache_write") not in got["gpt-y"].prices


def test_short_and_long_context_groups_equal_separate_band_rows() -> None:
    grouped = mdx(("standard", '["gpt-z (<272K context length)", 5, 0.5, "-", 30, 10, 1, "-", 45],'))
    separate = mdx(
        (
            "standard",
            '["gpt-z (<272K context length)", 5, 0.5, 30],\n["gpt-z (> 272K tokens)", 10, 1, 45],',
        )
    )
    got = parse(doc(grouped))
    assert got == parse(doc(separate))
    assert got[0].prices[tok("output", variant=">272K")] == Decimal(45)
    assert got[0].prices[tok("input", variant="<272K")] == Decimal(5)


def test_groups_without_a_threshold_in_the_label() -> None:
    got = parse(doc(mdx(("batch", '["gpt-w", 1, 0.1, 2, 3, 0.3, 4],'))))
    assert got[0].prices[tok("output", "batch", "long-context")] == Decimal(4)


def test_unknown_row_length_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="2 prices"):
        parse(doc(mdx(("standard", '["gpt-x", 5, 30],'))))


def test_labels_with_markup_and_footnotes() -> None:
    text = mdx(("standard", "[pricingHtml('<code>gpt-q</code>*'), 1, null, 2],"))
    assert [o.key for o in parse(doc(text))] == ["gpt-q"]


def test_tier_falls_back_to_the_pane() -> None:
    text = (
        '<div data-content-switcher-pane data-value="flex" hidden>\n'
        '<TextTokenPricingTables client:load rows={[["o3", 1, 0.25, 4]]} />\n</div>'
    )
    assert parse(doc(text))[0].prices == {
        tok("input", "flex"): Decimal(1),
        tok("cached_input", "flex"): Decimal("0.25"),
        tok("output", "flex"): Decimal(4),
    }


# --- section moves ---------------------------------------------------------------


def test_rows_moving_between_sections_are_not_changes() -> None:
    before = mdx(
        ("standard", '["gpt-4o", 2.5, 1.25, 10],\n["gpt-4.1", 2, 0.5, 8],'),
        ("batch", '["gpt-4o", 1.25, "-", 5],'),
        ("standard", '["davinci-002", 2, null, 2],'),
    )
    # Later: a "Legacy" section first, gpt-4o moved into it, rows reordered.
    after = mdx(
        ("standard", '["davinci-002", 2, null, 2],\n["gpt-4o", 2.5, 1.25, 10],'),
        ("batch", '["gpt-4o", 1.25, "-", 5],'),
        ("standard", '["gpt-4.1", 2, 0.5, 8],'),
    )
    assert parse(doc(before)) == parse(doc(after))


def test_html_panes_in_another_order_give_equal_observations() -> None:
    text = HTML_FIXTURE.read_text()
    head, rest = text.split('<div data-content-switcher-pane data-value="standard">', 1)
    standard, others = rest.split('<div data-content-switcher-pane data-value="batch" hidden>', 1)
    swapped = head + '<div data-content-switcher-pane data-value="batch" hidden>' + others
    swapped = swapped.replace(
        "</article>",
        '<div data-content-switcher-pane data-value="standard">' + standard + "</article>",
        1,
    )
    assert parse(doc(swapped)) == parse(doc(text))


def test_md_and_html_of_the_same_rows_agree(
    md: dict[str, Observation], page: dict[str, Observation]
) -> None:
    assert {key: page[key] for key in md} == md


# --- the HTML page -----------------------------------------------------------------


def test_html_reads_props_not_the_truncated_ssr_table(page: dict[str, Observation]) -> None:
    # The SSR table stops after six rows; babbage-002 is the last row of the props.
    assert page["babbage-002"].prices[tok("input", "batch")] == Decimal("0.2")
    assert page["gpt-5.4"].prices[tok("input", variant="<272K")] == Decimal("2.5")


def test_html_grouped_specialized_rows(page: dict[str, Observation]) -> None:
    assert page["o3-deep-research"].prices[tok("cached_input")] == Decimal("2.5")
    assert page["text-embedding-3-small"].prices == {tok("input"): Decimal("0.02")}
    assert page["omni-moderation-latest"].prices == {tok("input"): Decimal(0)}  # "Free"


def video(variant: str) -> PriceKey:
    return PriceKey("video", PriceUnit.PER_SECOND, "standard", variant)


def test_html_video_prices_by_resolution(page: dict[str, Observation]) -> None:
    assert page["sora-2"].prices == {video("720x1280"): Decimal("0.10")}
    assert page["sora-2-pro"].prices == {
        video("720x1280"): Decimal("0.30"),
        video("1024x1792"): Decimal("0.50"),
    }


def test_html_image_prices_by_size_and_quality(page: dict[str, Observation]) -> None:
    image = page["gpt-image-1"].prices
    assert len(image) == 9
    assert image[PriceKey("image", PriceUnit.PER_IMAGE, "standard", "1024x1024 low")] == Decimal(
        "0.011"
    )
    mini = page["gpt-image-1-mini"].prices
    assert mini[PriceKey("image", PriceUnit.PER_IMAGE, "standard", "1536x1024 high")] == Decimal(
        "0.052"
    )


def test_html_ignores_tables_that_are_not_prices(
    md: dict[str, Observation], page: dict[str, Observation]
) -> None:
    # The "Tool | Cost" table (file search storage, web search) yields nothing.
    assert set(page) - set(md) == {
        "computer-use-preview",
        "gpt-image-1",
        "gpt-image-1-mini",
        "o3-deep-research",
        "o4-mini-deep-research",
        "omni-moderation-latest",
        "sora-2",
        "sora-2-pro",
        "text-embedding-3-large",
        "text-embedding-3-small",
        "text-embedding-ada-002",
    }


def astro(value: Any) -> Any:
    """Astro's serialised form, written independently of the decoder under test."""
    if isinstance(value, list):
        return [1, [astro(item) for item in value]]
    if isinstance(value, dict):
        return [0, {k: astro(v) for k, v in value.items()}]
    return [0, value]


def island(tier: str, rows: list[Any], head: str) -> str:
    props = json.dumps({"tier": astro(tier), "rows": astro(rows)})
    escaped = props.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return (
        '<!doctype html><html><body><astro-island component-export="TextTokenPricingTables" '
        f'props="{escaped}" ssr client="load"><table><thead>{head}</thead><tbody>'
        "<tr><td>cut</td></tr></tbody></table></astro-island></body></html>"
    )


def test_html_columns_named_by_the_ssr_head() -> None:
    head = (
        '<tr><th></th><th colspan="3">Short context</th><th colspan="3">Long context</th></tr>'
        "<tr><th>Model</th><th>Input</th><th>Output</th><th>Cached input</th>"
        "<th>Input</th><th>Output</th><th>Cached input</th></tr>"
    )
    text = island("priority", [["gpt-z (<272K context length)", 5, 30, 0.5, 10, 45, 1]], head)
    got = parse(doc(text))[0].prices
    assert got[tok("output", "priority", "<272K")] == Decimal(30)
    assert got[tok("cached_input", "priority", ">272K")] == Decimal(1)


def test_html_rows_shorter_than_the_head_use_their_own_layout() -> None:
    head = "<tr><th>Model</th><th>Input</th><th>Cached input</th><th>Cache writes</th><th>Output</th></tr>"
    text = island("standard", [["gpt-a", 5, 0.5, 6.25, 30], ["gpt-b", 1, None, 4]], head)
    got = by_key(parse(doc(text)))
    assert got["gpt-a"].prices[tok("cache_write")] == Decimal("6.25")
    assert got["gpt-b"].prices == {tok("input"): Decimal(1), tok("output"): Decimal(4)}


# --- decoders ------------------------------------------------------------------------


def test_astro_props_decoding() -> None:
    raw = (
        '{"tier":[0,"standard"],"latestSectionLabel":[0,null],"missing":[0],'
        '"rows":[1,[[1,[[0,"gpt-4o"],[0,2.5],[0,null]]]]],'
        '"group":[0,{"model":[0,"Embedding"],"rows":[1,[]]}],'
        '"when":[3,"2026-06-27T00:00:00.000Z"],"big":[6,"12"],"inf":[11,-1],'
        '"map":[4,[[1,[[0,"a"],[0,1]]]]],"set":[5,[[0,"x"]]]}'
    )
    props = decode_props(raw)
    assert props["tier"] == "standard"
    assert props["latestSectionLabel"] is None and props["missing"] is None
    assert props["rows"] == [["gpt-4o", Decimal("2.5"), None]]
    assert props["group"] == {"model": "Embedding", "rows": []}
    assert props["when"] == "2026-06-27T00:00:00.000Z" and props["big"] == 12
    assert props["inf"] == float("-inf")
    assert props["map"] == {"a": 1} and props["set"] == ["x"]


@pytest.mark.parametrize("raw", ["not json", "[0, 1]", '{"a": [99, 1]}', '{"a": "bare"}'])
def test_astro_props_errors(raw: str) -> None:
    with pytest.raises(AstroPropsError):
        decode_props(raw)


def test_jsx_literals() -> None:
    value = parse_literal(
        """[ // comment
        ["a\\"b", 1.5e-6, -2, null, undefined, true],
        { model: "Deep research", 'rows': [], },
        pricingHtml(`x <br /> y`),
      ]"""
    )
    assert isinstance(value, list)
    first = value[0]
    assert isinstance(first, list)
    assert first[:4] == ['a"b', Decimal("1.5e-6"), Decimal(-2), None]
    assert value[1] == {"model": "Deep research", "rows": []}
    assert value[2] == JsCall("pricingHtml", ("x <br /> y",))


@pytest.mark.parametrize("text", ["[() => 1]", "[`a ${b}`]", "[foo]", "[1 2]", '["open'])
def test_jsx_literal_errors(text: str) -> None:
    with pytest.raises(JsxSyntaxError):
        parse_literal(text)


def test_component_ends_after_its_props_not_at_a_br_inside_them() -> None:
    text = """<X a="1" note={pricingHtml('one<br />two')} rows={[[1]]}
      flag />tail"""
    (component,) = find_components(text, "X")
    assert component.attrs["rows"] == [[Decimal(1)]]
    assert component.attrs["flag"] is True
    assert text[component.end :] == "tail"


# --- refusals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ("", 200, "empty"),
        ("  \n", 200, "empty"),
        (
            "<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
            '<body><div id="challenge-platform"></div></body></html>',
            403,
            "HTTP 403",
        ),
        (
            "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body></body></html>",
            200,
            "challenge",
        ),
        ("<html><body><h1>502 Bad Gateway</h1></body></html>", 502, "HTTP 502"),
        ("<!doctype html><html><body><h1>Pricing</h1><table></table></body></html>", 200, "islands"),
        ("# Pricing\n\nNothing here yet.", 200, "components"),
        (mdx(("standard", "")), 200, "no priced rows"),
        (mdx(("standard", '["gpt-x", "-", null, ""],')), 200, "no priced rows"),
        ('<TextTokenPricingTables tier="standard" rows={[["x", 1, 2, 3], () => 1]} />', 200, "unreadable"),
        ('<TextTokenPricingTables tier="standard" />', 200, "no rows prop"),
        (
            '<html><body><astro-island component-export="TextTokenPricingTables" props="{oops">'
            "</astro-island></body></html>",
            200,
            "not JSON",
        ),
    ],
)
def test_parse_errors(body: str, status: int, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse(doc(body, status))


def test_cloudflare_script_on_a_real_page_is_not_a_challenge() -> None:
    text = HTML_FIXTURE.read_text().replace(
        "</body>", '<script src="/cdn-cgi/challenge-platform/scripts/jsd/main.js"></script></body>'
    )
    assert len(parse(doc(text))) == 53


# --- contract ------------------------------------------------------------------------


def test_source_contract() -> None:
    assert isinstance(SOURCE, Source)
    assert registry.builtin("openai-pricing") is SOURCE
    assert SOURCE.urls == (
        "https://developers.openai.com/api/docs/pricing.md",
        "https://developers.openai.com/api/docs/pricing",
    )
    assert is_html(HTML_FIXTURE.read_text()) and not is_html(MD_FIXTURE.read_text())


def test_parse_is_deterministic() -> None:
    body = HTML_FIXTURE.read_bytes()
    assert parse(doc(body)) == parse(doc(body))
