"""OpenAI's product timelines and scoped rows, end to end on the real 2026-06-27
capture (issue 9, points 4 and 5): a `Date | Update` table is one row per product
whose shutdown is the date that says it ends, its other dates shown as milestones
by `show` and `history`; "New fine-tuning training on `babbage-002`" is found by
`show babbage-002` and `history babbage-002`, and a watched babbage-002 matches it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.support import FIXTURES, watcher_on
from watcher.app import App
from watcher.config import parse
from watcher.model import Change, ChangeKind
from watcher.severity import is_watched
from watcher.store.codec import from_row
from watcher.store.queries_versions import upcoming

SOURCE = "openai-deprecations"
MD = FIXTURES / "openai_deprecations" / "deprecations-2026-06-27.md"
SCOPED_KEY = "2024-08-29/babbage-002@new-fine-tuning-training"


@pytest.fixture
def app(db_url: str) -> App:
    application = App.create(parse({}, path=None), db_url)
    application.ingest(SOURCE, MD, dt.datetime(2026, 6, 27, tzinfo=dt.UTC))
    return application


def test_upcoming_never_shows_a_product_shutting_down_on_its_announcement_day(app: App) -> None:
    with app.engine.connect() as connection:
        on_the_day = upcoming(connection, today=dt.date(2026, 6, 3), within=dt.timedelta(days=365))
    products = [(r["shutdown_on"], r["model"]) for r in on_the_day if r["key"].startswith("2026-06-03/")]
    assert products == [("2026-11-30", "Agent Builder"), ("2026-11-30", "Evals platform"),
                        ("2026-11-30", "Reusable prompts")]
    assert not [r for r in on_the_day if r["shutdown_on"] == "2026-06-03"]


def test_a_watched_babbage_002_matches_its_scoped_row(app: App) -> None:
    from sqlalchemy import select

    from watcher.store.derived import resolved
    from watcher.store.relations import OBSERVATION_VERSION as V

    with app.engine.connect() as connection:
        row = connection.execute(select(*resolved(V.c)).where(V.c.key == SCOPED_KEY)).one()
    obs = from_row(row)
    change = Change(source=SOURCE, key=obs.key, provider=obs.provider, model=obs.model, kind=ChangeKind.LISTED,
                    field=None, old=None, new="listed")
    assert is_watched(obs, change, ["babbage-002"])
    assert not is_watched(obs, change, ["davinci-002"])


def test_show_and_history_list_milestones_and_scoped_rows(db_url: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")

    watcher = watcher_on(config, db_url)

    watcher("ingest", SOURCE, str(MD), "--observed-at", "2026-06-27T00:00:00Z", "--format", "json")
    (evals,) = json.loads(watcher("show", "Evals platform", "--today", "2026-06-27", "--format", "json"))
    (row,) = evals["sources"]
    # Nothing but the product's own row names it: that row states its shutdown.
    assert (evals["provider"], evals["shutdown_on"]) == ("openai", "2026-11-30")
    assert (row["shutdown_on"], row["milestones"]) == (
        "2026-11-30",
        "2026-06-03: Deprecation announced for the Evals platform.\n2026-10-31: Existing evals become read-only.")
    (history,) = json.loads(watcher("history", "Evals platform", "--format", "json"))
    assert history["milestones"].endswith("2026-10-31: Existing evals become read-only.")

    (babbage,) = json.loads(watcher("show", "babbage-002", "--today", "2026-06-27", "--format", "json"))
    keys = {r["key"]: (r["source_id"], r["shutdown_on"]) for r in babbage["sources"]}
    assert keys == {"2025-09-26/babbage-002": ("babbage-002", "2026-09-28"),
                    SCOPED_KEY: ("New fine-tuning training on babbage-002", "2024-10-28")}
    # The fine-tuning scope's date is not the model's shutdown.
    assert babbage["shutdown_on"] == "2026-09-28"
    assert SCOPED_KEY in {r["key"] for r in json.loads(watcher("history", "babbage-002", "--format", "json"))}


def test_a_moved_milestone_is_reported_and_stored_as_stated() -> None:
    from sources.openai_deprecations import parse as parse_page
    from watcher.model import Document
    from watcher.poll.diff import diff
    from watcher.store.codec import row_values

    def rows(text: str) -> dict[str, object]:
        doc = Document(SOURCE, "https://x/deprecations.md", text.encode(), dt.datetime(2026, 6, 27, tzinfo=dt.UTC))
        return {o.key: o for o in parse_page(doc)}

    text = MD.read_text(encoding="utf-8")
    before = rows(text)
    moved = text.replace("| Oct 31, 2026 | Existing evals become read-only.", "| Nov 15, 2026 | Existing evals become read-only.")
    assert moved != text
    changes = diff(SOURCE, before, list(rows(moved).values())).changes  # type: ignore[arg-type]
    assert [(c.key, c.kind, c.old, c.new) for c in changes] == [(
        "2026-06-03/evals-platform", ChangeKind.MILESTONES,
        "2026-06-03: Deprecation announced for the Evals platform.; 2026-10-31: Existing evals become read-only.",
        "2026-06-03: Deprecation announced for the Evals platform.; 2026-11-15: Existing evals become read-only.")]
    evals = before["2026-06-03/evals-platform"]
    stored = row_values(evals, source=SOURCE, valid_from=dt.datetime(2026, 6, 27, tzinfo=dt.UTC), run_id=1)  # type: ignore[arg-type]
    assert stored["milestones"].count("\n") == 1
