"""`watcher sources`: each source's state and since when, last run, last success, failures in a row and current rows.

Read as SQL text (`watcher.store.sql`: no ORM, no application wiring, no SQLAlchemy
on SQLite), so the command starts like the other queries; the same rules as
`polls.last_run` and `polls.consecutive_failures`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from watcher.store.outcomes import FAILURE_OUTCOMES, SUCCESS_OUTCOMES
from watcher.store.source_state import source_state
from watcher.store.sql import Readable, listed, rows, scalar
from watcher.store.values import aware_time, iso_time


def source_summaries(connection: Readable, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per source: its state (ok, refused, failing, new) and since when, last run, last success,
    consecutive failures, current rows."""
    out: dict[str, dict[str, Any]] = {}
    current = _current_rows(connection)
    for name in names:
        last = _last_run(connection, name, successful=False)
        if last is None:  # never polled: nothing more to ask (six queries saved per such source)
            out[name] = {"state": "new", "since": None, "last_run": None, "last_outcome": None,
                         "last_success": None, "failures": 0, "rows": current.get(name, 0), "last_error": None}
            continue
        last_ok = _last_run(connection, name, successful=True)
        failures = scalar(connection, _FAILURES, {"source": name, "after_id": last_ok[0] if last_ok else 0})
        state = source_state(connection, name)
        _, started_at, _, outcome, error = last
        out[name] = {
            "state": state.state,
            "since": iso_time(state.since) if state.since else None,
            "last_run": _stamp(started_at),
            "last_outcome": outcome,
            "last_success": _stamp(last_ok[2]) if last_ok else None,
            "failures": int(failures),
            "rows": current.get(name, 0),
            "last_error": error if outcome in FAILURE_OUTCOMES else None,
        }
    return out


def _stamp(value: Any) -> str | None:
    at = aware_time(value)
    return iso_time(at) if at else None


# Grouped without a source filter on purpose: SQLite then counts the partial index of
# current rows alone (4 ms for 40,000 rows), where `source = ?` sends it through the
# index of every version (30 ms a source).
_CURRENT_ROWS: Final = "SELECT source, count(*) FROM version_record WHERE valid_to IS NULL GROUP BY source"


def _current_rows(connection: Readable) -> dict[str, int]:
    """Current rows per source, all sources at once."""
    return {source: int(count) for source, count in rows(connection, _CURRENT_ROWS)}


# Built once, bound per source.
_FAILURES: Final = (f"SELECT count(*) FROM run WHERE source = :source AND outcome IN {listed(FAILURE_OUTCOMES)} "
                    "AND id > :after_id")
_LAST_RUN: Final = "SELECT id, started_at, observed_at, outcome, error FROM run WHERE source = :source"
_LAST_RUNS: Final = {
    successful: f"{_LAST_RUN}{f' AND outcome IN {listed(SUCCESS_OUTCOMES)}' if successful else ''} "
                "ORDER BY started_at DESC, id DESC LIMIT 1"
    for successful in (False, True)
}


def _last_run(connection: Readable, source: str, *, successful: bool) -> Any:
    """(id, started_at, observed_at, outcome, error) of the newest run (or successful run), or None."""
    return next(rows(connection, _LAST_RUNS[successful], {"source": source}), None)
