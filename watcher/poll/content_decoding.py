"""Undoing Content-Encoding with a hard cap on what it may expand to.

httpx decodes a whole network chunk at once, so one 64 KiB chunk of a gzip
bomb becomes ~64 MB in memory before any size check can run. Here every
inflate call is bounded (`max_length`), so memory never exceeds the cap by
more than one byte, whatever the compression ratio.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Final

SUPPORTED: Final = frozenset({"gzip", "x-gzip", "deflate", "identity"})


class TooLarge(Exception):
    """The decoded body would exceed the cap."""


class DecodeError(Exception):
    """The body does not decode as its Content-Encoding says (corrupt or truncated)."""


class UnsupportedEncoding(DecodeError):
    """A Content-Encoding we did not offer and cannot undo."""


def encodings(header: str | None) -> list[str]:
    """Content-Encoding codings in the order they were applied, identity dropped."""
    if not header:
        return []
    codings = [c.strip().lower() for c in header.split(",") if c.strip()]
    return [c for c in codings if c != "identity"]


class _Inflater:
    """One gzip or deflate layer; handles multi-member gzip and zlib-less deflate."""

    def __init__(self, coding: str) -> None:
        self.gzip = coding in ("gzip", "x-gzip")
        self._raw_fallback = not self.gzip  # deflate: servers send both zlib-wrapped and raw
        self._started = False
        self._obj = self._new()

    def _new(self, raw: bool = False) -> zlib._Decompress:
        if self.gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)

    def feed(self, data: bytes, limit: int) -> bytes:
        """Inflate `data`, producing at most `limit` + 1 bytes (one more than allowed signals overflow)."""
        out = bytearray()
        while data and len(out) <= limit:
            try:
                piece = self._obj.decompress(data, limit + 1 - len(out))
            except zlib.error as exc:
                if self._raw_fallback and not self._started:
                    self._raw_fallback = False
                    self._obj = self._new(raw=True)
                    continue
                raise DecodeError(f"corrupt {'gzip' if self.gzip else 'deflate'} body: {exc}") from None
            self._started = True
            out += piece
            if self._obj.unconsumed_tail:
                data = self._obj.unconsumed_tail  # stopped at the limit: loop exits on the length check
            elif self._obj.eof and self._obj.unused_data[:2] == b"\x1f\x8b" and self.gzip:
                data = self._obj.unused_data  # another gzip member follows
                self._obj = self._new()
            else:
                data = b""
        return bytes(out)

    def finish(self) -> None:
        if self._started and not self._obj.eof:
            raise DecodeError("compressed body ends early (truncated)")


class BoundedDecoder:
    """Feed raw body chunks in; get decoded bytes out; TooLarge past `cap` decoded bytes."""

    def __init__(self, content_encoding: str | None, cap: int) -> None:
        codings = encodings(content_encoding)
        unknown = [c for c in codings if c not in SUPPORTED]
        if unknown:
            raise UnsupportedEncoding(f"unsupported Content-Encoding {', '.join(unknown)}")
        # Applied left to right by the server, so undone right to left.
        self._layers: Sequence[_Inflater] = [_Inflater(c) for c in reversed(codings)]
        self.cap = cap
        self.total = 0

    def feed(self, chunk: bytes) -> bytes:
        room = self.cap - self.total
        data = chunk
        for layer in self._layers:
            # An inner layer larger than the cap is refused too: its rest would be lost anyway.
            data = layer.feed(data, room)
            if len(data) > room:
                break
        if len(data) > room:
            raise TooLarge(f"response too large: more than {self.cap} bytes after decoding")
        self.total += len(data)
        return data

    def finish(self) -> None:
        for layer in self._layers:
            layer.finish()
