"""First-party lifecycle pages (Anthropic, Gemini API, Vertex AI, Azure, Bedrock, Mistral):
each parsed into the same observations, vocabulary mapped, date precision kept.
Fixtures: tests/fixtures/providers, trimmed from ../shared/reference/providers."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from sources import (
    anthropic_deprecations,
    azure_retirements,
    bedrock_lifecycle,
    gemini_deprecations,
    mistral_models,
    vertex_model_versions,
)
from sources.blocks import blocks
from sources.cells import parse_replacement
from sources.dates import is_no_date, parse_date
from sources.lifecycle_words import status_of
from sources.registry import builtin, reference_sources
from tests.support import FIXTURES
from watcher.model import NO_REPLACEMENT, Document, Observation, ParseError, Status

PROVIDERS = FIXTURES / "providers"
D = dt.date


def doc(name: str, body: str | None = None) -> Document:
    data = body.encode() if body is not None else (PROVIDERS / name).read_bytes()
    return Document(source="t", url=f"http://127.0.0.1/{name}", body=data, fetched_at=dt.datetime(2026, 7, 1, tzinfo=dt.UTC))


def by_key(observations: list[Observation]) -> dict[str, Observation]:
    keys = [o.key for o in observations]
    assert len(keys) == len(set(keys)), "keys are unique"
    return {o.key: o for o in observations}


# --- the neutral helpers: every date form and word ------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-07-23", (D(2026, 7, 23), None)),
    ("2026\u201103\u201126", (D(2026, 3, 26), None)),
    ("2025/06/16", (D(2025, 6, 16), None)),
    ("Aug 10, 2026", (D(2026, 8, 10), None)),
    ("July 23, 2026", (D(2026, 7, 23), None)),
    ("June 2026", (D(2026, 6, 1), "month")),
    ("Earliest June 2026", (D(2026, 6, 1), "earliest-month")),
    ("Earliest June 15, 2026", (D(2026, 6, 15), "earliest")),
    ("at earliest 2024-06-13", (D(2024, 6, 13), "earliest")),
    ("May 7, 2027 or later", (D(2027, 5, 7), "earliest")),
    ("No sooner than May 20, 2028", (D(2028, 5, 20), "earliest")),
    ("Not sooner than February 5, 2027", (D(2027, 2, 5), "earliest")),
    ("No earlier than 2027-04-01", (D(2027, 4, 1), "earliest")),
    ("2026-10-14 (tentative)", (D(2026, 10, 14), "tentative")),
    ("No shutdown date announced", (None, None)),
    ("soon", (None, None)),
])
def test_date_forms_keep_their_precision(text: str, expected: tuple[dt.date | None, str | None]) -> None:
    assert parse_date(text) == expected


def test_a_tentative_column_marks_exact_dates_only() -> None:
    assert parse_date("2026-10-14", tentative=True) == (D(2026, 10, 14), "tentative")
    assert parse_date("May 7, 2027 or later", tentative=True) == (D(2027, 5, 7), "earliest")


@pytest.mark.parametrize("text", ["No shutdown date announced", "No retirement date announced", "\u2014", "N/A", ""])
def test_stated_absence_of_a_date_is_not_unreadable(text: str) -> None:
    assert is_no_date(text)


def test_unreadable_date_is_not_an_absence() -> None:
    assert not is_no_date("Q3 sometime")


@pytest.mark.parametrize(("word", "status"), [
    ("Active", Status.ACTIVE), ("GA", Status.ACTIVE), ("Preview", Status.PREVIEW), ("Legacy", Status.LEGACY),
    ("Deprecated", Status.DEPRECATED), ("Retired", Status.RETIRED), ("EOL", Status.RETIRED),
    ("deprecated", Status.DEPRECATED), ("Sparkling", None),
])
def test_lifecycle_vocabulary(word: str, status: Status | None) -> None:
    assert status_of(word) is status


@pytest.mark.parametrize(("cell", "expected"), [
    ("`claude-opus-4-1`", ("claude-opus-4-1",)),
    ("\u2014", NO_REPLACEMENT),
    ("---", NO_REPLACEMENT),
    ("", None),
    ("`a` or `b`", ("a", "b")),
    ("`veo-3.1-generate-preview` or the GA models on the Gemini Enterprise Agent Platform",
     ("veo-3.1-generate-preview", "the GA models on the Gemini Enterprise Agent Platform")),
    ("Gemini 3.1 Flash-Lite or Gemma 4", ("Gemini 3.1 Flash-Lite", "Gemma 4")),
])
def test_replacement_cells(cell: str, expected: tuple[str, ...] | None) -> None:
    assert parse_replacement(cell) == expected


def test_html_tables_repeat_rowspan_cells_and_drop_footnote_marks() -> None:
    html = ("<table><tr><th>A</th><th>B</th><th>C</th></tr>"
            "<tr><td rowspan='2'>x</td><td>1<sup>1</sup></td><td>2</td></tr><tr><td>3</td><td>4</td></tr>"
            "<tr><td colspan='3'>Preview models</td></tr></table>")
    (table,) = blocks(html)
    assert table.rows == (("x", "1", "2"), ("x", "3", "4"), ("Preview models", "", ""))  # type: ignore[union-attr]


def test_markdown_tables_after_a_comment_and_footnotes() -> None:
    md = "<!-- note -->\n### T\n| Model | Date |\n|---|---|\n| `m` | No earlier than 2027-04-01<sup>1</sup> |\n"
    _heading, table = blocks(md)
    assert table.rows == (("`m`", "No earlier than 2027-04-01"),)  # type: ignore[union-attr]


# --- Anthropic ---------------------------------------------------------------------------


def test_anthropic_status_table_announcements_and_distributions() -> None:
    rows = by_key(anthropic_deprecations.parse(doc("anthropic-deprecations.html")))
    assert len(rows) == 20
    opus3 = rows["status/claude-3-opus-20240229"]
    assert (opus3.provider, opus3.status, opus3.announced_on, opus3.shutdown_on, opus3.shutdown_qualifier) == (
        "anthropic", Status.RETIRED, D(2025, 6, 30), D(2026, 1, 5), None)
    sonnet4 = rows["status/claude-sonnet-4-20250514"]
    assert (sonnet4.status, sonnet4.shutdown_on, sonnet4.shutdown_qualifier) == (Status.DEPRECATED, D(2026, 6, 15), "tentative")
    assert rows["status/claude-sonnet-4-5-20250929"].status is Status.LEGACY
    active = rows["status/claude-opus-4-6"]
    assert (active.status, active.shutdown_on, active.shutdown_qualifier) == (Status.ACTIVE, D(2027, 2, 5), "earliest")
    announced = rows["2025-06-30/claude-3-opus-20240229"]
    assert (announced.status, announced.announced_on, announced.shutdown_on, announced.replacement) == (
        Status.DEPRECATED, D(2025, 6, 30), D(2026, 1, 5), ("claude-opus-4-1",))
    assert announced.distribution is None and announced.section == "2025-06-30: Claude Opus 3 model"
    bedrock = rows["bedrock/anthropic.claude-3-opus-20240229-v1:0"]
    assert (bedrock.provider, bedrock.model, bedrock.distribution, bedrock.shutdown_on) == (
        "anthropic", "claude-3-opus-20240229", "bedrock", D(2026, 1, 15))
    vertex = rows["vertex_ai/claude-3-opus@20240229"]
    assert (vertex.model, vertex.distribution, vertex.shutdown_on) == ("claude-3-opus-20240229", "vertex_ai", D(2026, 2, 5))


# --- Gemini API ----------------------------------------------------------------------------


def test_gemini_families_preview_rows_and_earliest_dates() -> None:
    rows = by_key(gemini_deprecations.parse(doc("google-deprecations.html")))
    assert len(rows) == 64
    pro = rows["gemini-2.5-pro"]
    assert (pro.provider, pro.status, pro.shutdown_on, pro.shutdown_qualifier, pro.replacement) == (
        "google", Status.ACTIVE, D(2026, 10, 16), "earliest", ("gemini-3.1-pro-preview",))
    # Rows after a family's "Preview models" row are previews, whatever their id says.
    assert rows["gemini-2.0-flash-lite-preview"].status is Status.PREVIEW
    assert rows["embedding-gecko-001"].status is Status.PREVIEW
    assert rows["gemini-2.0-flash-live-001"].status is Status.ACTIVE
    undated = rows["gemini-3.6-flash"]
    assert (undated.shutdown_on, undated.shutdown_qualifier, undated.replacement) == (None, None, None)
    assert rows["veo-3.0-generate-001"].replacement == (
        "veo-3.1-generate-preview", "the GA models on the Gemini Enterprise Agent Platform")


def test_gemini_dates_are_exact_when_the_page_does_not_say_earliest() -> None:
    text = (PROVIDERS / "google-deprecations.html").read_text().replace("earliest possible dates", "dates")
    rows = by_key(gemini_deprecations.parse(doc("g.html", text)))
    assert (rows["gemini-2.5-pro"].shutdown_on, rows["gemini-2.5-pro"].shutdown_qualifier) == (D(2026, 10, 16), None)
    earliest = text.replace("<td>October 16, 2026</td>", "<td>Earliest October 2026</td>", 1)
    assert by_key(gemini_deprecations.parse(doc("g.html", earliest)))["gemini-2.5-pro"].shutdown_qualifier == "earliest-month"


# --- Vertex AI -----------------------------------------------------------------------------


def test_vertex_rows_are_a_distribution_google_and_partner_models_alike() -> None:
    rows = by_key(vertex_model_versions.parse(doc("vertex-model-versions.html")))
    assert len(rows) == 41
    assert {o.distribution for o in rows.values()} == {"vertex_ai"}
    flash = rows["gemini-3.5-flash"]
    assert (flash.provider, flash.status, flash.shutdown_on, flash.shutdown_qualifier) == (
        "google", Status.ACTIVE, D(2027, 5, 19), "earliest")
    assert (rows["gemini-embedding-001"].shutdown_on, rows["gemini-embedding-001"].shutdown_qualifier) == (
        D(2028, 5, 20), "earliest")
    assert rows["gemini-3.6-flash"].shutdown_on is None
    assert rows["gemini-1.5-pro-001"].status is Status.RETIRED  # the "Recommended upgrade" table
    assert rows["text-embedding-005"].provider == "google"
    claude = rows["claude-sonnet-4-20250514"]
    assert (claude.provider, claude.model, claude.shutdown_on) == ("anthropic", "claude-sonnet-4-20250514", D(2026, 10, 14))


# --- Azure -----------------------------------------------------------------------------------


def test_azure_schedule_from_the_microsoftdocs_markdown() -> None:
    rows = by_key(azure_retirements.parse(doc("azure-retirement-schedule.md")))
    assert len(rows) == 18
    assert {o.distribution for o in rows.values()} == {"azure"}
    sora = rows["sora-2@2025-10-06"]
    assert (sora.provider, sora.model, sora.status, sora.shutdown_on, sora.replacement) == (
        "openai", "sora-2", Status.PREVIEW, D(2026, 7, 15), ("sora-2 (2025-12-08)",))
    assert rows["gpt-5@2025-08-07"].status is Status.ACTIVE  # GA
    assert rows["gpt-5-chat@2025-08-07"].status is Status.RETIRED
    assert rows["gpt-4.1@2025-04-14"].status is Status.DEPRECATED
    assert rows["gpt-4.1@2025-04-14"].replacement == NO_REPLACEMENT  # "—"
    assert rows["DeepSeek-R1@1"].status is Status.LEGACY and rows["DeepSeek-R1@1"].provider == "deepseek"
    assert rows["DeepSeek-V3.2@1"].shutdown_on is None
    assert rows["claude-opus-4-1"].provider == "anthropic"
    tuned = rows["ft/gpt-4o@2024-08-06"]
    assert (tuned.shutdown_on, tuned.availability) == (D(2027, 10, 1), "training retires 2027-04-01 (earliest)")


# --- Bedrock ---------------------------------------------------------------------------------


def test_bedrock_legacy_eol_and_extended_access() -> None:
    rows = by_key(bedrock_lifecycle.parse(doc("bedrock-lifecycle.html")))
    assert len(rows) == 18
    haiku = rows["anthropic.claude-3-haiku-20240307-v1:0"]  # a rowspan over two identical region rows: one row
    assert (haiku.provider, haiku.model, haiku.distribution, haiku.status, haiku.shutdown_on) == (
        "anthropic", "claude-3-haiku-20240307", "bedrock", Status.LEGACY, D(2026, 9, 10))
    assert haiku.availability == "legacy from 2026-03-10; public extended access from 2026-06-10"
    # Two region groups with different dates: both kept, the first under the plain id.
    assert rows["anthropic.claude-3-sonnet-20240229-v1:0"].availability == "legacy from 2026-01-30"
    assert rows["anthropic.claude-3-sonnet-20240229-v1:0#ap-northeast-1"].availability == (
        "legacy from 2026-01-30; public extended access from 2026-04-30")
    nova = rows["amazon.nova-canvas-v1:0"]
    assert (nova.provider, nova.distribution) == ("amazon", None)  # Amazon's own model: Amazon's word


# --- Mistral ---------------------------------------------------------------------------------


def test_mistral_models_page() -> None:
    rows = by_key(mistral_models.parse(doc("mistral-models.html")))
    assert len(rows) == 10
    assert rows["mistral-medium-2508"].status is Status.ACTIVE
    large = rows["mistral-large-2402"]
    assert (large.provider, large.status, large.announced_on, large.shutdown_on, large.replacement) == (
        "mistral", Status.LEGACY, D(2024, 11, 30), D(2025, 6, 16), ("mistral-large-latest",))
    assert (rows["pixtral-12b-2409"].shutdown_on, rows["pixtral-12b-2409"].shutdown_qualifier) == (
        D(2026, 3, 1), "earliest-month")


# --- every provider: layout changes are one clear error; sources describe themselves ---------

PAGES = [
    (anthropic_deprecations, "anthropic-deprecations.html", "anthropic"),
    (gemini_deprecations, "google-deprecations.html", "google"),
    (vertex_model_versions, "vertex-model-versions.html", "google"),
    (azure_retirements, "azure-retirement-schedule.md", "azure"),
    (bedrock_lifecycle, "bedrock-lifecycle.html", "amazon"),
    (mistral_models, "mistral-models.html", "mistral"),
]


@pytest.mark.parametrize(("module", "fixture", "speaks_for"), PAGES)
def test_each_page_source_is_registered_first_party_and_pure(module: object, fixture: str, speaks_for: str) -> None:
    source = module.SOURCE  # type: ignore[attr-defined]
    assert builtin(source.name) is source
    assert source.first_party == speaks_for and not source.account_view
    assert source.name in reference_sources()
    assert source.parse(doc(fixture)) == source.parse(doc(fixture))


@pytest.mark.parametrize(("module", "fixture", "speaks_for"), PAGES)
@pytest.mark.parametrize("body", [
    "", "<html><body><p>Just a moment...</p></body></html>",
    "<table><tr><th>Name</th><th>Price</th></tr><tr><td>x</td><td>1</td></tr></table>",
    "# Models\n\nEverything moved to a new page.\n",
])
def test_a_changed_layout_is_one_clear_error(module: object, fixture: str, speaks_for: str, body: str) -> None:
    with pytest.raises(ParseError) as raised:
        module.parse(doc(fixture, body))  # type: ignore[attr-defined]
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(("module", "fixture", "speaks_for"), PAGES)
def test_same_content_as_html_and_markdown_reads_the_same(module: object, fixture: str, speaks_for: str) -> None:
    """The neutral blocks make the rendering irrelevant: re-render the page's tables as Markdown."""
    found = blocks((PROVIDERS / fixture).read_text())
    lines: list[str] = []
    for block in found:
        if hasattr(block, "level"):
            lines += ["#" * block.level + " " + block.text, ""]  # type: ignore[union-attr]
            continue
        header, rows = block.header, block.rows
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        for row in rows:
            cells = row if len(row) == len(header) else (row[0], *[""] * (len(header) - 1))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    markdown = "\n".join(lines)
    original = module.parse(doc(fixture))  # type: ignore[attr-defined]
    rendered = module.parse(doc("page.md", markdown))  # type: ignore[attr-defined]
    if module is gemini_deprecations:  # the "earliest possible dates" sentence is prose, not a table
        original = [dataclasses.replace(o, shutdown_qualifier=None if o.shutdown_qualifier == "earliest" else o.shutdown_qualifier) for o in original]
    if module is mistral_models:  # one-cell "Preview models" rows do not exist here; nothing to adjust
        pass
    def strip(obs: list[Observation]) -> list[Observation]:
        return [dataclasses.replace(o, url=None) for o in obs]

    assert strip(rendered) == strip(original)


@pytest.mark.parametrize(("module", "fixture", "speaks_for"), PAGES)
def test_a_body_cut_short_is_refused_whole(module: object, fixture: str, speaks_for: str) -> None:
    text = (PROVIDERS / fixture).read_text()
    last_row = text.rindex("</tr>") if "</tr>" in text else text.rindex("|\n")
    cut = text[: last_row - 3]  # inside the last table's last row: the rows before it would parse
    with pytest.raises(ParseError, match="truncated: the body ends"):
        module.parse(doc(fixture, cut))  # type: ignore[attr-defined]
