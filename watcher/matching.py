"""One matcher for routes and severity rules: does a change fit a `when` table?

A `when` table maps criteria to a value or a list of accepted values:
`source`, `provider`, `kind`, `severity` (exact), `model` (glob), `watchlist` (bool).
Absent criteria match everything.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from watcher.model import Change

# What a `when` table may say (the config rejects anything else).
WHEN_CRITERIA: Final = frozenset({"source", "provider", "model", "kind", "severity", "watchlist"})


def watched(names: Iterable[str | None], watchlist: Sequence[str]) -> bool:
    """True when any of the row's names (model, key, source id, aliases) fits a watchlist glob."""
    for name in names:
        if name and any(fnmatch.fnmatchcase(name, pattern) for pattern in watchlist):
            return True
    return False


def _accepted(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def matches(when: Mapping[str, Any], change: Change, *, is_watched: bool, severity: str | None = None) -> bool:
    for criterion, value in when.items():
        if criterion == "watchlist":
            if bool(value) != is_watched:
                return False
        elif criterion == "model":
            name = change.model or change.key
            if not any(fnmatch.fnmatchcase(name, glob) for glob in _accepted(value)):
                return False
        elif criterion == "severity":
            if (severity or change.severity.value) not in _accepted(value):
                return False
        else:
            actual = {"source": change.source, "provider": change.provider, "kind": change.kind.value}.get(criterion)
            if actual not in _accepted(value):
                return False
    return True
