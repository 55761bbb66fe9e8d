"""Catalogs end to end: OpenAI's deprecations page, LiteLLM and OpenRouter served from a
real HTTP server on 127.0.0.1, `watcher poll` (a real subprocess) after each new
version. Checks the changes reported and that each disagreement with the provider
is reported once when it appears and once when it is resolved, including when
only the clock moves (`check_disagreements`)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import FIXTURES, Upstream, run_watcher
from watcher.app import App
from watcher.config import load
from watcher.disagreements.hook import check_disagreements

TODAY = dt.datetime.now(dt.UTC).date()
LITELLM = json.loads((FIXTURES / "litellm" / "model_prices-1.97.0.json").read_text())
OPENROUTER = json.loads((FIXTURES / "openrouter" / "models-all-modalities-2026-08-19.json").read_text())

Change = tuple[str | None, str | None, str, str | None, str | None, str | None]  # source, model, kind, field, old, new


def deprecations(shutdown: dt.date) -> str:
    return f"""# Deprecations

## Upcoming deprecations

### 2026-03-24: Sora 2 video generation models and Videos API

| Shutdown date | Model / system | Recommended replacement |
| ------------- | -------------- | ----------------------- |
| {shutdown.isoformat()} | Videos API | --- |
| {shutdown.isoformat()} | `sora-2` | --- |
| {shutdown.isoformat()} | `sora-2-pro` | --- |
"""


def litellm(edits: dict[str, dict[str, Any] | None]) -> str:
    """Real LiteLLM rows; `edits` updates (or, with None, removes) some of them."""
    keys = ("sora-2", "openai/sora-2", "azure/sora-2", "sora-2-pro", "gpt-4o", "claude-3-opus-20240229")
    catalog = {key: copy.deepcopy(LITELLM[key]) for key in ("sample_spec", *keys)}
    catalog["claude-3-opus-20240229"]["deprecation_date"] = "2026-06-01"  # LiteLLM states dates
    for key, fields in edits.items():
        if fields is None:
            del catalog[key]
        else:
            catalog[key].update(fields)
    return json.dumps(catalog, indent=4)


def openrouter(edits: dict[str, dict[str, Any]]) -> str:
    rows = [copy.deepcopy(r) for r in OPENROUTER["data"]
            if r["id"] in ("openai/sora-2-pro", "openai/gpt-4o", "z-ai/glm-4.5")]
    for row in rows:
        row.update(edits.get(row["id"], {}))
    return json.dumps({**OPENROUTER, "data": rows, "total_count": len(rows)})


@pytest.fixture
def config(tmp_path: Path, upstream: Upstream, db_url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"""
[storage]
url = "{db_url}"

[sources.openai-deprecations]
url = "{upstream.url('/deprecations.md')}"
[sources.litellm]
url = "{upstream.url('/litellm.json')}"
delist_after = 1
[sources.openrouter]
url = "{upstream.url('/api/v1/models')}"
delist_after = 1
[sources.openai-pricing]
enabled = false
[sources.models-dev]
enabled = false

