"""Issue 4's real-data acceptance, on fixtures trimmed from the real captures:
LiteLLM 1.97.0 → 1.98.0 reports exactly what an independent diff of the two files
finds (no float noise), OpenRouter 2026-06-16 → 2026-08-19 reports glm-4.5's new
expiration, and `watcher show sora-2` shows the catalogs disagreeing with OpenAI."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.support import FIXTURES, watcher_on
from watcher.app import App
from watcher.config import parse
from watcher.poll.pipeline import PollResult

LITELLM = FIXTURES / "litellm"
OPENROUTER = FIXTURES / "openrouter"
DEPRECATIONS = FIXTURES / "openai_deprecations" / "deprecations-2026-06-27.md"
UTC = dt.UTC


def ingest(app: App, source: str, path: Path, when: str) -> PollResult:
    return app.ingest(source, path, dt.datetime.fromisoformat(when).replace(tzinfo=UTC))


@pytest.fixture
def app(db_url: str) -> App:
    return App.create(parse({}, path=None), db_url)


# --- an independent diff of two LiteLLM files, with no parser code ----------------

def _models(path: Path) -> dict[str, dict[str, Any]]:
    catalog = json.loads(path.read_text())
    return {k: v for k, v in catalog.items()
            if k != "sample_spec" and isinstance(v, dict) and isinstance(v.get("litellm_provider"), str)}


def _price_fields(entry: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field, value in entry.items():
        if "cost" in field:  # every one is a price, whether the grammar reads it or not
            items = value.items() if isinstance(value, dict) else [("", value)]
            out.update({f"{field}.{sub}": v for sub, v in items})
    return out


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return not math.isclose(a, b, rel_tol=1e-9)
    return bool(a != b)


def independent_diff(old: Path, new: Path) -> tuple[set[str], set[str], set[str], Counter[str]]:
    """(listed keys, delisted keys, keys whose date moved, price field changes per key)."""
    a, b = _models(old), _models(new)
    dates = {k for k in a.keys() & b.keys() if a[k].get("deprecation_date") != b[k].get("deprecation_date")}
    prices: Counter[str] = Counter()
    for key in a.keys() & b.keys():
        pa, pb = _price_fields(a[key]), _price_fields(b[key])
        prices[key] += sum(1 for f in pa.keys() | pb.keys()
                           if f not in pa or f not in pb or _differs(pa[f], pb[f]))
    return set(b) - set(a), set(a) - set(b), dates, +prices


def test_litellm_197_to_198_equals_an_independent_diff_and_dates_the_sora_family(app: App) -> None:
    old, new = LITELLM / "model_prices-1.97.0.json", LITELLM / "model_prices-1.98.0.json"
    assert ingest(app, "litellm", old, "2026-08-16T00:00:00").outcome == "baseline"
    result = ingest(app, "litellm", new, "2026-08-22T00:00:00")
    changes = [c for c in result.changes if c.kind != "disagreement"]

    listed, delisted, dates, prices = independent_diff(old, new)
    assert {c.key for c in changes if c.kind == "listed"} == listed
    assert {c.key for c in changes if c.kind == "delisted"} == delisted
    assert {c.key for c in changes if c.kind == "shutdown_date"} == dates
    assert Counter(c.key for c in changes if c.kind == "price") == prices
    assert {c.kind for c in changes} <= {"listed", "delisted", "shutdown_date", "price"}

    sora = {(c.key, c.old, c.new) for c in changes if c.kind == "shutdown_date" and "sora" in c.key}
    assert sora == {(k, None, "2026-09-24") for k in ("sora-2", "sora-2-pro", "openai/sora-2", "openai/sora-2-pro")}
    # The fixture's 1.98.0 spells gpt-realtime-whisper's price with float noise: not a change.
    assert not [c for c in changes if c.key == "gpt-realtime-whisper"]
    for change in (c for c in changes if c.kind == "price" and c.old and c.new and float(c.old) and float(c.new)):
        assert change.note and change.note.startswith("x")


def test_openrouter_june_to_august_reports_glm_45s_new_expiration(app: App) -> None:
    ingest(app, "openrouter", OPENROUTER / "models-2026-06-16.json", "2026-06-16T00:00:00")
    result = ingest(app, "openrouter", OPENROUTER / "models-2026-08-19.json", "2026-08-19T00:00:00")
    dates = {(c.key, c.old, c.new) for c in result.changes if c.kind == "shutdown_date"}
    assert ("z-ai/glm-4.5", "2026-06-19", "2026-12-31") in dates
    # z-ai has no official source here: no disagreement is invented for it.
    assert not [c for c in result.changes if c.kind == "disagreement"]


def test_show_sora_2_after_the_deprecations_page_litellm_and_openrouter(db_url: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")

    watcher = watcher_on(config, db_url)

    for source, path, when in (
        ("openai-deprecations", DEPRECATIONS, "2026-06-27T00:00:00Z"),
        ("litellm", LITELLM / "model_prices-1.97.0.json", "2026-08-16T00:00:00Z"),
        ("openrouter", OPENROUTER / "models-all-modalities-2026-08-19.json", "2026-08-19T00:00:00Z"),
    ):
        watcher("ingest", source, str(path), "--observed-at", when, "--format", "json")

    views = {}
    for spelling in ("sora-2", "openai/sora-2", "azure/sora-2"):
        (view,) = json.loads(watcher("show", spelling, "--today", "2026-08-20", "--format", "json"))
        views[spelling] = view
    assert views["sora-2"] == views["openai/sora-2"] == views["azure/sora-2"]
    view = views["sora-2"]
    assert (view["provider"], view["model"], view["shutdown_on"], view["days_left"]) == ("openai", "sora-2", "2026-09-24", 35)
    rows = {(r["source"], r["source_id"]): r for r in view["sources"]}
    assert set(rows) == {("openai-deprecations", "sora-2"), ("litellm", "sora-2"), ("litellm", "openai/sora-2"),
                         ("litellm", "azure/sora-2")}
    assert rows[("litellm", "azure/sora-2")]["distribution"] == "azure"
    assert rows[("litellm", "sora-2")]["prices"] == {"video/per_second/standard": "0.1"}
    assert rows[("litellm", "sora-2")]["last_seen"] == "2026-08-16T00:00:00Z"
    assert rows[("openai-deprecations", "sora-2")]["replacement"] == "---"
    text = "litellm lists openai/sora-2, sora-2 with no shutdown date; openai shuts it down 2026-09-24"
    assert [(d["source"], d["kind"], d["text"]) for d in view["disagreements"]] == [
        ("litellm", "no_shutdown_date", text)]

    (pro,) = json.loads(watcher("show", "openai/sora-2-pro", "--today", "2026-08-20", "--format", "json"))
    assert {(d["source"], d["kind"]) for d in pro["disagreements"]} == {
        ("litellm", "no_shutdown_date"), ("openrouter", "no_shutdown_date")}

    table = watcher("show", "sora-2", "--today", "2026-08-20", "--format", "table")
    assert "35 days left" in table and "no_shutdown_date" in table
    lines = watcher("show", "sora-2", "--today", "2026-08-20", "--format", "ndjson").splitlines()
    assert len(lines) == 4 and all(json.loads(line)["days_left"] == 35 for line in lines)
    csv_text = watcher("show", "sora-2*", "--today", "2026-08-20", "--format", "csv")
    assert csv_text.splitlines()[0].startswith("provider,model,provider_shutdown_on,days_left,source")
    assert {line.split(",")[1] for line in csv_text.splitlines()[1:]} >= {"sora-2", "sora-2-pro"}
