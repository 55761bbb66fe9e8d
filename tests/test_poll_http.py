"""Issue 2 end to end: successive versions of OpenAI's deprecations page served from a
real HTTP server on 127.0.0.1; `watcher poll` (a real subprocess) after each reports
exactly the real changes, and nothing for cosmetic rewrites."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import Upstream, run_watcher

HEAD = """# Deprecations

## Overview

This page lists all API deprecations, along with recommended replacements.

"""

SORA = """### 2026-03-24: Sora 2 video generation models and Videos API

On March 24th, 2026, we notified developers using the Videos API and Sora 2.

| Shutdown date | Model / system          | Recommended replacement |
| ------------- | ----------------------- | ----------------------- |
| 2026-09-24    | Videos API              | ---                     |
| 2026-09-24    | `sora-2`                | ---                     |
| 2026-09-24    | `sora-2-pro`            | ---                     |

"""

LEGACY = """### 2025-09-26: Legacy GPT model snapshots

Access to these models will be shut down on the dates below.

| Shutdown date | Model / system          | Recommended replacement        |
| ------------- | ----------------------- | ------------------------------ |
| 2026-09-28    | `gpt-3.5-turbo-instruct` | `gpt-5.4-mini` or `gpt-5-mini` |
| 2026-09-28    | `babbage-002`           | `gpt-5.4-mini` or `gpt-5-mini` |
| 2026-09-28    | `davinci-002`           | `gpt-5.4-mini` or `gpt-5-mini` |

"""

CODEX = """### 2025-11-17: codex-mini-latest model snapshot

On November 17th, 2025, we notified developers using `codex-mini-latest`.

| Shutdown date | Model / system      | Recommended replacement |
| ------------- | ------------------- | ----------------------- |
| 2026-01-16    | `codex-mini-latest` | `gpt-5-codex-mini`      |

"""


def page(*sections: str, upcoming: tuple[str, ...] = (), history: bool = False) -> str:
    if history:
        return HEAD + "## Deprecation history\n\n" + "".join(upcoming + sections)
    text = HEAD
    if upcoming:
        text += "## Upcoming deprecations\n\n" + "".join(upcoming)
    return text + "## Past deprecations\n\n" + "".join(sections)


@pytest.fixture
def config(tmp_path: Path, upstream: Upstream) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"""
[storage]
url = "sqlite:///{tmp_path / 'watcher.db'}"

[sources.openai-deprecations]
url = "{upstream.url('/deprecations.md')}"
delist_after = 1

[sources.openai-pricing]
enabled = false
[sources.openrouter]
enabled = false
[sources.litellm]
enabled = false
[sources.models-dev]
enabled = false

[fetch]
retries = 0
""")
    return path


def poll(config: Path) -> list[tuple[str | None, str, str | None, str | None, str | None]]:
    result = run_watcher(["--config", str(config), "poll", "--format", "json"])
    assert result.returncode == 0, result.stderr
    return sorted((c["model"], c["kind"], c["field"], c["old"], c["new"]) for c in json.loads(result.stdout))


def test_successive_versions_report_exactly_the_real_changes(config: Path, upstream: Upstream) -> None:
    upstream.set("/deprecations.md", page(LEGACY, CODEX, upcoming=(SORA,)))
    assert poll(config) == []  # baseline

    # Cosmetic rewrites, one after the other: none of them is a change.
    cosmetic = [
        page(LEGACY.replace("2026-09-28", "Sep 28, 2026"), CODEX, upcoming=(SORA,)),  # date format
        page(LEGACY.replace("2026-09-28", "2026\u201109\u201128"), CODEX, upcoming=(SORA,)),  # U+2011 hyphens
        page(LEGACY, CODEX.replace("`codex-mini-latest` |", "codex-mini-latest |"), upcoming=(SORA,)),  # backticks
        page(SORA, LEGACY, CODEX),  # Sora moved from Upcoming to Past
        page(LEGACY, CODEX, upcoming=(SORA,), history=True),  # one "Deprecation history" section
        page(LEGACY.replace("| 2026-09-28    | `babbage-002`", "|   2026-09-28 |   `babbage-002`  "), CODEX,
             upcoming=(SORA,)),  # whitespace
        page(CODEX, LEGACY, upcoming=(SORA,)),  # section order
    ]
    for version in cosmetic:
        upstream.set("/deprecations.md", version)
        assert poll(config) == [], version

    # Real changes, one after the other.
    moved = CODEX.replace("2026-01-16", "2026-02-12")
    upstream.set("/deprecations.md", page(LEGACY, moved, upcoming=(SORA,)))
    assert poll(config) == [("codex-mini-latest", "shutdown_date", "shutdown_on", "2026-01-16", "2026-02-12")]

    repointed = SORA.replace("| `sora-2-pro`            | ---", "| `sora-2-pro`            | `sora-3`")
    upstream.set("/deprecations.md", page(LEGACY, moved, upcoming=(repointed,)))
    assert poll(config) == [("sora-2-pro", "replacement", "replacement", "---", "sora-3")]

    withdrawn = LEGACY.replace("| 2026-09-28    | `davinci-002`           | `gpt-5.4-mini` or `gpt-5-mini` |\n", "")
    upstream.set("/deprecations.md", page(withdrawn, moved, upcoming=(repointed,)))
    changes = poll(config)
    assert [(m, k) for m, k, *_ in changes] == [("davinci-002", "delisted")]

    added = """### 2026-06-02: GPT Image model deprecations

