"""Pure: a file's bytes in, the places it names a known model id or product pattern out.

Model ids are matched as whole identifiers: a token is a run of identifier
characters (letters, digits, `_ . : @ / -`) that starts with a letter, digit or
underscore and ends with one (so the full stop after `sora-2.` is not part of
it). A token matches when it is a known id, or when what follows one of its `/`
or `:` separators is (`openai/sora-2`, `openai:gpt-4o`, a URL ending in an id).
`sora-2-proxy`, `my_sora-2` and `sora-2.5` are tokens of their own and match
nothing. Matching is case-sensitive: model ids are.

Product patterns (`/videos`, `videos.createAndPoll`) are literal text; an end
of a pattern that is an identifier character must not touch another one
(`videos.create` does not match `videos.created_at`). Where patterns overlap,
the longest one starting first wins.

Speed matters (a CI step on every commit): a file is first reduced to its set of
distinct tokens and intersected with the known ids; positions are worked out
only for the files that have a hit.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Final

TOKEN: Final = re.compile(rb"[A-Za-z0-9_](?:[A-Za-z0-9_.:@/-]*[A-Za-z0-9_])?")
_SEPARATORS: Final = re.compile(rb"[/:]")
_EDGE: Final = rb"A-Za-z0-9_-"  # characters an identifier-like pattern end must not touch
BINARY_SNIFF: Final = 8000  # bytes looked at for a NUL, as git does


@dataclasses.dataclass(frozen=True, slots=True)
class Hit:
    line: int  # 1-based
    column: int  # 1-based, in characters
    written: str  # the token or pattern as it appears
    target: str  # the known id it matched, or the product a pattern belongs to
    kind: str  # "model" or "pattern"
    text: str  # the line, stripped


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:BINARY_SNIFF]


class Scanner:
    """Finds known ids and product patterns in file contents."""

    def __init__(self, known: Collection[str], patterns: Mapping[str, Sequence[str]] | None = None) -> None:
        self._known = frozenset(k.encode() for k in known)
        self._product_of: dict[bytes, str] = {}
        for product, texts in (patterns or {}).items():
            for pattern in texts:
                self._product_of.setdefault(pattern.encode(), product)
        literals = sorted(self._product_of, key=lambda p: (-len(p), p))
        self._literals = literals
        self._patterns = re.compile(b"|".join(_bounded(p) for p in literals)) if literals else None

    def scan(self, data: bytes) -> list[Hit]:
        """Every hit in `data`, in order of position."""
        found = self._model_hits(data) + self._pattern_hits(data)
        return sorted(found, key=lambda h: (h.line, h.column, h.kind, h.written))

    def _model_hits(self, data: bytes) -> list[Hit]:
        matched: dict[bytes, bytes] = {}  # token -> the known id it names
        for token in set(TOKEN.findall(data)):
            target = self._match(token)
            if target is not None:
                matched[token] = target
        if not matched:
            return []
        lines = _Lines(data)
        return [lines.hit(m.start(), m.group(), matched[m.group()], "model")
                for m in TOKEN.finditer(data) if m.group() in matched]

    def _match(self, token: bytes) -> bytes | None:
        if token in self._known:
            return token
        for separator in _SEPARATORS.finditer(token):
            rest = token[separator.end():]
            if rest in self._known:
                return rest
        return None

    def _pattern_hits(self, data: bytes) -> list[Hit]:
        if self._patterns is None or not any(p in data for p in self._literals):
            return []
        lines = _Lines(data)
        return [lines.hit(m.start(), m.group(), self._product_of[m.group()].encode(), "pattern")
                for m in self._patterns.finditer(data)]


def _bounded(pattern: bytes) -> bytes:
    body = re.escape(pattern)
    head = rb"(?<![" + _EDGE + rb"])" if re.match(rb"[" + _EDGE + rb"]", pattern[:1]) else b""
    tail = rb"(?![" + _EDGE + rb"])" if re.match(rb"[" + _EDGE + rb"]", pattern[-1:]) else b""
    return head + body + tail


class _Lines:
    """Offsets to (line, column) for one file's hits."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.starts = [0] + [m.end() for m in re.finditer(rb"\n", data)]

    def hit(self, offset: int, written: bytes, target: bytes, kind: str) -> Hit:
        from bisect import bisect_right

        index = bisect_right(self.starts, offset) - 1
        start = self.starts[index]
        end = self.starts[index + 1] - 1 if index + 1 < len(self.starts) else len(self.data)
        line = self.data[start:end]
        column = len(line[: offset - start].decode("utf-8", errors="replace")) + 1
        return Hit(index + 1, column, written.decode("utf-8", errors="replace"), target.decode(), kind,
                   line.decode("utf-8", errors="replace").strip())

