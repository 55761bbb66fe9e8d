"""The pure disagreement rules: which catalog rows disagree with the provider, and
the changes that report each disagreement once when it appears and once when it goes."""

from __future__ import annotations

import datetime as dt

from watcher.disagreements.rules import (
    RESOLVED,
    HistoryRow,
    Kind,
    Row,
    effective_shutdowns,
    find,
    open_from_history,
    reconcile,
)
from watcher.model import ChangeKind, Observation

D = dt.date


def official(key: str, model: str, shutdown: dt.date | None, announced: dt.date | None,
             aliases: tuple[str, ...] = (), qualifier: str | None = None) -> Row:
    return Row("openai-deprecations", Observation(
        key=key, provider="openai", model=model, aliases=aliases, announced_on=announced,
        shutdown_on=shutdown, shutdown_qualifier=qualifier))


def catalog(source: str, source_id: str, model: str, shutdown: dt.date | None = None,
            distribution: str | None = None) -> Row:
    return Row(source, Observation(key=source_id, provider="openai", model=model, source_id=source_id,
                                   distribution=distribution, shutdown_on=shutdown))


SORA = official("2026-03-24/sora-2", "sora-2", D(2026, 9, 24), D(2026, 3, 24))
SORA_PRO = official("2026-03-24/sora-2-pro", "sora-2-pro", D(2026, 9, 24), D(2026, 3, 24))
DATED = {"litellm", "openrouter"}


def kinds(found: list) -> set[tuple[str, str, Kind]]:  # type: ignore[type-arg]
    return {(d.source, d.model, d.kind) for d in found}


def test_the_latest_announcement_gives_the_effective_date_and_aliases_match() -> None:
    rows = [
        official("2025-09-26/gpt-4-1106-preview", "gpt-4-1106-preview", D(2026, 3, 26), D(2025, 9, 26)),
        official("2026-04-22/gpt-4-1106-preview", "gpt-4-1106-preview", D(2026, 10, 23), D(2026, 4, 22)),
        official("2026-04-22/gpt-4-0613", "gpt-4-0613", D(2026, 10, 23), D(2026, 4, 22), aliases=("gpt-4",)),
        # `gpt-4` also has a row of its own: its own row wins over being an alias.
        official("2024-06-06/gpt-4", "gpt-4", D(2025, 6, 6), D(2024, 6, 6)),
        official("2024-01-01/text-x", "text-x", None, D(2024, 1, 1), aliases=("text-y",)),
    ]
    found = effective_shutdowns(rows)
    assert found[("openai", "gpt-4-1106-preview")].shutdown_on == D(2026, 10, 23)
    assert found[("openai", "gpt-4")].shutdown_on == D(2025, 6, 6)
    assert ("openai", "text-x") not in found and ("openai", "text-y") not in found

    aliased = effective_shutdowns(rows[:3])
    assert aliased[("openai", "gpt-4")].shutdown_on == D(2026, 10, 23)
    assert aliased[("openai", "gpt-4")].row.model == "gpt-4-0613"

    # The price list's own undated rows for `gpt-4` and `gpt-4-0613` hide no date.
    priced = [Row("openai-pricing", Observation(key=m, provider="openai", model=m)) for m in ("gpt-4", "gpt-4-0613")]
    with_prices = effective_shutdowns([*priced, *rows[:3], *priced])
    assert with_prices[("openai", "gpt-4")].shutdown_on == D(2026, 10, 23)
    assert with_prices[("openai", "gpt-4-0613")].source == "openai-deprecations"


