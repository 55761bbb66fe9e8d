"""Account views: the providers' model-list APIs read with the team's keys, on loopback
servers answering with the documented shapes (pagination included). Keys are sent,
never shown; without a key the source is off."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from sources import anthropic_account, mistral_account, openai_account
from sources.registry import first_party_sources, reference_sources
from tests.support import Response, Upstream, run_watcher
from watcher.config import parse as parse_config
from watcher.model import Document, ParseError, Status

KEY = "sk-ant-api03-SECRETSECRET-0123456789"


def page(data: list[dict[str, Any]], **extra: Any) -> bytes:
    return json.dumps({"data": data, **extra}).encode()


ANTHROPIC_PAGE_1 = page([
    {"type": "model", "id": "claude-opus-4-6", "display_name": "Claude Opus 4.6", "created_at": "2026-02-05T00:00:00Z",
     "lifecycle": "active"},
    {"type": "model", "id": "claude-3-opus-20240229", "display_name": "Claude Opus 3", "created_at": "2024-02-29T00:00:00Z",
     "lifecycle": "deprecated", "deprecated_at": "2025-06-30T00:00:00Z", "retires_at": "2026-01-05T00:00:00Z"},
], has_more=True, first_id="claude-opus-4-6", last_id="claude-3-opus-20240229")
ANTHROPIC_PAGE_2 = page([
    {"type": "model", "id": "claude-sonnet-4-20250514", "display_name": "Claude Sonnet 4",
     "created_at": "2025-05-14T00:00:00Z", "lifecycle": "deprecated", "deprecated_at": "2026-04-14T00:00:00Z",
     "retires_at": "2026-06-15T00:00:00Z"},
], has_more=False, first_id="claude-sonnet-4-20250514", last_id="claude-sonnet-4-20250514")
OPENAI_PAGE = page([
    {"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system"},
    {"id": "gpt-4.5-preview", "object": "model", "created": 1740623059, "owned_by": "system",
     "shutdown_date": "2025-07-14"},
    {"id": "ft:gpt-4o-mini-2024-07-18:acme::abc123", "object": "model", "created": 1730000000, "owned_by": "acme"},
], object="list")
MISTRAL_PAGE = page([
    {"id": "mistral-large-2411", "object": "model", "created": 1731000000, "owned_by": "mistralai",
     "aliases": ["mistral-large-latest"], "deprecation": None, "deprecation_replacement_model": None},
    {"id": "mistral-large-2407", "object": "model", "created": 1721000000, "owned_by": "mistralai",
     "aliases": [], "deprecation": "2026-03-30T12:00:00Z", "deprecation_replacement_model": "mistral-medium-latest"},
], object="list")


def doc(body: bytes) -> Document:
    return Document(source="t", url="http://127.0.0.1/v1/models", body=body, fetched_at=dt.datetime.now(dt.UTC))


def test_anthropic_fields_across_pages() -> None:
    merged = b"[" + ANTHROPIC_PAGE_1 + b"," + ANTHROPIC_PAGE_2 + b"]"
    rows = {o.key: o for o in anthropic_account.parse(doc(merged))}
    assert list(rows) == ["claude-opus-4-6", "claude-3-opus-20240229", "claude-sonnet-4-20250514"]
    opus = rows["claude-3-opus-20240229"]
    assert (opus.provider, opus.status, opus.announced_on, opus.shutdown_on) == (
        "anthropic", Status.DEPRECATED, dt.date(2025, 6, 30), dt.date(2026, 1, 5))
    assert rows["claude-opus-4-6"].status is Status.ACTIVE and rows["claude-opus-4-6"].shutdown_on is None


def test_openai_shutdown_date_and_fine_tunes() -> None:
    rows = {o.key: o for o in openai_account.parse(doc(OPENAI_PAGE))}
    assert rows["gpt-4.5-preview"].shutdown_on == dt.date(2025, 7, 14)
    assert rows["gpt-4.5-preview"].status is Status.DEPRECATED
    assert rows["gpt-4o"].status is Status.ACTIVE
    assert rows["ft:gpt-4o-mini-2024-07-18:acme::abc123"].provider == "openai"


def test_mistral_deprecation_and_replacement() -> None:
    rows = {o.key: o for o in mistral_account.parse(doc(MISTRAL_PAGE))}
    old = rows["mistral-large-2407"]
    assert (old.shutdown_on, old.replacement, old.status) == (dt.date(2026, 3, 30), ("mistral-medium-latest",),
                                                              Status.DEPRECATED)
    assert rows["mistral-large-2411"].aliases == ("mistral-large-latest",)


@pytest.mark.parametrize("body", [b"", b"<html>login</html>", b'{"error": {"type": "authentication_error"}}',
                                  b'{"data": []}'])
def test_an_answer_that_is_not_a_model_list_is_one_clear_error(body: bytes) -> None:
    for module in (anthropic_account, openai_account, mistral_account):
        with pytest.raises(ParseError) as raised:
            module.parse(doc(body))
        assert "\n" not in str(raised.value)


def test_account_views_are_first_party_but_not_the_reference() -> None:
    names = {"openai-account", "anthropic-account", "mistral-account"}
    assert names <= first_party_sources()
    assert not names & reference_sources()


def test_off_unless_a_key_is_configured() -> None:
    raw = {"sources": {"anthropic-account": {"every": "6h"}}}
    assert not parse_config(raw, path=None, environ={}).sources["anthropic-account"].enabled
    assert not parse_config(raw, path=None, environ={"ANTHROPIC_API_KEY": ""}).sources["anthropic-account"].enabled
    on = parse_config(raw, path=None, environ={"ANTHROPIC_API_KEY": KEY})
    assert on.sources["anthropic-account"].enabled
    assert KEY not in repr(on.sources["anthropic-account"])
    assert KEY in [s.reveal() for s in on.secrets()]  # so every log line redacts it


def test_an_api_key_written_in_the_config_must_be_text() -> None:
    with pytest.raises(ValueError, match="sources.anthropic-account.api_key: expected str"):
        parse_config({"sources": {"anthropic-account": {"api_key": 42}}}, path=None, environ={})


def _config(tmp_path: Path, upstream: Upstream, name: str, path: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///{tmp_path / "w.db"}"\n\n'
                      f'[sources.{name}]\nurl = "{upstream.url(path)}"\n', encoding="utf-8")
    return config


def test_anthropic_account_follows_pagination_with_its_key_and_never_shows_it(tmp_path: Path,
                                                                             upstream: Upstream) -> None:
    upstream.sequence("/v1/models", [Response(ANTHROPIC_PAGE_1), Response(ANTHROPIC_PAGE_2)])
    config = _config(tmp_path, upstream, "anthropic-account", "/v1/models?limit=1000")
    done = run_watcher(["--config", str(config), "-v", "poll", "anthropic-account", "--format", "json"],
                       env={"ANTHROPIC_API_KEY": KEY})
    assert done.returncode == 0, done.stderr
    assert KEY not in done.stdout + done.stderr
    (first, headers1), (second, headers2) = upstream.requests
    assert first == "/v1/models?limit=1000"
    assert second == "/v1/models?limit=1000&after_id=claude-3-opus-20240229"
    for headers in (headers1, headers2):
        assert headers["x-api-key"] == KEY and headers["anthropic-version"] == "2023-06-01"
    shown = run_watcher(["--config", str(config), "show", "claude-sonnet-4-20250514", "--format", "json"])
    assert shown.returncode == 0, shown.stderr
    (view,) = json.loads(shown.stdout)
    assert [(r["source"], r["shutdown_on"], r["status"]) for r in view["sources"]] == [
        ("anthropic-account", "2026-06-15", "deprecated")]


def test_a_failing_page_fails_the_whole_poll(tmp_path: Path, upstream: Upstream) -> None:
    upstream.sequence("/v1/models", [Response(ANTHROPIC_PAGE_1), Response(b"overloaded", 401)])
    config = _config(tmp_path, upstream, "anthropic-account", "/v1/models")
    done = run_watcher(["--config", str(config), "poll", "anthropic-account"], env={"ANTHROPIC_API_KEY": KEY})
    assert done.returncode != 0
    assert "page 2: HTTP 401" in done.stdout + done.stderr
    assert KEY not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_pagination_that_never_ends_is_a_fault(tmp_path: Path, upstream: Upstream) -> None:
    looping = page([{"id": "claude-x"}], has_more=True, last_id="claude-x")
    upstream.set("/v1/models", looping)
    config = _config(tmp_path, upstream, "anthropic-account", "/v1/models")
    done = run_watcher(["--config", str(config), "poll", "anthropic-account"], env={"ANTHROPIC_API_KEY": KEY})
    assert done.returncode != 0
    assert "pagination did not end" in done.stdout + done.stderr


@pytest.mark.parametrize(("name", "env", "body", "header"), [
    ("openai-account", "OPENAI_API_KEY", OPENAI_PAGE, "Authorization"),
    ("mistral-account", "MISTRAL_API_KEY", MISTRAL_PAGE, "Authorization"),
])
def test_bearer_key_accounts(tmp_path: Path, upstream: Upstream, name: str, env: str, body: bytes,
                             header: str) -> None:
    upstream.set("/v1/models", body)
    config = _config(tmp_path, upstream, name, "/v1/models")
    done = run_watcher(["--config", str(config), "check", name], env={env: KEY})
    assert done.returncode == 0, done.stderr
    assert f"{name}: 3 rows" in done.stderr or f"{name}: 2 rows" in done.stderr
    assert KEY not in done.stdout + done.stderr
    ((_, headers),) = upstream.requests
    assert headers[header] == f"Bearer {KEY}"


def test_without_a_key_the_account_source_is_not_polled(tmp_path: Path, upstream: Upstream) -> None:
    upstream.set("/v1/models", OPENAI_PAGE)
    config = _config(tmp_path, upstream, "openai-account", "/v1/models")
    done = run_watcher(["--config", str(config), "poll"], env={"OPENAI_API_KEY": ""})
    assert upstream.requests == []
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("command", [["poll", "anthropic-account"], ["check", "anthropic-account"]])
def test_asking_for_an_account_source_without_its_key_says_so(tmp_path: Path, upstream: Upstream,
                                                             command: list[str]) -> None:
    config = _config(tmp_path, upstream, "anthropic-account", "/v1/models")
    done = run_watcher(["--config", str(config), *command], env={"ANTHROPIC_API_KEY": ""})
    assert done.returncode != 0 and upstream.requests == []
    assert "anthropic-account: api_key is empty, so this source is off" in done.stderr
    assert "Traceback" not in done.stderr
    saved = tmp_path / "models.json"
    saved.write_bytes(ANTHROPIC_PAGE_1)
    offline = run_watcher(["--config", str(config), "check", "anthropic-account", "--file", str(saved)],
                          env={"ANTHROPIC_API_KEY": ""})
    assert offline.returncode == 0, offline.stderr  # reading a saved answer needs no key
