"""Providers' lifecycle vocabulary mapped onto `Status`.

Anthropic: Active / Legacy / Deprecated / Retired; Azure: GA / Preview /
Deprecated / Legacy / Retired; Bedrock: Legacy, EOL; Google: stable, preview,
experimental; the model-list APIs: `active`, `deprecated`, `retired`.
"""

from __future__ import annotations

import re
from typing import Final

from sources.blocks import plain
from watcher.model import Status

_WORDS: Final[tuple[tuple[re.Pattern[str], Status], ...]] = tuple(
    (re.compile(pattern), status)
    for pattern, status in (
        (r"^(active|ga|generally available|general availability|stable|available|current)$", Status.ACTIVE),
        (r"^(preview|public preview|private preview|beta|experimental|exp)$", Status.PREVIEW),
        (r"^legacy$", Status.LEGACY),
        (r"^(deprecated|deprecation|sunset|sunsetting)$", Status.DEPRECATED),
        (r"^(retired|retirement|eol|end of life|end-of-life|shut ?down|discontinued|removed)$", Status.RETIRED),
    )
)


def status_of(word: str) -> Status | None:
    """The status a provider's word means; None for a word we do not know (never guessed)."""
    text = plain(word).lower().strip(" .*")
    for pattern, status in _WORDS:
        if pattern.match(text):
            return status
    return None