[fetch]
retries = 0
""")
    return path


def poll(config: Path) -> list[Change]:
    result = run_watcher(["--config", str(config), "poll", "--format", "json"])
    assert result.returncode == 0, result.stderr
    return sorted((c["source"], c["model"], c["kind"], c["field"], c["old"], c["new"])
                  for c in json.loads(result.stdout))


def notes(config: Path) -> dict[tuple[str, str], str | None]:
    result = run_watcher(["--config", str(config), "changes", "--kind", "price", "--format", "json"])
    assert result.returncode == 0, result.stderr
    return {(c["key"], c["field"]): c["note"] for c in json.loads(result.stdout)}


def clock(config: Path, day: dt.date) -> list[Change]:
    app = App.create(load(config))
    records = check_disagreements(app.poller, dt.datetime.combine(day, dt.time(0, 5), tzinfo=dt.UTC))
    app.engine.dispose()
    return sorted((c.source, c.model, c.kind, c.field, c.old, c.new) for c in records)


def test_disagreements_appear_once_and_resolve_once(config: Path, upstream: Upstream) -> None:
    shutdown = TODAY + dt.timedelta(days=60)
    date = shutdown.isoformat()
    upstream.set("/deprecations.md", deprecations(shutdown))
    upstream.set("/litellm.json", litellm({}))
    upstream.set("/api/v1/models", openrouter({}))

    no_date_2 = f"litellm lists openai/sora-2, sora-2 with no shutdown date; openai shuts it down {date}"
    no_date_pro = f"litellm lists sora-2-pro with no shutdown date; openai shuts it down {date}"
    router_no_date = f"openrouter lists openai/sora-2-pro with no shutdown date; openai shuts it down {date}"
    # Baselines report nothing of their own; the disagreements they reveal are history.
    assert poll(config) == [
        ("litellm", "sora-2", "disagreement", "no_shutdown_date", None, no_date_2),
        ("litellm", "sora-2-pro", "disagreement", "no_shutdown_date", None, no_date_pro),
        ("openrouter", "sora-2-pro", "disagreement", "no_shutdown_date", None, router_no_date),
    ]
    assert poll(config) == []  # still open: never reported twice

    # LiteLLM learns the date for sora-2 (not sora-2-pro) and moves two prices.
    upstream.set("/litellm.json", litellm({
        "sora-2": {"deprecation_date": date}, "openai/sora-2": {"deprecation_date": date},
        "sora-2-pro": {"output_cost_per_video_per_second": 1.05},  # 0.3 -> 1.05: x3.5
        "gpt-4o": {"input_cost_per_token": 3e-06},  # 2.5 -> 3 per 1M: x1.2
    }))
    assert poll(config) == [
        ("litellm", "gpt-4o", "price", "input/per_1m_tokens/standard", "2.5", "3"),
        ("litellm", "sora-2", "disagreement", "no_shutdown_date", no_date_2, "resolved"),
        ("litellm", "sora-2", "shutdown_date", "shutdown_on", None, date),
        ("litellm", "sora-2", "shutdown_date", "shutdown_on", None, date),
        ("litellm", "sora-2-pro", "price", "video/per_second/standard", "0.3", "1.05"),
    ]
    found = notes(config)
    assert found[("sora-2-pro", "video/per_second/standard")] == "x3.5; suspect: more than 3x"
    assert found[("gpt-4o", "input/per_1m_tokens/standard")] == "x1.2"

    # OpenRouter states a date, a week late: one disagreement gives way to another.
    late = (shutdown + dt.timedelta(days=7)).isoformat()
    upstream.set("/api/v1/models", openrouter({"openai/sora-2-pro": {"expiration_date": late}}))
    assert poll(config) == [
        ("openrouter", "sora-2-pro", "disagreement", "no_shutdown_date", router_no_date, "resolved"),
        ("openrouter", "sora-2-pro", "disagreement", "shutdown_differs", None,
         f"openrouter says openai/sora-2-pro shuts down {late}; openai says {date}"),
        ("openrouter", "sora-2-pro", "shutdown_date", "shutdown_on", None, late),
    ]

    # Nothing changes upstream, but the shutdown date passes: the daily check says so, once.
    after = shutdown + dt.timedelta(days=1)
    assert clock(config, after) == [
        ("litellm", "sora-2", "disagreement", "listed_after_shutdown", None,
         f"litellm still lists openai/sora-2, sora-2 after shutdown {date}"),
        ("litellm", "sora-2-pro", "disagreement", "listed_after_shutdown", None,
         f"litellm still lists sora-2-pro after shutdown {date}"),
        ("openrouter", "sora-2-pro", "disagreement", "listed_after_shutdown", None,
         f"openrouter still lists openai/sora-2-pro after shutdown {date}"),
    ]
    assert clock(config, after + dt.timedelta(days=1)) == []


def test_a_catalog_that_drops_a_dead_model_resolves_its_disagreement(config: Path, upstream: Upstream) -> None:
    shutdown = TODAY - dt.timedelta(days=10)
    date = shutdown.isoformat()
    upstream.set("/deprecations.md", deprecations(shutdown))
    dated: dict[str, dict[str, Any] | None] = {key: {"deprecation_date": date} for key in ("sora-2", "openai/sora-2", "sora-2-pro")}
    upstream.set("/litellm.json", litellm(dated))
    upstream.set("/api/v1/models", openrouter({"openai/sora-2-pro": {"expiration_date": date}}))
    still_2 = f"litellm still lists openai/sora-2, sora-2 after shutdown {date}"
    still_pro = f"litellm still lists sora-2-pro after shutdown {date}"
    router = f"openrouter still lists openai/sora-2-pro after shutdown {date}"
    assert poll(config) == [
        ("litellm", "sora-2", "disagreement", "listed_after_shutdown", None, still_2),
        ("litellm", "sora-2-pro", "disagreement", "listed_after_shutdown", None, still_pro),
        ("openrouter", "sora-2-pro", "disagreement", "listed_after_shutdown", None, router),
    ]

    # LiteLLM drops sora-2 (both spellings); Azure's row stays and was never compared.
    upstream.set("/litellm.json", litellm({**dated, "sora-2": None, "openai/sora-2": None}))
    changes = poll(config)
    assert [c for c in changes if c[2] == "disagreement"] == [
        ("litellm", "sora-2", "disagreement", "listed_after_shutdown", still_2, "resolved")]
    assert sorted(c[2] for c in changes) == ["delisted", "delisted", "disagreement"]
    assert poll(config) == []
