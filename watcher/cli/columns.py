"""The columns a row's stated facts print as, in every listing of rows (`check`,
`history`, `asof`, `show`): one order, so the listings read alike."""

from __future__ import annotations

from typing import Final

FACT_COLUMNS: Final = ("status", "shutdown_on", "replacement", "prices", "availability", "milestones")
