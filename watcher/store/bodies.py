"""How a raw body is stored: whole (xz), or as a zstd delta against an earlier body.

Most of a catalog is the same from one release to the next. Compressed with the
source's previous body as a raw-content dictionary, the eight later of the nine
LiteLLM releases take 0.12 MB instead of 0.46 MB whole (issue 13), at ~30 ms each
to encode and ~2 ms to decode. Pure functions: which body is the base, and reading
the rows of a chain, is `watcher.store.documents`'.
"""

from __future__ import annotations

import lzma
import sys
import zlib
from collections.abc import Callable
from typing import Final

if sys.version_info >= (3, 14):  # PEP 784: zstd in the standard library
    from compression import zstd
else:  # the official backport of the same module, for 3.11–3.13
    from backports import zstd

FULL: Final = "xz"
DELTA: Final = "zstd-delta"
# A delta's base may itself be a delta; a body at most this many deltas from a whole
# one is read with at most MAX_CHAIN + 1 decompressions (~20 ms for LiteLLM's 2 MB
# catalog, under 0.5 s for a 30 MB one). A whole body (~55 KB for that catalog) costs
# what 3–4 deltas do, so one every nine bodies leaves the archive within a third of
# an endless chain's size, and a damaged row spoils at most eight bodies after it.
MAX_CHAIN: Final = 8

# Level 11 with 512k-entry hash and chain tables: 0.118 MB for the eight deltas, in
# 14 MB of working memory (xz preset 2 needs ~17 MB). Level 19 makes 0.095 MB but wants
# 70 MB and 0.5 s a body, more than the daemon can spare (issue 13, point 2).
_LEVEL: Final = 11
_TABLE_LOG: Final = 19
# The decoder's default limit (128 MB): larger windows would need it raised to read back.
_MAX_WINDOW_LOG: Final = 27


class MissingBaseError(LookupError):
    """A stored delta whose base body is not stored (the archive was altered by hand)."""

    def __init__(self, digest: str, base: str) -> None:
        super().__init__(f"stored document {digest[:12]} is a delta against {base[:12]}, which is not stored: "
                         "the raw archive is damaged (a row deleted outside retention?)")
        self.digest = digest
        self.base = base


def encode_full(body: bytes) -> bytes:
    # xz at preset 2 keeps the nine LiteLLM releases' catalogs in 0.48 MB (zlib: 0.64 MB)
    # for 0.1 s more per 2 MB body, needing ~17 MB while it works (bz2 -9: 0.39 MB but
    # 0.5 s per body; xz -6 wants 94 MB, which the daemon cannot spare). zstd without a
    # dictionary at the delta's settings takes 0.44 MB for the eight later releases against
    # xz's 0.46 MB: too little to make every whole body stored so far a second format.
    return lzma.compress(body, preset=2)


def encode_delta(body: bytes, base: bytes) -> bytes:
    """`body` compressed with `base` as a raw-content dictionary."""
    # The window spans base and body, so that a match late in the body may reach the
    # same place in the base (zstd's default window for a 2 MB input is 4 MB at most).
    window = min(max((len(base) + len(body)).bit_length(), 10), _MAX_WINDOW_LOG)
    p = zstd.CompressionParameter
    options: dict[int, int] = {p.compression_level: _LEVEL, p.hash_log: _TABLE_LOG, p.chain_log: _TABLE_LOG, p.window_log: window}
    return zstd.compress(body, options=options, zstd_dict=zstd.ZstdDict(base, is_raw=True))


def encode(body: bytes, base: bytes | None) -> tuple[str, bytes]:
    """(compression, stored bytes): a delta against `base` when there is one and it is
    smaller than the whole body, else the whole body."""
    full = encode_full(body)
    if base is None or len(base) < 8:  # zstd takes no shorter dictionary (nor would it help)
        return FULL, full
    delta = encode_delta(body, base)
    return (DELTA, delta) if len(delta) < len(full) else (FULL, full)


def decode(stored: bytes, compression: str, base: bytes | None = None) -> bytes:
    """The body back; a delta needs its base's body."""
    if compression == DELTA:
        if base is None:
            raise ValueError("a zstd delta is decoded with its base body")
        return zstd.decompress(stored, zstd_dict=zstd.ZstdDict(base, is_raw=True))
    if compression == "xz":
        return lzma.decompress(stored)
    return zlib.decompress(stored) if compression == "zlib" else stored  # zlib: before migration 0004


# (compression, stored bytes, base) of the row stored under a digest; None: no such row.
Row = tuple[str, bytes, str | None]


def resolve(digest: str, row: Callable[[str], Row | None]) -> bytes | None:
    """The body stored under `digest`, reading each row of its chain with `row` (None:
    not stored; `MissingBaseError`: a delta's base is not)."""
    chain: list[tuple[str, bytes]] = []  # the body asked for first, a whole body last
    wanted: str | None = digest
    while wanted is not None:
        found = row(wanted)
        if found is None:
            if not chain:
                return None
            raise MissingBaseError(digest, wanted)
        compression, stored, base = found
        chain.append((compression, stored))
        wanted = base if compression == DELTA else None
    body: bytes | None = None
    for compression, stored in reversed(chain):
        body = decode(stored, compression, body)
    return body
