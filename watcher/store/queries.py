"""The read side: what the commands and analysts ask. Plain dicts out, ready to render.

Changes and versions are read through Core in `queries_changes` and
`queries_versions` (fast to import and to run); they are re-exported here.
Sources' health is in `queries_sources`.
"""

from __future__ import annotations

from typing import Any

from watcher.store.queries_changes import CHANGE_FIELDS, ChangeFilter, changes
from watcher.store.queries_versions import asof, history, upcoming
from watcher.store.tables import ChangeRecord
from watcher.store.values import iso_time

__all__ = ["ChangeFilter", "asof", "change_dict", "changes", "history", "upcoming"]


def change_dict(c: ChangeRecord) -> dict[str, Any]:
    """A change record as `watcher changes` prints it (the same fields, in the same order).
    `silence_id` set means recorded, but held back by that silence."""
    row = {name: getattr(c, name) for name in CHANGE_FIELDS}
    row["detected_at"] = iso_time(c.detected_at)
    return row
