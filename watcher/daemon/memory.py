"""Giving memory back after a big parse, so a months-long process stays small.

Parsing a 2 MB catalog builds tens of megabytes of short-lived objects. Python
frees them, but glibc keeps the pages in its free lists (and per-thread
arenas) unless asked to return them; `malloc_trim(0)` does, where the C
library has it (glibc; a no-op elsewhere). It works best with
PYTHONMALLOC=malloc (set in the systemd unit), which lets freed objects'
pages go back individually instead of only as whole 256 KiB pymalloc arenas.
`tune_allocator` caps glibc's per-thread arenas and pins its mmap threshold, so
big buffers never fragment the heap.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
from collections.abc import Callable

from watcher.identity import resolve

log = logging.getLogger(__name__)


# glibc mallopt parameter numbers (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
_ARENAS = 1  # the threads allocate little at once: contention costs nothing here
# Buffers above this size (a 2 MB catalog body, its decoded text) get pages of
# their own that go back to the kernel on free. Setting it also stops glibc
# from raising the threshold after each big free, which is what otherwise
# parks those buffers on the heap and fragments it for the process's life.
_BIG = 128 * 1024
# SQLite keeps up to 2 MiB of pages per connection by default, filled by the daemon's
# long-lived connection as the history grows (a few full reads of a catalog's
# versions) and never handed back. The file's pages stay in the kernel's cache,
# so a smaller one costs a read() per page missed, not a disk read.
SQLITE_CACHE_KIB = 256


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def _trimmer() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = _libc().malloc_trim  # type: ignore[union-attr]
        return trim
    except AttributeError:
        return None


_TRIM = _trimmer()


def tune_allocator() -> None:
    """Before the daemon starts its threads: cap glibc's malloc arenas (one per
    thread otherwise) and fix the mmap/trim thresholds, as MALLOC_ARENA_MAX=1
    MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=131072 would.
    A no-op where the C library is not glibc."""
    libc = _libc()
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None:
        return
    for parameter, value in ((_M_ARENA_MAX, _ARENAS), (_M_MMAP_THRESHOLD, _BIG), (_M_TRIM_THRESHOLD, _BIG)):
        if mallopt(parameter, value) != 1:
            log.debug("mallopt(%d, %d) refused", parameter, value)


def release() -> None:
    """Collect cycles, then hand free heap pages back to the kernel. Costs a few ms."""
    # The identity resolver's cache keeps thousands of short strings from the last
    # catalog, pinned across pages that would otherwise be freed: ~7 MB after
    # models.dev. Refilling it costs the next parse a little.
    resolve.cache_clear()
    gc.collect()
    if _TRIM is not None:
        _TRIM(0)
