"""Giving memory back after a big parse, so a months-long process stays small.

Parsing a 2 MB catalog builds tens of megabytes of short-lived objects. Python
frees them, but glibc keeps the pages in its free lists (and per-thread
arenas) unless asked to return them; `malloc_trim(0)` does, where the C
library has it (glibc; a no-op elsewhere). It works best with
PYTHONMALLOC=malloc (set in the systemd unit), which lets freed objects'
pages go back individually instead of only as whole 256 KiB pymalloc arenas.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
from collections.abc import Callable

from watcher.identity import resolve

log = logging.getLogger(__name__)


def _trimmer() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
        return trim
    except (OSError, AttributeError):
        return None


_TRIM = _trimmer()


def release() -> None:
    """Collect cycles, then hand free heap pages back to the kernel. Costs a few ms."""
    # The identity resolver's cache keeps thousands of short strings from the last
    # catalog, pinned across pages that would otherwise be freed: ~7 MB after
    # models.dev. Refilling it costs the next parse a little.
    resolve.cache_clear()
    gc.collect()
    if _TRIM is not None:
        _TRIM(0)
