"""Every provider's page and API shape served on loopback, polled by the real CLI; then
`watcher show claude-3-opus-20240229` combines the maker's page, its API, the Bedrock and
Vertex distributions and the catalogs, with exactly the right disagreements."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support import FIXTURES, Response, Upstream, run_watcher

PROVIDERS = FIXTURES / "providers"
KEY = "sk-ant-api03-INTEGRATION-KEY-000"

PAGES = {
    "anthropic-deprecations": ("/anthropic/model-deprecations", "anthropic-deprecations.html"),
    "gemini-deprecations": ("/gemini/deprecations", "google-deprecations.html"),
    "vertex-model-versions": ("/vertex/model-versions", "vertex-model-versions.html"),
    "azure-retirements": ("/azure/retirement-schedule.md", "azure-retirement-schedule.md"),
    "bedrock-lifecycle": ("/bedrock/model-lifecycle.html", "bedrock-lifecycle.html"),
    "mistral-models": ("/mistral/models", "mistral-models.html"),
}
API_PAGES = [
    {"data": [
        {"type": "model", "id": "claude-opus-4-6", "display_name": "Claude Opus 4.6", "lifecycle": "active",
         "created_at": "2026-02-05T00:00:00Z"},
        {"type": "model", "id": "claude-3-opus-20240229", "display_name": "Claude Opus 3", "lifecycle": "deprecated",
         "created_at": "2024-02-29T00:00:00Z", "deprecated_at": "2025-06-30T00:00:00Z",
         "retires_at": "2026-01-05T00:00:00Z"},
    ], "has_more": True, "first_id": "claude-opus-4-6", "last_id": "claude-3-opus-20240229"},
    {"data": [
        {"type": "model", "id": "claude-sonnet-4-20250514", "display_name": "Claude Sonnet 4",
         "lifecycle": "deprecated", "created_at": "2025-05-14T00:00:00Z", "deprecated_at": "2026-04-14T00:00:00Z",
         "retires_at": "2026-07-15T00:00:00Z"},
    ], "has_more": False, "first_id": "claude-sonnet-4-20250514", "last_id": "claude-sonnet-4-20250514"},
]
LITELLM = {
    "sample_spec": {"litellm_provider": "one of the providers", "mode": "chat"},
    "claude-3-opus-20240229": {"litellm_provider": "anthropic", "mode": "chat", "input_cost_per_token": 1.5e-05,
                               "output_cost_per_token": 7.5e-05, "deprecation_date": "2026-03-01"},
    "bedrock/anthropic.claude-3-opus-20240229-v1:0": {"litellm_provider": "bedrock", "mode": "chat",
                                                      "input_cost_per_token": 1.5e-05,
                                                      "output_cost_per_token": 7.5e-05,
                                                      "deprecation_date": "2026-01-15"},
    "vertex_ai/claude-3-opus@20240229": {"litellm_provider": "vertex_ai-anthropic_models", "mode": "chat",
                                         "input_cost_per_token": 1.5e-05, "output_cost_per_token": 7.5e-05},
    "gpt-4o": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 2.5e-06,
               "output_cost_per_token": 1e-05},
}
OPENROUTER = {"data": [
    {"id": "anthropic/claude-3-opus-20240229", "canonical_slug": "anthropic/claude-3-opus-20240229",
     "name": "Anthropic: Claude 3 Opus", "created": 1709164800, "context_length": 200000,
     "pricing": {"prompt": "0.000015", "completion": "0.000075"}, "expiration_date": "2026-01-05"},
]}


def _serve(upstream: Upstream) -> str:
    lines = ['[storage]\nurl = "sqlite:///{db}"\n']
    for name, (path, fixture) in PAGES.items():
        upstream.set(path, (PROVIDERS / fixture).read_bytes())
        lines.append(f'[sources.{name}]\nurl = "{upstream.url(path)}"\n')
    upstream.sequence("/anthropic/v1/models", [Response(json.dumps(page).encode()) for page in API_PAGES])
    lines.append(f'[sources.anthropic-account]\nurl = "{upstream.url("/anthropic/v1/models?limit=1000")}"\n')
    upstream.set("/litellm.json", json.dumps(LITELLM))
    lines.append(f'[sources.litellm]\nurl = "{upstream.url("/litellm.json")}"\n')
    upstream.set("/openrouter/models", json.dumps(OPENROUTER))
    lines.append(f'[sources.openrouter]\nurl = "{upstream.url("/openrouter/models")}"\n')
    return "\n".join(lines)


def test_show_combines_every_providers_word(tmp_path: Path, upstream: Upstream) -> None:
    config = tmp_path / "config.toml"
    config.write_text(_serve(upstream).replace("{db}", str(tmp_path / "w.db")), encoding="utf-8")
    env = {"ANTHROPIC_API_KEY": KEY}
    polled = run_watcher(["--config", str(config), "poll", "--format", "json"], env=env, timeout=180)
    assert polled.returncode == 0, polled.stderr
    assert KEY not in polled.stdout + polled.stderr
    assert len([path for path, _ in upstream.requests if path.startswith("/anthropic/v1/models")]) == 2

    shown = run_watcher(["--config", str(config), "show", "claude-3-opus-20240229", "--today", "2026-03-01",
                         "--format", "json"])
    assert shown.returncode == 0, shown.stderr
    (view,) = json.loads(shown.stdout)
    assert (view["provider"], view["model"]) == ("anthropic", "claude-3-opus-20240229")
    assert (view["shutdown_on"], view["shutdown_source"], view["days_left"]) == ("2026-01-05", "anthropic-deprecations",
                                                                                 -55)
    rows = {(r["source"], r["source_id"]): (r["distribution"], r["shutdown_on"]) for r in view["sources"]}
    assert rows == {
        ("anthropic-deprecations", "claude-3-opus-20240229"): (None, "2026-01-05"),  # status + announcement rows
        ("anthropic-deprecations", "anthropic.claude-3-opus-20240229-v1:0"): ("bedrock", "2026-01-15"),
        ("anthropic-deprecations", "claude-3-opus@20240229"): ("vertex_ai", "2026-02-05"),
        ("anthropic-account", "claude-3-opus-20240229"): (None, "2026-01-05"),
        ("litellm", "claude-3-opus-20240229"): (None, "2026-03-01"),
        ("litellm", "bedrock/anthropic.claude-3-opus-20240229-v1:0"): ("bedrock", "2026-01-15"),
        ("litellm", "vertex_ai/claude-3-opus@20240229"): ("vertex_ai", None),
        ("openrouter", "anthropic/claude-3-opus-20240229"): (None, "2026-01-05"),
    }
    assert len([r for r in view["sources"] if r["source"] == "anthropic-deprecations"]) == 4
    # The poll ran on the real clock (after 2026-01-05): everything still listed past the
    # maker's date is reported; the distributions' own dates never are.
    found = sorted((d["source"], d["kind"]) for d in view["disagreements"])
    assert found == [
        ("anthropic-account", "listed_after_shutdown"),
        ("litellm", "listed_after_shutdown"),
        ("litellm", "shutdown_differs"),
        ("openrouter", "listed_after_shutdown"),
    ], view["disagreements"]
    texts = " | ".join(d["text"] for d in view["disagreements"])
    assert "litellm says claude-3-opus-20240229 shuts down 2026-03-01; anthropic says 2026-01-05" in texts
    assert "bedrock" not in texts and "vertex" not in texts

    sonnet = run_watcher(["--config", str(config), "show", "claude-sonnet-4-20250514", "--today", "2026-03-01",
                          "--format", "json"])
    (view,) = json.loads(sonnet.stdout)
    assert view["shutdown_on"] == "2026-06-15 (tentative)"
    assert [(p["distribution"], p["shutdown_on"], p["source"]) for p in view["platforms"]] == [
        ("bedrock", "2026-10-14", "anthropic-deprecations"), ("bedrock", "2026-10-14", "bedrock-lifecycle"),
        ("vertex_ai", "2026-10-14", "anthropic-deprecations"), ("vertex_ai", "2026-10-14", "vertex-model-versions")]
    assert [(d["source"], d["kind"]) for d in view["disagreements"] if d["kind"] == "shutdown_differs"] == [
        ("anthropic-account", "shutdown_differs")]
    # Bedrock's lifecycle page and Vertex's versions page speak for their platforms.
    platforms = {(r["source"], r["distribution"]) for r in view["sources"] if r["distribution"]}
    assert platforms == {("anthropic-deprecations", "bedrock"), ("anthropic-deprecations", "vertex_ai"),
                         ("bedrock-lifecycle", "bedrock"), ("vertex-model-versions", "vertex_ai")}

    table = run_watcher(["--config", str(config), "show", "bedrock/anthropic.claude-3-opus-20240229-v1:0",
                         "--today", "2026-03-01", "--format", "table"])
    assert "anthropic/claude-3-opus-20240229: shutdown 2026-01-05 (anthropic-deprecations)" in table.stdout
    # A distribution retiring on its own schedule is shown as such, beside the maker's date.
    assert ("anthropic/claude-3-opus-20240229 on bedrock: its own schedule, shutdown 2026-01-15 "
            "(anthropic-deprecations): shut down 45 days ago") in table.stdout
    assert ("anthropic/claude-3-opus-20240229 on vertex_ai: its own schedule, shutdown 2026-02-05 "
            "(anthropic-deprecations): shut down 24 days ago") in table.stdout


def test_an_unreachable_or_changed_provider_is_one_health_alert(tmp_path: Path, upstream: Upstream) -> None:
    config = tmp_path / "config.toml"
    config.write_text(_serve(upstream).replace("{db}", str(tmp_path / "w.db")), encoding="utf-8")
    env = {"ANTHROPIC_API_KEY": KEY}
    assert run_watcher(["--config", str(config), "poll", "anthropic-deprecations"], env=env).returncode == 0
    upstream.set(PAGES["anthropic-deprecations"][0], "<html><body><h1>Models</h1><p>Moved.</p></body></html>")
    for _ in range(3):
        run_watcher(["--config", str(config), "poll", "anthropic-deprecations"], env=env)
    changes = run_watcher(["--config", str(config), "changes", "--source", "anthropic-deprecations",
                           "--format", "json"])
    assert changes.returncode == 0, changes.stderr
    kinds = [c["kind"] for c in json.loads(changes.stdout)]
    assert kinds == ["source_health"], kinds
