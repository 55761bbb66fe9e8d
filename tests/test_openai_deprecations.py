"""Source `openai-deprecations` on trimmed real captures and hand-made variants.

Fixtures (tests/fixtures/openai_deprecations/, rebuilt by build_fixtures.py):
the 2026-06-27 Markdown twin, the 2025-11-13 rendered HTML (2025 site: bare
tables), the Markdown fixture rendered into the 2026 site's HTML shape, and
variants.md/.html for traps the captures don't contain.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from sources import registry
from sources.openai_deprecations import SOURCE, is_html, parse
from sources.openai_deprecations_cells import (
    parse_date,
    parse_model_cell,
    parse_replacement,
    slugify,
    split_heading,
)
from sources.openai_deprecations_md import _split_row
from watcher.model import COMPARED_FIELDS, NO_REPLACEMENT, Document, Observation, ParseError, Status

FIXTURES = Path(__file__).parent / "fixtures" / "openai_deprecations"
MD_2026 = "deprecations-2026-06-27.md"
HTML_2025 = "deprecations-2025-11-13.html"
HTML_2026_SITE = "deprecations-2026-site.html"
FETCHED = dt.datetime(2026, 6, 27, 12, 0, tzinfo=dt.UTC)
D = dt.date


def text_of(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def run(text: str, url: str = "fixture") -> list[Observation]:
    return parse(Document("openai-deprecations", url, text.encode("utf-8"), FETCHED))


def by_key(observations: list[Observation]) -> dict[str, Observation]:
    keyed = {o.key: o for o in observations}
    assert len(keyed) == len(observations), "duplicate keys"
    return keyed


def meaning(observations: list[Observation]) -> dict[str, tuple[object, ...]]:
    """What the diff compares, plus identity: display fields (section, url) left out."""
    return {
        o.key: (o.model, o.is_model, *(getattr(o, f) for f in COMPARED_FIELDS)) for o in observations
    }


@pytest.fixture(scope="module")
def md() -> dict[str, Observation]:
    return by_key(run(text_of(MD_2026)))


@pytest.fixture(scope="module")
def html_2025() -> dict[str, Observation]:
    return by_key(run(text_of(HTML_2025)))


# --- contract and acceptance figures -------------------------------------------


def test_source_contract() -> None:
    assert SOURCE.name == "openai-deprecations"
    assert SOURCE.urls == (
        "https://developers.openai.com/api/docs/deprecations.md",
        "https://developers.openai.com/api/docs/deprecations",
    )
    assert SOURCE.parser_version == "2"
    assert registry.builtin("openai-deprecations") is SOURCE


def test_counts_on_real_captures() -> None:
    # 2026-06-27: 132 model rows and 4 products (their 10 dated updates are one row each).
    assert len(run(text_of(MD_2026))) == 136
    assert len(run(text_of(HTML_2025))) == 76
    assert len(run(text_of(HTML_2026_SITE))) == 136


def test_every_row_is_openai_and_deprecated(md: dict[str, Observation]) -> None:
    assert {o.provider for o in md.values()} == {"openai"}
    assert {o.status for o in md.values()} == {Status.DEPRECATED}
    assert all(o.prices == {} and o.availability is None for o in md.values())


def test_pure_and_independent_of_the_document_url() -> None:
    text = text_of(MD_2026)
    assert run(text, url="/tmp/some/file.md") == run(text, url=SOURCE.urls[0]) == run(text)


def test_sora_section(md: dict[str, Observation]) -> None:
    sora = [o for o in md.values() if o.announced_on == D(2026, 3, 24)]
    assert [(o.model, o.is_model) for o in sora] == [
        ("Videos API", False),
        ("sora-2", True),
        ("sora-2-pro", True),
        ("sora-2-2025-10-06", True),
        ("sora-2-2025-12-08", True),
        ("sora-2-pro-2025-10-06", True),
    ]
    assert {(o.shutdown_on, o.shutdown_qualifier, o.replacement) for o in sora} == {
        (D(2026, 9, 24), None, NO_REPLACEMENT)
    }
    assert md["2026-03-24/sora-2"].url == (
        "https://developers.openai.com/api/docs/deprecations"
        "#2026-03-24-sora-2-video-generation-models-and-videos-api"
    )
    assert md["2026-03-24/sora-2"].section == "2026-03-24: Sora 2 video generation models and Videos API"


# --- the two renderings ----------------------------------------------------------


def test_markdown_and_2026_site_html_give_identical_observations() -> None:
    html = text_of(HTML_2026_SITE)
    assert 'class="anchor-heading-wrapper"' in html and 'class="overflow-x-auto' in html
    assert "\\|" not in html
    assert run(html) == run(text_of(MD_2026))


def test_variants_identical_in_markdown_and_html() -> None:
    assert run(text_of("variants.html")) == run(text_of("variants.md"))


def test_2025_html_shape(html_2025: dict[str, Observation]) -> None:
    o = html_2025["2025-09-26/gpt-4-0125-preview"]
    assert o.aliases == ("gpt-4-turbo-preview", "gpt-4-turbo-preview-completions")
    assert o.shutdown_on == D(2026, 3, 26)  # written with U+2011 hyphens
    assert o.replacement == ("gpt-5", "gpt-4.1")
    assert html_2025["2025-09-15/OpenAI-Beta: realtime=v1"].replacement == ("Realtime API",)
    assert html_2025["2022-06-03//v1/engines"].replacement == ("/v1/models",)
    assert html_2025["2023-06-13/gpt-4-0314"].shutdown_qualifier == "earliest"


def test_html_headings_lose_their_svg_icon(html_2025: dict[str, Observation]) -> None:
    assert html_2025["2025-04-14/gpt-4.5-preview"].section == "2025-04-14: GPT-4.5-preview"


def test_html_heading_decoration_is_not_text() -> None:
    html = (
        '<div><h3 id="x">2026-03-24: Sora <a aria-hidden="true" href="#x">#</a><svg><path d=""/></svg></h3>'
        "<table><tr><th>Shutdown date</th><th>Model / system</th><th>Recommended replacement</th></tr>"
        "<tr><td>2026-09-24</td><td><code>sora-2</code></td><td>---</td></tr></table></div>"
    )
    [o] = run(html)
    assert (o.section, o.key, o.replacement) == ("2026-03-24: Sora", "2026-03-24/sora-2", NO_REPLACEMENT)
    assert o.url == "https://developers.openai.com/api/docs/deprecations#2026-03-24-sora"


def test_our_slug_matches_the_sites_ids() -> None:
    tree = LexborHTMLParser(text_of(HTML_2025))
    headings = tree.css("h3.anchor-heading, h4.anchor-heading")
    assert len(headings) == 18 + 6
    for h in headings:
        assert slugify(h.text()) == h.attributes["id"]


def test_rows_shared_by_both_captures_keep_their_keys(
    md: dict[str, Observation], html_2025: dict[str, Observation]
) -> None:
    # Every Nov 2025 row ("Deprecation history", HTML) is still there in June 2026
    # (Markdown, "Upcoming"/"Past") under the same key.
    assert set(html_2025) <= set(md)
    assert md["2025-11-17/codex-mini-latest"].shutdown_on == D(2026, 2, 12)


# --- headers, tables, sections ----------------------------------------------------

HEADERS = [
    ("Shutdown date", "Model / system", "Recommended replacement"),
    ("Shutdown date", "Model snapshot", "Substitute model"),
    ("Shutdown date", "Model snapshot", "Recommended replacement base model"),
    ("Shutdown date", "Model family / snapshot", "Recommended replacement"),
    ("Shutdown date", "Deprecated model", "Deprecated model price", "Recommended replacement"),
    ("Shutdown date", "Legacy model", "Legacy model price", "Recommended replacement"),
    ("Shutdown date", "Deprecated model", "Training price", "Usage price", "Recommended replacement"),
    ("Shutdown date", "System", "Recommended replacement"),
    ("Recommended replacement", "Deprecated model price", "Model / system", "Shutdown date"),
]


@pytest.mark.parametrize("header", HEADERS, ids=lambda h: " | ".join(h))
def test_columns_found_by_header_text(header: tuple[str, ...]) -> None:
    values = {"shutdown": "2026-07-23", "price": "$1.00 / 1M tokens", "replacement": "`gpt-5.5`"}

    def cell(name: str) -> str:
        low = name.lower()
        if "replacement" in low or "substitute" in low:
            return values["replacement"]
        if "price" in low:
            return values["price"]
        return values["shutdown"] if "date" in low else "`gpt-old`"

    table = "\n".join(
        [
            "### 2026-04-22: Test",
            "",
            "| " + " | ".join(header) + " |",
            "|" + "---|" * len(header),
            "| " + " | ".join(cell(h) for h in header) + " |",
            "",
        ]
    )
    [o] = run(table)
    assert (o.key, o.model, o.shutdown_on, o.replacement) == (
        "2026-04-22/gpt-old",
        "gpt-old",
        D(2026, 7, 23),
        ("gpt-5.5",),
    )


def test_date_update_tables_are_one_row_per_product(md: dict[str, Observation]) -> None:
    products = {o.model: o for o in md.values() if o.milestones or (o.model[0].isupper() and "API" not in o.model
                and not o.model.startswith("OpenAI-Beta"))}
    assert {m: (o.key, o.announced_on, o.shutdown_on) for m, o in products.items()} == {
        "Reusable prompts": ("2026-06-03/reusable-prompts", D(2026, 6, 3), D(2026, 11, 30)),
        "Evals platform": ("2026-06-03/evals-platform", D(2026, 6, 3), D(2026, 11, 30)),
        "Agent Builder": ("2026-06-03/agent-builder", D(2026, 6, 3), D(2026, 11, 30)),
        "Update to OpenAI’s self-serve fine-tuning": (
            "update-to-openais-self-serve-fine-tuning/update-to-openais-self-serve-fine-tuning", None,
            D(2027, 1, 6)),
    }
    assert all(not o.is_model and o.replacement is None for o in products.values())
    # The other dates are milestones, as worded; the announcement is never the shutdown.
    assert products["Evals platform"].milestones == (
        "2026-06-03: Deprecation announced for the Evals platform.",
        "2026-10-31: Existing evals become read-only.",
    )
    assert products["Reusable prompts"].milestones == (
        "2026-06-03: Deprecation announced and prompt creation de-emphasized in the platform.",)
    # Fine-tuning: closed to some organisations on 2026-07-02 ("no longer available to …"),
    # to every customer on 2027-01-06: the last end is the shutdown.
    assert [m[:12] for m in products["Update to OpenAI’s self-serve fine-tuning"].milestones] == [
        "2026-05-07: ", "2026-07-02: "]


@pytest.mark.parametrize(
    ("updates", "shutdown"),
    [
        (("Deprecation announced.", "Existing evals become read-only."), None),  # no end stated: none
        (("Deprecation announced.", "The API is scheduled to shut down."), D(2026, 11, 30)),
        (("Deprecation announced.", "The dashboard will be disabled."), D(2026, 11, 30)),
        (("Deprecation announced.", "Agent Builder is no longer available."), D(2026, 11, 30)),
        (("Shutdown of new sign-ups.", "Read-only."), D(2026, 6, 3)),
    ],
)
def test_a_products_shutdown_is_the_date_that_says_it_ends(updates: tuple[str, str], shutdown: D | None) -> None:
    text = ("### 2026-06-03: Widget\n\n| Date | Update |\n| --- | --- |\n"
            f"| June 3, 2026 | {updates[0]} |\n| Nov 30, 2026 | {updates[1]} |\n")
    [row] = run(text)
    assert (row.key, row.model, row.shutdown_on) == ("2026-06-03/widget", "Widget", shutdown)
    assert len(row.milestones) == (1 if shutdown else 2)


def test_undated_heading(md: dict[str, Observation]) -> None:
    rows = [o for o in md.values() if o.section == "Update to OpenAI’s self-serve fine-tuning"]
    assert [o.key for o in rows] == ["update-to-openais-self-serve-fine-tuning/update-to-openais-self-serve-fine-tuning"]
    assert {o.announced_on for o in rows} == {None}
    assert rows[0].url.endswith("#update-to-openais-self-serve-fine-tuning")  # type: ignore[union-attr]
    assert split_heading("Batch changes: what to expect") == (None, "Batch changes: what to expect")
    assert split_heading("2026\u201103\u201124: Sora") == (D(2026, 3, 24), "Sora")


def test_two_tables_in_one_section(md: dict[str, Observation]) -> None:
    legacy = [o for o in md.values() if o.announced_on == D(2026, 4, 22)]
    assert len(legacy) == 32
    assert md["2026-04-22/ft-gpt-4"].replacement == ("gpt-5.5",)  # "… base model" column
    assert len([o for o in md.values() if o.announced_on == D(2023, 6, 13)]) == 3


def test_h4_subsections(md: dict[str, Observation]) -> None:
    rows = [o for o in md.values() if o.announced_on == D(2023, 7, 6)]
    assert len(rows) == 6 + 5 + 3 + 4 + 16
    assert md["2023-07-06//v1/edits"].section == "2023-07-06: GPT and embeddings › Edit models & endpoint"
    assert {o.url for o in rows} == {
        "https://developers.openai.com/api/docs/deprecations#2023-07-06-gpt-and-embeddings"
    }


def test_empty_table_section_and_tables_outside_announcements() -> None:
    obs = run(text_of("variants.md"))
    assert len(obs) == 8
    assert not any(o.announced_on == D(2026, 6, 30) for o in obs)  # header-only table
    assert not any(o.model in ("not-a-row", "in-a-code-block") for o in obs)


# --- cells ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-23", (D(2026, 7, 23), None)),
        ("2026\u201103\u201126", (D(2026, 3, 26), None)),
        ("Aug 10, 2026", (D(2026, 8, 10), None)),
        ("Dec 1, 2026", (D(2026, 12, 1), None)),
        ("July 23, 2026", (D(2026, 7, 23), None)),
        ("Sept 3, 2026", (D(2026, 9, 3), None)),
        ("23 Oct 2026", (D(2026, 10, 23), None)),
        ("August 26th, 2026", (D(2026, 8, 26), None)),
        ("at earliest 2024-06-13", (D(2024, 6, 13), "earliest")),
        ("2024-06-13 (at the earliest)", (D(2024, 6, 13), "earliest")),
        ("June 2026", (D(2026, 6, 1), "month")),
        ("Earliest June 2026", (D(2026, 6, 1), "earliest-month")),
        ("Q3 2026", (None, None)),
        ("2026-02-30", (None, None)),
        ("", (None, None)),
    ],
)
def test_dates(text: str, expected: tuple[dt.date | None, str | None]) -> None:
    assert parse_date(text) == expected


def test_date_spellings_in_the_capture(md: dict[str, Observation]) -> None:
    assert md["2025-09-26/gpt-4-1106-preview"].shutdown_on == D(2026, 3, 26)  # U+2011
    assert md["2026-05-08/gpt-5.2-chat-latest"].shutdown_on == D(2026, 8, 10)
    assert md["2026-06-02/gpt-image-1.5"].shutdown_on == D(2026, 12, 1)
    assert md["2026-06-03/reusable-prompts"].shutdown_on == D(2026, 11, 30)
    o = md["2023-06-13/gpt-4-0314"]
    assert (o.shutdown_on, o.shutdown_qualifier) == (D(2024, 6, 13), "earliest")


def test_markdown_row_split_on_unescaped_pipes_only() -> None:
    row = "| 2026-10-23 | `gpt-4-0613` \\| `gpt-4`, `gpt-4-0613-completions` | `gpt-5.5` |"
    assert _split_row(row) == ["2026-10-23", "`gpt-4-0613` | `gpt-4`, `gpt-4-0613-completions`", "`gpt-5.5`"]


def test_aliases_after_a_pipe(md: dict[str, Observation]) -> None:
    o = md["2026-04-22/gpt-4-0613"]
    assert (o.model, o.aliases) == ("gpt-4-0613", ("gpt-4", "gpt-4-0613-completions", "gpt-4-completions"))
    assert md["2026-04-22/computer-use-preview-2025-03-11"].aliases == ("computer-use-preview",)


@pytest.mark.parametrize(
    "cell",
    [
        "`gpt-4-0125-preview` (including `gpt-4-turbo-preview` and `gpt-4-turbo-preview-completions`,"
        " which point to this snapshot)",
        "gpt-4-0125-preview (including gpt-4-turbo-preview and gpt-4-turbo-preview-completions,"
        " which point to this snapshot)",
    ],
)
def test_aliases_in_prose(cell: str) -> None:
    got = parse_model_cell(cell)
    assert got is not None
    assert (got.model, got.aliases, got.is_model) == (
        "gpt-4-0125-preview",
        ("gpt-4-turbo-preview", "gpt-4-turbo-preview-completions"),
        True,
    )


@pytest.mark.parametrize(
    ("cell", "model", "is_model"),
    [
        ("Videos API", "Videos API", False),
        ("Assistants API", "Assistants API", False),
        ("OpenAI-Beta: realtime=v1", "OpenAI-Beta: realtime=v1", False),
        ("`/v1/edits`", "/v1/edits", False),
        ("New fine-tuning training on `babbage-002`", "babbage-002", False),  # scoped: see below
        ("gpt-4o-realtime-preview-2024-10-01", "gpt-4o-realtime-preview-2024-10-01", True),
        ("`ada`", "ada", True),
        ("", None, None),
    ],
)
def test_model_cells(cell: str, model: str | None, is_model: bool | None) -> None:
    got = parse_model_cell(cell)
    assert ((got.model, got.is_model) if got else (None, None)) == (model, is_model)


@pytest.mark.parametrize(
    ("cell", "model", "scope"),
    [
        ("New fine-tuning training on `babbage-002`", "babbage-002", "new fine-tuning training"),
        ("Batch API for `gpt-4o`", "gpt-4o", "batch API"),
        ("`gpt-4o` via the Assistants API", "gpt-4o", "via the Assistants API"),
        ("`gpt-4o`", "gpt-4o", None),  # the model itself
        ("`/v1/edits`", "/v1/edits", None),  # an endpoint, not a model in a scope
        ("Use `gpt-4o` and `gpt-5`", "Use gpt-4o and gpt-5", None),  # two ids: not one model's scope
    ],
)
def test_scoped_cells_name_their_model(cell: str, model: str, scope: str | None) -> None:
    got = parse_model_cell(cell)
    assert got is not None and (got.model, got.scope) == (model, scope)


@pytest.mark.parametrize("capture", [MD_2026, HTML_2025])
def test_scoped_rows_are_about_their_model_but_not_its_shutdown(capture: str) -> None:
    rows = by_key(run(text_of(capture)))
    scoped = rows["2024-08-29/babbage-002@new-fine-tuning-training"]
    assert (scoped.model, scoped.source_id, scoped.is_model, scoped.shutdown_on, scoped.replacement) == (
        "babbage-002", "New fine-tuning training on babbage-002", False, D(2024, 10, 28), ("gpt-4o-mini",))
    assert scoped.section is not None and scoped.section.endswith("\u203a new fine-tuning training")
    assert rows["2024-08-29/davinci-002@new-fine-tuning-training"].model == "davinci-002"


def test_non_model_rows(md: dict[str, Observation]) -> None:
    non_models = {o.model for o in md.values() if not o.is_model}
    assert {
        "Videos API",
        "Assistants API",
        "OpenAI-Beta: realtime=v1",
        "OpenAI-Beta: assistants=v1",
        "/v1/edits",
        "/v1/fine-tunes",
        "babbage-002",  # new fine-tuning training on it, not the model
        "Reusable prompts",
        "Evals platform",
        "Agent Builder",
    } <= non_models
    assert not any(re.fullmatch(r"(gpt|o\d|sora|dall|text|code)-?.*", m) for m in non_models if " " not in m)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("", None),
        ("---", NO_REPLACEMENT),
        ("`gpt-5` or `gpt-4.1*`", ("gpt-5", "gpt-4.1")),
        ("`gpt-image-2`, `gpt-image-1`, or `gpt-image-1-mini`", ("gpt-image-2", "gpt-image-1", "gpt-image-1-mini")),
        ("`davinci-002`, `gpt-3.5-turbo`, `gpt-4o`", ("davinci-002", "gpt-3.5-turbo", "gpt-4o")),
        ("`gpt-5.6-sol` (`reasoning.mode: pro`)", ("gpt-5.6-sol (reasoning.mode: pro)",)),
        ("Realtime API", ("Realtime API",)),
        ("Responses API and Conversations API", ("Responses API", "Conversations API")),
        ("View transition guide", ("View transition guide",)),
    ],
)
def test_replacement_cells(cell: str, expected: tuple[str, ...] | None) -> None:
    assert parse_replacement(cell) == expected


def test_replacements_end_to_end(md: dict[str, Observation]) -> None:
    variants = by_key(run(text_of("variants.md")))
    assert variants["2026-07-01/gpt-5.5-sol-preview"].replacement == ("gpt-5.6-sol (reasoning.mode: pro)",)
    assert variants["2026-07-01/gpt-5.5-sol-mini-preview"].replacement == ("gpt-5.6-sol",)  # link text
    assert variants["2026-07-01/gpt-5.5-sol"].replacement is None  # empty cell: not stated
    assert variants["2026-07-01/gpt-5.5-sol-2026-01-15"].replacement == (
        "gpt-5.6-sol",
        "gpt-5.6-sol-mini",
        "Realtime API",
    )
    assert md["2022-06-03//v1/engines"].replacement == ("/v1/models",)  # Markdown link
    assert md["2025-09-26/gpt-4-0314"].replacement == ("gpt-5", "gpt-4.1")


def test_variant_dates_and_swapped_columns() -> None:
    variants = by_key(run(text_of("variants.md")))
    sol = variants["2026-07-01/gpt-5.5-sol"]
    assert (sol.shutdown_on, sol.shutdown_qualifier, sol.aliases) == (
        D(2026, 10, 1),
        "earliest-month",
        ("gpt-5.5-sol-latest",),
    )
    assert variants["2026-07-01/gpt-5.5-sol-preview"].shutdown_on == D(2026, 7, 23)
    old = variants["2024-02-01//v1/old-thing"]
    assert (old.shutdown_on, old.shutdown_qualifier, old.is_model) == (D(2024, 6, 13), "earliest", False)


# --- keys ------------------------------------------------------------------------------


def test_model_in_two_announcements(md: dict[str, Observation]) -> None:
    first, second = md["2025-09-26/gpt-4-1106-preview"], md["2026-04-22/gpt-4-1106-preview"]
    assert (first.announced_on, first.shutdown_on) == (D(2025, 9, 26), D(2026, 3, 26))
    assert (second.announced_on, second.shutdown_on) == (D(2026, 4, 22), D(2026, 10, 23))


def test_duplicate_key_disambiguated_by_subsection(md: dict[str, Observation]) -> None:
    base, tuning = md["2023-07-06/ada#base-gpt-models"], md["2023-07-06/ada#fine-tuning-gpt-models"]
    assert base.model == tuning.model == "ada"
    assert md["2023-07-06/davinci#fine-tuning-gpt-models"].replacement == ("davinci-002", "gpt-3.5-turbo", "gpt-4o")
    assert "2023-07-06/ada" not in md


def test_duplicate_key_without_subsection_gets_ordinals() -> None:
    variants = by_key(run(text_of("variants.md")))
    assert variants["2026-06-15/gpt-dup#1"].replacement == NO_REPLACEMENT
    assert variants["2026-06-15/gpt-dup#2"].replacement == ("gpt-next",)
    batch = variants["batch-changes-what-to-expect/batch-changes-what-to-expect"]  # one product, two steps
    assert (batch.shutdown_on, batch.milestones) == (
        None, ("2026-08-01: Batch discount ends.", "2026-08-01: Batch queue limits halve."))


def test_section_split_keeps_date_prefix_and_keys() -> None:
    variants = by_key(run(text_of("variants.md")))
    assert {k for k in variants if k.startswith("2026-07-01/")} == {
        "2026-07-01/gpt-5.5-sol-preview",
        "2026-07-01/gpt-5.5-sol-mini-preview",
        "2026-07-01/gpt-5.5-sol",
        "2026-07-01/gpt-5.5-sol-2026-01-15",
    }
    # Splitting the real 2026-04-22 section by shutdown month changes no key or value.
    text = text_of(MD_2026)
    heading = "### 2026-04-22: Legacy GPT model snapshots"
    first_october = "| 2026-10-23    | `gpt-3.5-turbo-0125`"
    split = text.replace(heading, heading + " (July 2026 shutdown)").replace(
        first_october,
        "\n### 2026-04-22: Legacy GPT model snapshots (October 2026 shutdown)\n\n"
        "| Shutdown date | Model snapshot | Substitute model |\n| --- | --- | --- |\n" + first_october,
        1,
    )
    assert split != text
    assert meaning(run(split)) == meaning(run(text))


# --- stability: what is not a change -------------------------------------------------


def _sections(text: str) -> list[str]:
    return re.split(r"(?m)^(?=### )", text)


def test_section_moved_from_upcoming_to_past() -> None:
    text = text_of(MD_2026)
    parts = _sections(text)
    sora = next(p for p in parts if p.startswith("### 2026-03-24"))
    moved = text.replace(sora, "").replace("## Past deprecations\n", "## Past deprecations\n\n" + sora)
    assert moved != text
    assert by_key(run(moved)) == by_key(run(text))


def test_single_deprecation_history_heading() -> None:
    text = text_of(MD_2026)
    old_style = text.replace("## Upcoming deprecations", "## Deprecation history").replace(
        "## Past deprecations\n", ""
    )
    assert by_key(run(old_style)) == by_key(run(text))


def test_backticks_do_not_matter() -> None:
    text = text_of(MD_2026)
    assert run(text.replace("`", "")) == run(text)
    with_ticks = re.sub(r"\| (gpt-4o-[a-z0-9-]+) ", r"| `\1` ", text)
    assert with_ticks != text
    assert run(with_ticks) == run(text)


def test_whitespace_and_row_order_do_not_matter() -> None:
    text = text_of(MD_2026)
    squeezed = re.sub(r" *\| *", "|", text)
    assert squeezed != text
    assert run(squeezed) == run(text)
    # Reverse every table body (the rows after each delimiter line).
    tables = re.split(r"(\n\| -[^\n]*\n)((?:\|[^\n]*\n)+)", text)
    flipped = "".join(
        "".join(reversed(chunk.splitlines(keepends=True))) if i % 3 == 2 else chunk for i, chunk in enumerate(tables)
    )
    assert flipped != text
    assert by_key(run(flipped)) == by_key(run(text))


def test_date_rewrites_do_not_matter() -> None:
    text = text_of(MD_2026)
    rewritten = text.replace("| 2026-07-23    |", "| July 23, 2026 |").replace("2026\u201103\u201126", "2026-03-26")
    assert rewritten != text
    assert run(rewritten) == run(text)


# --- not a deprecations page ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "empty document"),
        ("  \n\t", "empty document"),
        ("404: Not Found", "Markdown: no deprecation tables"),
        ("# Deprecations\n\nNothing here.\n", "Markdown: no deprecation tables"),
    ],
)
def test_not_a_page_raises(body: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        run(body)


def test_cloudflare_challenge_raises() -> None:
    with pytest.raises(ParseError, match="Cloudflare"):
        run(text_of("cloudflare-challenge.html"))


def test_error_page_raises() -> None:
    with pytest.raises(ParseError, match=r"HTML: no deprecation tables .*1 tables"):
        run(text_of("error-page.html"))


def test_only_empty_tables_raises() -> None:
    text = "### 2026-06-30: Nothing\n\n| Shutdown date | Model / system | Recommended replacement |\n| - | - | - |\n"
    with pytest.raises(ParseError, match="without rows"):
        run(text)


def test_http_status_in_reason() -> None:
    doc = Document("openai-deprecations", "u", b"<html><body>Bad gateway</body></html>", FETCHED, http_status=502)
    with pytest.raises(ParseError, match="HTTP 502"):
        parse(doc)


def test_format_detection() -> None:
    assert is_html(text_of(HTML_2025)) and is_html(text_of(HTML_2026_SITE))
    assert is_html("  \n<div><table></table></div>")
    assert not is_html(text_of(MD_2026))


def test_observations_are_plain_values(md: dict[str, Observation]) -> None:
    o = md["2026-04-22/gpt-4-0613"]
    assert dataclasses.replace(o) == o
    assert o.source_id is None and o.distribution is None
