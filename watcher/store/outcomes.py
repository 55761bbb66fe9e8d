"""A run's outcomes, grouped: light enough for query commands to import (no ORM)."""

from __future__ import annotations

from typing import Final

SUCCESS_OUTCOMES: Final = ("changed", "unchanged", "not_modified", "baseline")
FAILURE_OUTCOMES: Final = ("failed", "refused")