| Shutdown date | Model / system         | Recommended replacement |
| ------------- | ---------------------- | ----------------------- |
| Dec 1, 2026   | `gpt-image-1-mini`     | `gpt-image-2`           |
| Dec 1, 2026   | `gpt-image-1.5`        | `gpt-image-2`           |

"""
    upstream.set("/deprecations.md", page(withdrawn, moved, upcoming=(added, repointed)))
    changes = poll(config)
    assert [(m, k) for m, k, *_ in changes] == [("gpt-image-1-mini", "listed"), ("gpt-image-1.5", "listed")]
    assert all("shutdown 2026-12-01" in (new or "") for *_, new in changes)

    # A section split in two under the same announcement date is not a change.
    split = withdrawn.replace("| 2026-09-28    | `babbage-002`", "| 2026-09-28    | `babbage-002`", 1)
    first, _, rest = split.partition("| 2026-09-28    | `babbage-002`")
    split_page = (first.replace("Legacy GPT model snapshots", "Legacy GPT model snapshots (part 1)")
                  + "\n### 2025-09-26: Legacy GPT model snapshots (part 2)\n\n"
                  + "| Shutdown date | Model / system | Recommended replacement |\n| --- | --- | --- |\n"
                  + "| 2026-09-28    | `babbage-002`" + rest)
    upstream.set("/deprecations.md", page(split_page, moved, upcoming=(added, repointed)))
    assert poll(config) == []


def test_the_html_page_is_the_fallback_when_the_markdown_twin_fails(tmp_path: Path, upstream: Upstream) -> None:
    html = (Path(__file__).parent / "fixtures/openai_deprecations/deprecations-2025-11-13.html").read_bytes()
    upstream.set("/deprecations.md", "not found", status=404)
    upstream.set("/deprecations", html, headers={"Content-Type": "text/html"})
    config = tmp_path / "config.toml"
    config.write_text(f"""
[storage]
url = "sqlite:///{tmp_path / 'w.db'}"
[sources.openai-deprecations]
urls = ["{upstream.url('/deprecations.md')}", "{upstream.url('/deprecations')}"]
[fetch]
retries = 0
""")
    result = run_watcher(["--config", str(config), "poll", "openai-deprecations", "--format", "json"])
    assert result.returncode == 0, result.stderr
    assert "openai-deprecations: baseline, 76 rows" in result.stderr


def test_an_unreachable_upstream_is_one_line_and_a_nonzero_exit(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"""
[storage]
url = "sqlite:///{tmp_path / 'w.db'}"
[sources.openai-deprecations]
url = "http://127.0.0.1:9/deprecations.md"
[fetch]
retries = 0
timeout = 2
""")
    result = run_watcher(["--config", str(config), "poll", "openai-deprecations"])
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "openai-deprecations: failed" in result.stderr and "ConnectError" in result.stderr
