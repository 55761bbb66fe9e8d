"""The guard on real pages: layout changes are refused, real upstream edits are not."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from sources import litellm, openai_deprecations
from watcher.guard import refusal
from watcher.model import Document, Observation

FIXTURES = Path(__file__).parent / "fixtures"
AT = dt.datetime(2026, 6, 27, tzinfo=dt.UTC)


def deprecations(text: str) -> list[Observation]:
    return openai_deprecations.parse(Document(source="openai-deprecations", url="https://x/deprecations.md",
                                              body=text.encode(), fetched_at=AT, content_type="text/markdown"))


def catalog(version: str) -> list[Observation]:
    body = (FIXTURES / "litellm" / f"model_prices-{version}.json").read_bytes()
    return litellm.parse(Document(source="litellm", url=litellm.CATALOG_URL, body=body, fetched_at=AT))


def test_a_renamed_replacement_column_is_refused_not_reported_row_by_row() -> None:
    page = (FIXTURES / "openai_deprecations" / "deprecations-2026-06-27.md").read_text()
    before = {obs.key: obs for obs in deprecations(page)}
    renamed = deprecations(page.replace("replacement", "successor"))
    assert len(renamed) == len(before)  # every row is still there, only the column went unrecognised
    assert sum(1 for obs in renamed if before[obs.key].replacement is not None and obs.replacement is None) > 100
    reason = refusal(renamed, before, 0.5)
    assert reason is not None and "replacement" in reason
    assert refusal(deprecations(page), before, 0.5) is None


def test_a_real_catalog_release_passes() -> None:
    before = {obs.key: obs for obs in catalog("1.97.0")}
    assert refusal(catalog("1.98.0"), before, 0.5) is None
    # The same release with every input price field renamed away is refused.
    stripped = [dataclasses.replace(obs, prices={k: v for k, v in obs.prices.items() if k.component != "input"})
                for obs in catalog("1.98.0")]
    reason = refusal(stripped, before, 0.5)
    assert reason is not None and "input/per_1m_tokens/standard price" in reason
