"""Disagreements across providers' own words: a maker's page against its own API, catalogs
selling past the maker's date, and distributions (Bedrock, Vertex, Azure) on their own
schedules, which are never conflicts. Rows are the real parses of the provider fixtures."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sources import (
    anthropic_deprecations,
    azure_retirements,
    bedrock_lifecycle,
    vertex_model_versions,
)
from tests.support import FIXTURES
from watcher.disagreements.rules import Kind, Row, effective_shutdowns, find
from watcher.model import Change, ChangeKind, Document, Observation, Severity, Status
from watcher.severity import SeverityPolicy

D = dt.date
TODAY = D(2026, 3, 1)


def rows(source: str, module: object, fixture: str) -> list[Row]:
    doc = Document(source=source, url="http://127.0.0.1/p", body=(FIXTURES / "providers" / fixture).read_bytes(),
                   fetched_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    return [Row(source, obs) for obs in module.parse(doc)]  # type: ignore[attr-defined]


ANTHROPIC = rows("anthropic-deprecations", anthropic_deprecations, "anthropic-deprecations.html")
PLATFORMS = (rows("bedrock-lifecycle", bedrock_lifecycle, "bedrock-lifecycle.html")
             + rows("vertex-model-versions", vertex_model_versions, "vertex-model-versions.html")
             + rows("azure-retirements", azure_retirements, "azure-retirement-schedule.md"))


def api(model: str, retires: dt.date | None, status: Status = Status.DEPRECATED) -> Row:
    return Row("anthropic-account", Observation(key=model, provider="anthropic", model=model, status=status,
                                                shutdown_on=retires))


def catalog(source: str, source_id: str, model: str, shutdown: dt.date | None, distribution: str | None = None,
            provider: str = "anthropic") -> Row:
    return Row(source, Observation(key=source_id, provider=provider, model=model, source_id=source_id,
                                   distribution=distribution, shutdown_on=shutdown))


def test_the_makers_own_rows_define_the_date_never_its_platform_tables() -> None:
    officials = effective_shutdowns(ANTHROPIC + PLATFORMS)
    opus = officials[("anthropic", "claude-3-opus-20240229")]
    # The page's Bedrock (2026-01-15) and Vertex (2026-02-05) tables are those platforms' dates.
    assert (opus.source, opus.shutdown_on, opus.row.distribution) == ("anthropic-deprecations", D(2026, 1, 5), None)
    assert ("openai", "gpt-4o") not in officials  # Azure's schedule never speaks for OpenAI
    assert officials[("amazon", "nova-canvas-v1:0")].source == "bedrock-lifecycle"  # Amazon's own model


def test_distributions_on_their_own_schedule_are_never_conflicts() -> None:
    officials = effective_shutdowns(ANTHROPIC)
    distributed = [row for row in ANTHROPIC + PLATFORMS if row.obs.distribution is not None]
    assert {row.obs.distribution for row in distributed} == {"bedrock", "vertex_ai", "azure"}
    assert find(officials, distributed, TODAY, dated_sources={r.source for r in distributed}) == []


def test_a_maker_page_and_its_own_api_disagreeing() -> None:
    officials = effective_shutdowns(ANTHROPIC)
    account = [
        api("claude-3-opus-20240229", D(2026, 1, 5)),  # agrees, and the account still lists it after the date
        api("claude-sonnet-4-20250514", D(2026, 7, 15)),  # the page says 2026-06-15 (tentative)
        api("claude-opus-4-1-20250805", None, Status.ACTIVE),  # the page dates it; the API does not
        api("claude-opus-4-6", D(2027, 6, 1), Status.ACTIVE),  # "not sooner than 2027-02-05": later agrees
    ]
    found = {(d.model, d.kind): d.text for d in find(officials, account, TODAY,
                                                   dated_sources={"anthropic-account"})}
    assert found == {
        ("claude-3-opus-20240229", Kind.LISTED_AFTER_SHUTDOWN):
            "anthropic-account still lists claude-3-opus-20240229 after shutdown 2026-01-05",
        ("claude-sonnet-4-20250514", Kind.SHUTDOWN_DIFFERS):
            "anthropic-account says claude-sonnet-4-20250514 shuts down 2026-07-15; "
            "anthropic says 2026-06-15 (tentative)",
        ("claude-opus-4-1-20250805", Kind.NO_SHUTDOWN_DATE):
            "anthropic-account lists claude-opus-4-1-20250805 with no shutdown date; "
            "anthropic shuts it down 2026-08-05 (tentative)",
    }


def test_a_catalog_still_selling_after_the_makers_date() -> None:
    officials = effective_shutdowns(ANTHROPIC)
    litellm = [catalog("litellm", "claude-3-opus-20240229", "claude-3-opus-20240229", None),
               catalog("litellm", "bedrock/anthropic.claude-3-opus-20240229-v1:0", "claude-3-opus-20240229",
                       D(2026, 1, 15), distribution="bedrock")]
    found = find(officials, litellm, TODAY, dated_sources={"litellm"})
    assert {(d.source, d.kind) for d in found} == {("litellm", Kind.LISTED_AFTER_SHUTDOWN),
                                                   ("litellm", Kind.NO_SHUTDOWN_DATE)}
    assert all("bedrock/" not in d.text for d in found)


def test_an_earliest_date_is_not_passed_until_the_provider_says_so() -> None:
    gemini = Row("gemini-deprecations", Observation(key="gemini-2.0-flash", provider="google", model="gemini-2.0-flash",
                                                    shutdown_on=D(2026, 6, 1), shutdown_qualifier="earliest"))
    officials = effective_shutdowns([gemini])
    late = catalog("openrouter", "google/gemini-2.0-flash", "gemini-2.0-flash", D(2026, 9, 1), provider="google")
    assert find(officials, [late], D(2026, 10, 1), dated_sources={"openrouter"}) == []


def test_a_watched_model_leaving_the_accounts_list_is_critical() -> None:
    policy = SeverityPolicy(watchlist=("claude-3-opus*",))
    obs = api("claude-3-opus-20240229", D(2026, 1, 5)).obs
    gone = Change(source="anthropic-account", key=obs.key, provider="anthropic", model=obs.model,
                  kind=ChangeKind.DELISTED, field=None, old="listed", new=None)
    assert policy.assess(gone, obs, D(2027, 1, 1)).severity is Severity.CRITICAL
    by_catalog = dataclasses.replace(gone, source="litellm")
    assert policy.assess(by_catalog, obs, D(2027, 1, 1)).severity is Severity.WARNING
    unwatched = SeverityPolicy(watchlist=("gpt-*",))
    assert unwatched.assess(gone, obs, D(2027, 1, 1)).severity is Severity.WARNING
