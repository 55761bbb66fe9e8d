"""The poll step (watcher/poll/step.py): one pure judgement of a body, shared by every path."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from watcher.model import Change, ChangeKind, Observation, PriceKey, Status
from watcher.poll.step import (
    PREVIEW_MODELS,
    SAME_BODY,
    Before,
    Rules,
    poll_step,
    preview_text,
)

RULES = Rules(source="toy", max_loss=0.5, delist_after=2)
PARTIAL = Rules(source="toy", max_loss=0.5, delist_after=2, partial_renderings=True)
INPUT, OUTPUT = PriceKey("input"), PriceKey("output")


def row(key: str, **facts: object) -> Observation:
    return Observation(key=key, provider="openai", model=key, **facts)  # type: ignore[arg-type]


ROWS = [row(f"m{i}", status=Status.ACTIVE, prices={INPUT: Decimal(i + 1)}) for i in range(4)]
PREVIOUS = {obs.key: obs for obs in ROWS}


def before(**kw: object) -> Before:
    return Before(**{"previous": PREVIOUS, "absences": {}, "baseline": False, **kw})  # type: ignore[arg-type]


def test_a_baseline_stores_everything_and_reports_nothing() -> None:
    step = poll_step(ROWS + [ROWS[0]], Before(previous={}, absences={}, baseline=True), RULES)
    assert (step.outcome, step.rows, step.changes, step.error) == ("baseline", 4, (), None)
    assert [obs.key for obs in step.upserts] == ["m0", "m1", "m2", "m3"]
    assert step.believed and step.stated == tuple(ROWS + [ROWS[0]])


def test_an_unchanged_parse() -> None:
    step = poll_step(list(reversed(ROWS)), before(), RULES)
    assert (step.outcome, step.rows, step.changes, step.upserts, step.delisted) == ("unchanged", 4, (), (), ())
    assert dict(step.by_key) == PREVIOUS


def test_a_changed_parse_carries_its_changes_and_rows() -> None:
    moved = [row("m0", status=Status.DEPRECATED, prices={INPUT: Decimal(1)}), *ROWS[1:], row("new")]
    step = poll_step(moved, before(), RULES)
    assert step.outcome == "changed" and step.rows == 5
    assert {(c.source, c.key, c.kind) for c in step.changes} == {
        ("toy", "m0", ChangeKind.STATUS), ("toy", "new", ChangeKind.LISTED)}
    assert step.by_key["m0"].status is Status.DEPRECATED and "new" in step.by_key


def test_a_missing_row_waits_for_its_debounce_then_is_a_change() -> None:
    first = poll_step(ROWS[:3], before(), RULES)
    assert (first.outcome, first.changes, dict(first.absences)) == ("unchanged", (), {"m3": 1})
    second = poll_step(ROWS[:3], before(absences={"m3": 1}), RULES)
    assert second.outcome == "changed" and second.delisted == ("m3",)
    assert [c.kind for c in second.changes] == [ChangeKind.DELISTED]


def test_the_same_body_ages_pending_absences() -> None:
    quiet = poll_step(SAME_BODY, before(), RULES)
    assert (quiet.outcome, quiet.rows, quiet.changes, quiet.stated) == ("unchanged", None, (), None)
    assert (quiet.absences, quiet.by_key, quiet.upserts, quiet.delisted) == ({}, PREVIOUS, (), ())
    pending = poll_step(SAME_BODY, before(absences={"m3": 1}), RULES)
    assert pending.outcome == "changed" and pending.delisted == ("m3",)  # a delisting is a change (issue 12)
    assert [(c.source, c.key) for c in pending.changes] == [("toy", "m3")] and pending.stated is None
    assert pending.by_key == PREVIOUS and pending.absences == {}
    waiting = poll_step(SAME_BODY, Before(previous=PREVIOUS, absences={"m3": 1}, baseline=False),
                        Rules(source="toy", delist_after=3))
    assert (waiting.outcome, dict(waiting.absences)) == ("unchanged", {"m3": 2})


def test_a_parse_error_is_refused_without_a_preview() -> None:
    step = poll_step("not JSON", before(), RULES)
    assert (step.outcome, step.error, step.preview, step.rows) == ("refused", "parse error: not JSON", (), None)
    assert not step.believed
    assert poll_step("not JSON", before(), RULES, accept=True).outcome == "refused"


def test_a_guard_refusal_previews_what_it_would_report_and_can_be_accepted() -> None:
    unpriced = [row(obs.key, status=Status.ACTIVE) for obs in ROWS]
    step = poll_step(unpriced, before(), RULES)
    assert step.outcome == "refused" and "input/per_1m_tokens/standard price" in (step.error or "")
    assert len(step.preview) == 4
    assert all(c.source == "toy" and c.kind is ChangeKind.PRICE and c.new is None for c in step.preview)
    assert step.changes == () and step.upserts == ()
    accepted = poll_step(unpriced, before(), RULES, accept=True)
    assert accepted.outcome == "changed" and len(accepted.changes) == 4 and len(accepted.upserts) == 4


def test_a_collapse_previews_its_rows_as_delisted_at_once() -> None:
    step = poll_step(ROWS[:1], before(), RULES)
    assert step.outcome == "refused"
    assert [(c.key, c.kind) for c in step.preview] == [(k, ChangeKind.DELISTED) for k in ("m1", "m2", "m3")]


def test_an_empty_parse_is_never_accepted() -> None:
    step = poll_step([], before(), RULES, accept=True)
    assert (step.outcome, step.error, step.preview) == ("refused", "parse yielded no rows", ())


def test_a_partial_rendering_carries_what_it_never_stated_and_hides_its_first_additions() -> None:
    html = [*ROWS, row("sora-2", prices={INPUT: Decimal("0.1")})]
    md = ROWS
    previous = {obs.key: obs for obs in html}
    # The .md twin after the HTML, with its own last parse known: sora-2 carried, nothing reported.
    step = poll_step(md, Before(previous=previous, absences={}, baseline=False, earlier=md), PARTIAL)
    assert (step.outcome, step.changes) == ("unchanged", ())
    assert step.stated == tuple(md) and step.rows == 4
    # What this rendering stated last time and no longer does is missing, not carried.
    dropped = poll_step(md[:3], Before(previous=previous, absences={}, baseline=False, earlier=md), PARTIAL)
    assert dict(dropped.absences) == {"m3": 1}
    # The same without partial renderings: sora-2 is missing.
    plain = poll_step(md, Before(previous=previous, absences={}, baseline=False, earlier=md), RULES)
    assert dict(plain.absences) == {"sora-2": 1}
    # A rendering's first poll states its extra rows and prices silently.
    first = poll_step(html, Before(previous=PREVIOUS, absences={}, baseline=False, earlier=None), PARTIAL)
    assert first.outcome == "changed" and first.changes == () and [o.key for o in first.upserts] == ["sora-2"]
    # ... but reports what it changed.
    cheaper = [row("m0", status=Status.ACTIVE, prices={INPUT: Decimal("0.5")}), *html[1:]]
    moved = poll_step(cheaper, Before(previous=PREVIOUS, absences={}, baseline=False, earlier=None), PARTIAL)
    assert [(c.key, c.old, c.new) for c in moved.changes] == [("m0", "1", "0.5")]


def test_a_partial_rendering_with_nothing_recorded_is_a_plain_baseline() -> None:
    step = poll_step(ROWS, Before(previous={}, absences={}, baseline=True, earlier=None), PARTIAL)
    assert step.outcome == "baseline" and len(step.upserts) == 4


def change(kind: ChangeKind, key: str, old: str | None, new: str | None, field: str | None = None) -> Change:
    return Change(source="toy", key=key, provider="openai", model=key, kind=kind, field=field, old=old, new=new)


def test_the_preview_line_counts_by_kind_and_names_sample_rows() -> None:
    assert preview_text([]) == "would report no changes"
    removed = [change(ChangeKind.PRICE, f"gpt-{i}", "10", None, "web_search/per_request/standard")
               for i in range(PREVIEW_MODELS + 2)]
    added = [change(ChangeKind.PRICE, "a", None, "1", "input/per_1m_tokens/standard")]
    moved = [change(ChangeKind.PRICE, "b", "1", "2", "input/per_1m_tokens/standard")]
    text = preview_text([*removed, *added, *moved, change(ChangeKind.DELISTED, "old", "listed", None),
                         change(ChangeKind.REPLACEMENT, "r", "gpt-5", None),
                         change(ChangeKind.SHUTDOWN_DATE, "s", None, "2026-01-01"),
                         change(ChangeKind.STATUS, "t", "active", "deprecated"),
                         change(ChangeKind.ALIASES, "u", "x", "y"),
                         change(ChangeKind.DEADLINE, "v", None, "30 days"),
                         change(ChangeKind.PRICE, "gpt-0", "10", None, "web_search/per_request/standard")])
    assert text == (
        "would report 16 changes: 8 web_search/per_request/standard prices removed: "
        "gpt-0, gpt-1, gpt-2, gpt-3, gpt-4, …; 1 input/per_1m_tokens/standard prices added: a; "
        "1 input/per_1m_tokens/standard prices changed: b; 1 rows delisted: old; 1 replacements removed: r; "
        "1 shutdown dates added: s; 1 statuses changed: t; 1 aliases changed: u; 1 deadline added: v"
    )
    five = preview_text(removed[:PREVIEW_MODELS])
    assert five.endswith("gpt-3, gpt-4") and "…" not in five
    unnamed = Change(source="toy", key="k", provider=None, model=None, kind=ChangeKind.LISTED, field=None,
                     old=None, new="listed")
    assert preview_text([unnamed]) == "would report 1 changes: 1 rows listed: k"


def test_time_and_dates_are_not_the_steps_business() -> None:
    """The step is pure: the same inputs give the same answer (no clock, no database)."""
    dated = [row("m0", shutdown_on=dt.date(2026, 9, 1)), *ROWS[1:]]
    assert poll_step(dated, before(), RULES) == poll_step(dated, before(), RULES)
