"""Sanity checks between parse and diff (DESIGN.md §6): never cry wolf.

A page that parses to nothing, or to far fewer rows than last time, is almost
always a layout change, an error page or a truncated body, not a mass delisting.
"""

from __future__ import annotations

from collections.abc import Sequence

from watcher.model import Observation


def refusal(observations: Sequence[Observation], previous_rows: int, max_loss: float) -> str | None:
    """Why this parse must not be believed, or None when it may be diffed."""
    if not observations:
        return "parse yielded no rows"
    keys = {obs.key for obs in observations}
    if previous_rows and len(keys) < previous_rows:
        lost = (previous_rows - len(keys)) / previous_rows
        if lost > max_loss:
            return (
                f"parse yielded {len(keys)} rows, {lost:.0%} fewer than the {previous_rows} current rows "
                f"(limit {max_loss:.0%})"
            )
    return None
