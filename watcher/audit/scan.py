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

Speed matters (a CI step on every commit): each file is searched once with one
regex holding every known id as a trie, which leaves most positions at their
first byte; the rare candidates are then checked against the token rule.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

_WORD: Final = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_IDENTIFIER: Final = _WORD | frozenset(b".:@/-")  # characters a token is made of
_SEPARATOR: Final = frozenset(b"/:")
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
        ids = sorted({k.encode() for k in known if _is_token(k.encode())})
        # One pass of one regex per file: the known ids as a trie, so a position that
        # starts no id is left at its first byte; the few candidates are checked in Python.
        self._ids = re.compile(rb"(?<![A-Za-z0-9_])(?:" + _trie(ids) + rb")(?![A-Za-z0-9_])") if ids else None
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
        if self._ids is None:
            return []
        hits: list[Hit] = []
        lines: _Lines | None = None
        search = self._ids.search
        found = search(data)
        while found is not None:
            start, end = found.span()
            token_start = _token_start(data, start)
            if _token_end(data, end) and (token_start == start or data[start - 1] in _SEPARATOR):
                lines = lines or _Lines(data)
                hits.append(lines.hit(token_start, data[token_start:end], found.group(), "model"))
                found = search(data, end)
            else:  # inside a longer identifier: an id may still start further on
                found = search(data, start + 1)
        return hits

    def _pattern_hits(self, data: bytes) -> list[Hit]:
        if self._patterns is None or not any(p in data for p in self._literals):
            return []
        lines = _Lines(data)
        return [lines.hit(m.start(), m.group(), self._product_of[m.group()].encode(), "pattern")
                for m in self._patterns.finditer(data)]


def _is_token(text: bytes) -> bool:
    """Only an id that is a whole token can ever be found as one (`Videos API` is not)."""
    return bool(text) and text[0] in _WORD and text[-1] in _WORD and all(b in _IDENTIFIER for b in text)


def _token_start(data: bytes, start: int) -> int:
    """Where the token holding `start` begins: its run of identifier characters, less
    leading punctuation (a token starts with a letter, digit or underscore)."""
    run = start
    while run > 0 and data[run - 1] in _IDENTIFIER:
        run -= 1
    while run < start and data[run] not in _WORD:
        run += 1
    return run


def _token_end(data: bytes, end: int) -> bool:
    """True when the token ends at `end`: what follows in the run is punctuation only (`sora-2.`)."""
    index = end
    while index < len(data) and data[index] in _IDENTIFIER:
        if data[index] in _WORD:
            return False
        index += 1
    return True


def _trie(ids: list[bytes]) -> bytes:
    """A regex matching exactly `ids`, longest first, written as a trie."""
    root: dict[int, Any] = {}
    for text in ids:
        node = root
        for byte in text:
            node = node.setdefault(byte, {})
        node[-1] = {}  # an id ends here
    return _trie_node(root)


def _trie_node(node: dict[int, Any]) -> bytes:
    branches = [re.escape(bytes([byte])) + _trie_node(child) for byte, child in sorted(node.items()) if byte >= 0]
    if not branches:
        return b""
    body = branches[0] if len(branches) == 1 else b"(?:" + b"|".join(branches) + b")"
    return b"(?:" + body + b")?" if -1 in node else body


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

