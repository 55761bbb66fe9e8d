"""The source contract (docs/architecture.md, "The source contract"): what a source is, and what it tells the engine about itself.

A source states once everything the engine needs to know, so that adding one
touches nothing else: whose own word it is (`first_party`), whether it reads one
account's view through an API key (`account_view`), whether its URLs are
renderings stating different subsets (`partial_renderings`), and its own config
options with defaults and help (`options`). Severity, disagreements, reminders,
`watcher show` and config validation all read these declarations.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from watcher.model import Document, Observation


@dataclasses.dataclass(frozen=True, slots=True)
class Option:
    """One `[sources.NAME]` key a source reads, beyond the schedule keys every source has.

    The default's type is the option's type. A `secret` option is expanded like a
    channel URL (`${ENV}`, `${ENV:-}`, `${credential:NAME}`, `${file:/path}`), never
    shown, and only reaches the source's `headers`, never `parse`. While a `required`
    option is empty the source is off (an API key nobody configured).
    """

    name: str
    default: Any
    help: str
    secret: bool = False
    required: bool = False


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

    @property
    def first_party(self) -> str | None:
        """The provider this source speaks for first-hand ("anthropic"), None for a catalog.

        Its rows with no `distribution` are that provider's own word: the dates the
        catalogs are held to, and a watched model it delists is critical. Rows
        with a distribution (Anthropic's Bedrock table) are that platform's own
        schedule, never a statement about the maker's."""
        ...

    @property
    def account_view(self) -> bool:
        """True when it reads what one account can call (a model-list API with a key):
        first-hand, but compared with the provider's pages rather than defining them."""
        ...

    @property
    def partial_renderings(self) -> bool:
        """The URLs are renderings stating different subsets (a `.md` twin without some
        tables): polls are compared like with like (see watcher.poll.renderings)."""
        ...

    @property
    def options(self) -> Sequence[Option]:
        """Its own config options (with defaults and help)."""
        ...

    def headers(self) -> Mapping[str, str]:
        """Extra request headers (an API key); never logged."""
        ...

    def next_page(self, doc: Document) -> str | None:
        """The URL of the page after `doc` when the upstream paginates, else None."""
        ...

    def parse(self, doc: Document) -> list[Observation]:
        """Pure: the same document always yields the same observations; raises ParseError."""
        ...


def _no_headers(_values: Mapping[str, Any]) -> Mapping[str, str]:
    return {}


def _one_page(_doc: Document) -> str | None:
    return None


@dataclasses.dataclass(frozen=True, slots=True)
class BuiltinSource:
    """A source whose parser is a plain function: the usual way to write one (third-party too).

    `parse_fn(doc, **options)` receives the source's non-secret options as keyword
    arguments (with their defaults when the config does not set them).
    """

    name: str
    urls: tuple[str, ...]
    parser_version: str
    parse_fn: Callable[..., list[Observation]]
    description: str = ""
    first_party: str | None = None
    account_view: bool = False
    partial_renderings: bool = False
    options: tuple[Option, ...] = ()
    # (options) -> request headers; options include the revealed secrets' `Secret`s.
    headers_fn: Callable[[Mapping[str, Any]], Mapping[str, str]] = _no_headers
    next_page_fn: Callable[[Document], str | None] = _one_page
    values: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # options as configured

    def parse(self, doc: Document) -> list[Observation]:
        return self.parse_fn(doc, **self.parse_options())

    def parse_options(self) -> dict[str, Any]:
        return {o.name: self.values.get(o.name, o.default) for o in self.options if not o.secret}

    def headers(self) -> Mapping[str, str]:
        return self.headers_fn({o.name: self.values.get(o.name, o.default) for o in self.options})

    def next_page(self, doc: Document) -> str | None:
        return self.next_page_fn(doc)

    def with_urls(self, urls: Sequence[str]) -> BuiltinSource:
        return dataclasses.replace(self, urls=tuple(urls))

    def with_options(self, values: Mapping[str, Any]) -> BuiltinSource:
        """This source as configured. Options that change what parse reads from the
        same bytes change the parser version (the next poll re-reads, never diffs
        across the edit); secrets and defaults do not."""
        changed = sorted((k, repr(v)) for k, v in self.parse_options_of(values).items()
                         if v != self._default(k))
        version = self.parser_version.split("+", 1)[0]
        if changed:
            version += "+" + hashlib.sha256(repr(changed).encode()).hexdigest()[:8]
        return dataclasses.replace(self, values=dict(values), parser_version=version)

    def parse_options_of(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {o.name: values.get(o.name, o.default) for o in self.options if not o.secret}

    def _default(self, name: str) -> Any:
        return next(o.default for o in self.options if o.name == name)