def test_the_three_kinds_and_who_is_compared() -> None:
    officials = effective_shutdowns([SORA, SORA_PRO])
    rows = [
        catalog("litellm", "sora-2", "sora-2"),  # no date
        catalog("litellm", "openai/sora-2", "sora-2"),  # no date, same model: one disagreement
        catalog("litellm", "sora-2-pro", "sora-2-pro", D(2026, 10, 1)),  # differs
        catalog("litellm", "azure/sora-2", "sora-2", distribution="azure"),  # Azure's own schedule
        catalog("openrouter", "openai/sora-2-pro", "sora-2-pro"),
        catalog("models-dev", "sora-2", "sora-2"),  # a catalog with no date field at all
        catalog("openrouter", "openai/gpt-4o", "gpt-4o"),  # the provider says nothing
    ]
    before = find(officials, rows, D(2026, 8, 19), dated_sources=DATED)
    assert kinds(before) == {
        ("litellm", "sora-2", Kind.NO_SHUTDOWN_DATE),
        ("litellm", "sora-2-pro", Kind.SHUTDOWN_DIFFERS),
        ("openrouter", "sora-2-pro", Kind.NO_SHUTDOWN_DATE),
    }
    texts = {d.kind: d.text for d in before if d.source == "litellm"}
    assert texts[Kind.NO_SHUTDOWN_DATE] == (
        "litellm lists openai/sora-2, sora-2 with no shutdown date; openai shuts it down 2026-09-24")
    assert texts[Kind.SHUTDOWN_DIFFERS] == "litellm says sora-2-pro shuts down 2026-10-01; openai says 2026-09-24"

    on_the_day = find(officials, rows, D(2026, 9, 24), dated_sources=DATED)
    assert not any(d.kind is Kind.LISTED_AFTER_SHUTDOWN for d in on_the_day)
    after = find(officials, rows, D(2026, 9, 25), dated_sources=DATED)
    listed = {d.text for d in after if d.kind is Kind.LISTED_AFTER_SHUTDOWN}
    assert listed == {
        "litellm still lists openai/sora-2, sora-2 after shutdown 2026-09-24",
        "litellm still lists sora-2-pro after shutdown 2026-09-24",
        "openrouter still lists openai/sora-2-pro after shutdown 2026-09-24",
        "models-dev still lists sora-2 after shutdown 2026-09-24",
    }


def test_vague_provider_dates_are_compared_as_vague() -> None:
    officials = effective_shutdowns([
        official("2023-06-13/gpt-x", "gpt-x", D(2024, 6, 13), D(2023, 6, 13), qualifier="earliest"),
        official("2026-01-01/gpt-y", "gpt-y", D(2026, 6, 1), D(2026, 1, 1), qualifier="month"),
    ])
    rows = [catalog("litellm", "gpt-x", "gpt-x", D(2024, 9, 1)), catalog("litellm", "gpt-y", "gpt-y", D(2026, 6, 30))]
    assert find(officials, rows, D(2026, 6, 30), dated_sources=DATED) == []
    # "at earliest" never says the model is gone; "June 2026" is gone once June is.
    assert kinds(find(officials, rows, D(2026, 7, 1), dated_sources=DATED)) == {
        ("litellm", "gpt-y", Kind.LISTED_AFTER_SHUTDOWN)}
    early = [catalog("litellm", "gpt-x", "gpt-x", D(2024, 1, 1))]
    assert kinds(find(officials, early, D(2024, 1, 1), dated_sources=DATED)) == {
        ("litellm", "gpt-x", Kind.SHUTDOWN_DIFFERS)}


def test_reported_once_when_it_appears_and_once_when_resolved() -> None:
    officials = effective_shutdowns([SORA])
    undated = [catalog("litellm", "sora-2", "sora-2")]
    history: list[HistoryRow] = []

    def step(rows: list[Row]) -> list[tuple[str | None, str | None]]:
        found = find(officials, rows, D(2026, 8, 19), dated_sources=DATED)
        appeared, resolved = reconcile(found, open_from_history(history))
        changes = [c for c, _ in appeared] + resolved
        history.extend((c.source, c.key, c.provider, c.model, c.field or "", c.new, None) for c in changes)
        assert all(c.kind is ChangeKind.DISAGREEMENT and c.key == "openai/sora-2" for c in changes)
        return [(c.old, c.new) for c in changes]

    text = "litellm lists sora-2 with no shutdown date; openai shuts it down 2026-09-24"
    assert step(undated) == [(None, text)]
    assert step(undated) == []  # still open: not reported again
    assert step(undated + [catalog("litellm", "openai/sora-2", "sora-2")]) == []  # same disagreement
    assert step([catalog("litellm", "sora-2", "sora-2", D(2026, 9, 24))]) == [(text, RESOLVED)]
    assert step([catalog("litellm", "sora-2", "sora-2", D(2026, 9, 24))]) == []
    assert step(undated) == [(None, text)]  # back again: a new disagreement
