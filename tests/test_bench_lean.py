"""bench.lean's table (issue 13 point 4): which figure is held against which target and
peer, and the peak-RSS reading the urlwatch memory figure comes from. Nothing here
times anything; the measurements themselves are the bench modules'."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.common import peak_rss_kb
from bench.lean import Row, render, rows

STARTUP = {"urlwatch_list_ms": 200.0, "commands": {"changes": 250.0, "sources": 300.0},
           "floors": {"import sqlite3, typer": 120.0}, "target_ratio": 1.3}
STORAGE = {"file_bytes": 3_610_000, "urlwatch_bytes": 12_900_000, "changed_rows": 6107, "refused": 0,
           "structured": 3_030_000, "urlwatch_peak_rss_kb": 100 * 1024, "recording_peak_rss_kb": 150 * 1024,
           "parts": {"raw": 500_000, "versions": 1_160_000, "versions_indexes": 690_000, "changes": 890_000,
                     "changes_indexes": 290_000, "indexes": 980_000, "other": 80_000, "unused": 380_000}}
DAY = {"polls": 436, "refused": 0, "changed_polls_by_source": {"litellm": 9, "openrouter": 2},
       "rss_after_mb": 76.5, "rss_peak_mb": 84.2, "with_children_peak_mb": 170.5}


def by_figure(daemon: dict[str, object]) -> dict[str, Row]:
    return {row.figure: row for row in rows(STARTUP, STORAGE, daemon)}


def test_start_up_holds_by_its_ratio_to_urlwatch_list() -> None:
    table = by_figure({"page": DAY})
    changes, sources = table["start-up: watcher changes"], table["start-up: watcher sources"]
    assert (changes.ratio, changes.holds) == (1.25, True)
    assert (sources.ratio, sources.holds) == (1.5, False)


def test_storage_and_memory_hold_by_their_own_figure_and_name_the_changed_polls() -> None:
    table = by_figure({"page": DAY})
    database = table["database after the 9 releases (0 refused)"]
    assert (database.ratio, database.holds) == (0.28, False)
    per_row = table["structured history per changed row (6107 rows)"]
    assert (per_row.ours, per_row.holds) == (496, True)
    day = table["daemon RSS after a simulated day (page on, loaded)"]
    assert (day.peer, day.holds) == (100.0, True)
    assert table["  changed polls that day (litellm 9, openrouter 2; of 436, 0 refused)"].ours == 11


def test_without_urlwatch_the_peer_columns_are_empty_and_ratio_targets_undecided() -> None:
    startup = {**STARTUP, "urlwatch_list_ms": None}
    storage = {**STORAGE, "urlwatch_bytes": None, "urlwatch_peak_rss_kb": None}
    table = rows(startup, storage, {"page": DAY})
    assert all(row.ratio is None for row in table)
    assert next(row for row in table if row.figure == "start-up: watcher changes").holds is None
    text = render(table)
    assert "urlwatch --list" not in text
    assert "yes" in text  # the absolute targets still hold or not


def test_peak_rss_is_the_childs_own_high_water_mark() -> None:
    small = peak_rss_kb([sys.executable, "-c", "pass"])
    # A bare interpreter, not the bare interpreter plus this test process (what a child
    # forked from here would read as: its peak starts from its parent's size).
    assert small < 30_000
    big = peak_rss_kb([sys.executable, "-c", "b = bytearray(80_000_000); b[::4096] = b'x' * len(b[::4096])"])
    assert big - small > 70_000
    with pytest.raises(subprocess.CalledProcessError):
        peak_rss_kb([sys.executable, "-c", "raise SystemExit(3)"])
