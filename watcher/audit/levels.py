"""How much an audit finding matters: the levels, declared once for the findings, the
`[audit] fail_on` setting and the `--fail-on` option (worst first, as they are offered)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK: Final = {level: rank for rank, level in enumerate(reversed(Level))}  # note 0 … error 2
LEVEL_NAMES: Final = tuple(level.value for level in Level)
