"""Prices a catalog states in a unit we do not interpret read plainly wherever they are
shown: `$0.014 / query (google_maps_grounding_cost_per_query)` in `watcher show`, and
`google_maps_grounding_cost_per_query: $0.014 / query → $0.025 / query` in alerts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.support import FIXTURES, watcher_on
from watcher.alerts.digest import build
from watcher.alerts.items import AlertItem
from watcher.alerts.render import render
from watcher.model import ChangeKind, PriceKey, Severity
from watcher.present import price_change_text, price_text, stated_unit

MAPS = "google_maps_grounding_cost_per_query"


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        (MAPS, "query"),
        ("output_cost_per_second_4k", "second"),
        ("cache_read_input_image_token_cost", "token"),
        ("output_cost_per_image_above_1024_and_1024_pixels", "image"),
        ("input_cost_per_character_above_128k_tokens", "character"),
        ("file_search_cost_per_1k_calls", "1k calls"),
        ("vector_store_cost_per_gb_per_day", "gb per day"),
        ("cache_read_input_token_cost_per_audio_token", "audio token"),
        ("input_cost_per_token_ultrafast", "token"),
        ("cost.input_image", ""),  # models.dev: the name states no unit
    ],
)
def test_the_unit_a_name_states(name: str, unit: str) -> None:
    assert stated_unit(name) == unit


def test_price_text() -> None:
    assert price_text(PriceKey.as_stated(MAPS), "0.005") == f"$0.005 / query ({MAPS})"
    assert price_text(str(PriceKey.as_stated(MAPS)), "0.005") == f"$0.005 / query ({MAPS})"
    assert price_text(PriceKey.as_stated("guardrail_cost_per_unit", "wordPolicyUnits"), "0") == (
        "$0 / unit (guardrail_cost_per_unit wordPolicyUnits)")
    assert price_text(PriceKey.as_stated("input_dbu_cost_per_token"), "0.0000006") == (
        "0.0000006 DBU / token (input_dbu_cost_per_token)")
    assert price_text(PriceKey.as_stated("cost.input_image"), "0.3") == "$0.3 (cost.input_image)"
    assert price_text(PriceKey("input"), "2.5") == "input/per_1m_tokens/standard 2.5"  # ours: unchanged
    assert price_change_text(str(PriceKey.as_stated(MAPS)), None, "0.014", "none") == (
        f"{MAPS}: none → $0.014 / query")


def test_an_alert_about_a_price_kept_as_stated_reads_plainly() -> None:
    when = dt.datetime(2026, 8, 22, tzinfo=dt.UTC)
    item = AlertItem(change_id=1, source="litellm", key="vertex_ai/gemini-4-argon-cyber-permissive",
                     provider="google", model="gemini-4-argon-cyber-permissive", kind=ChangeKind.PRICE,
                     field=str(PriceKey.as_stated(MAPS)), old="0.014", new="0.025", severity=Severity.WARNING,
                     note="x1.79", detected_at=when, watched=False, shutdown_on=None, replacement=None, url=None)
    bodies = render(build([item], kind="digest", today=when.date(), max_items=5), "oncall")
    line = f"{MAPS}: $0.014 / query → $0.025 / query"
    assert bodies.title == f"WARNING: gemini-4-argon-cyber-permissive price {line}"
    assert f"{line} (x1.79)" in bodies.text
    assert "as_stated" not in bodies.text + bodies.markdown + bodies.html


def test_watcher_show_lists_prices_kept_as_stated(db_url: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")

    watcher = watcher_on(config, db_url, env={"COLUMNS": "300"})

    watcher("ingest", "litellm", str(FIXTURES / "litellm" / "cost_fields.json"),
            "--observed-at", "2026-08-22T00:00:00Z", "--format", "json")
    shown = watcher("show", "vertex_ai/gemini-4-argon-cyber-permissive", "--today", "2026-08-22", "--format", "csv")
    assert f"$0.014 / query ({MAPS})" in shown
    table = watcher("show", "mistral/mistral-ocr-latest", "--today", "2026-08-22", "--format", "table")
    assert "$0.004 / page (ocr_cost_per_page)" in table
    assert "$0.0025 / page (annotation_cost_per_page_batches)" in table
