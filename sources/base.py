"""The source contract (DESIGN.md §4)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from watcher.model import Document, Observation


@runtime_checkable
class Source(Protocol):
    @property
    def name(self) -> str:
        """Config key, DB key, CLI argument."""
        ...

    @property
    def urls(self) -> Sequence[str]:
        """Tried in order, e.g. the .md twin before the HTML page."""
        ...

    @property
    def parser_version(self) -> str:
        """Bump when parse() output changes for the same bytes (drives re-parsing)."""
        ...

    def parse(self, doc: Document) -> list[Observation]:
        """Pure: the same document always yields the same observations; raises ParseError."""
        ...


@dataclasses.dataclass(frozen=True, slots=True)
class BuiltinSource:
    """A source whose parser is a plain module-level function."""

    name: str
    urls: tuple[str, ...]
    parser_version: str
    parse_fn: Callable[[Document], list[Observation]]
    description: str = ""
    # The URLs are renderings that state different subsets (a `.md` twin without
    # some tables): polls are compared like with like (see watcher.renderings).
    partial_renderings: bool = False

    def parse(self, doc: Document) -> list[Observation]:
        return self.parse_fn(doc)

    def with_urls(self, urls: Sequence[str]) -> BuiltinSource:
        return dataclasses.replace(self, urls=tuple(urls))
