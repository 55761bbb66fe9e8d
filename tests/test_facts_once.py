"""Each fact stated once (docs/architecture.md, "Changes, severity and disagreements"): the change kinds and
compared fields are declared in watcher/model.py; everything else derives from them."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

from watcher.model import COMPARED, DIFF_KIND_NAMES, KIND_NAMES, KINDS, SEVERITY_NAMES, ChangeKind, Severity
from watcher.poll.replay import DERIVED_KINDS

WATCHER = Path(__file__).resolve().parent.parent / "watcher"
# Kind names that name nothing else (`status`, `price`, `delisted`, `source_health` also
# name columns, options, digest categories or views).
_DISTINCT_KIND_NAMES = {"shutdown_date", "announced_date"}


def test_every_kind_is_declared_once_with_its_text() -> None:
    assert set(KINDS) == set(ChangeKind)
    assert tuple(k.value for k in ChangeKind) == KIND_NAMES
    assert {c.kind for c in COMPARED} <= set(ChangeKind)
    assert DERIVED_KINDS == DIFF_KIND_NAMES


def test_the_cli_offers_the_declared_kinds_and_severities() -> None:
    from watcher.cli.queries import changes

    hints = typing.get_type_hints(changes, include_extras=True)
    for name, declared in (("kind", KIND_NAMES), ("severity", SEVERITY_NAMES)):
        help_text = str(hints[name].__metadata__[0].help)
        assert all(value in help_text for value in declared), (name, help_text)
    assert tuple(s.value for s in Severity) == SEVERITY_NAMES


def test_no_module_restates_a_kind_name() -> None:
    """A kind spelt as a string literal outside its declaration is a second statement
    of it: use `ChangeKind.X.value` (or the derived tables) instead."""
    found = []
    for path in sorted(WATCHER.rglob("*.py")):
        if (path.name == "model.py" and path.parent == WATCHER) or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in _DISTINCT_KIND_NAMES:
                found.append(f"{path.relative_to(WATCHER.parent)}:{node.lineno} {node.value!r}")
    assert found == []


def test_every_compared_fact_is_shown_in_its_declared_text() -> None:
    """A listing derives its facts from COMPARED: a fact added there shows in `watcher check`
    and is placed in the listings of stored rows or declared as `check`'s only."""
    import datetime as dt
    from decimal import Decimal

    from watcher.model import Observation, PriceKey, Status
    from watcher.present import CHECK_ONLY_FACTS, LISTED_FACTS, observation_dict
    from watcher.show import _source_row
    from watcher.store.catalog import Found

    fields = {c.field for c in COMPARED}
    assert set(LISTED_FACTS) | CHECK_ONLY_FACTS == fields
    assert not set(LISTED_FACTS) & CHECK_ONLY_FACTS
    obs = Observation("k", "openai", "m", aliases=("a", "b"), status=Status.DEPRECATED,
                      announced_on=dt.date(2026, 1, 2), shutdown_on=dt.date(2026, 6, 1), shutdown_qualifier="earliest",
                      replacement=("n",), prices={PriceKey("input"): Decimal("2.5")}, availability="eu",
                      milestones=("2026-03-01: read-only.", "2026-04-01: gone."))
    checked = observation_dict(obs)
    for c in COMPARED:
        if c.text is not None and c.kind is not ChangeKind.MILESTONES:
            assert checked[c.field] == c.text(obs), c.field
    assert checked["milestones"] == "2026-03-01: read-only.\n2026-04-01: gone."
    assert checked["prices"] == "input/per_1m_tokens/standard 2.5"
    shown = _source_row(Found("src", obs, dt.datetime(2026, 1, 1, tzinfo=dt.UTC)), {}, {})
    assert [f for f in shown if f in fields] == list(LISTED_FACTS)
    assert shown["shutdown_on"] == "2026-06-01 (earliest)" and shown["prices"] == {"input/per_1m_tokens/standard": "2.5"}
