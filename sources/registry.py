"""Finding sources by name: built-in modules, configured generic kinds, entry points."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any, Final

from sources.base import BuiltinSource, Source

# name -> module exposing `SOURCE: BuiltinSource`. Imported lazily: a command
# that touches one source must not pay for parsing libraries of the others.
BUILTIN: Final[Mapping[str, str]] = {
    "openai-deprecations": "sources.openai_deprecations",
    "openai-pricing": "sources.openai_pricing",
    "openrouter": "sources.openrouter",
    "litellm": "sources.litellm",
    "models-dev": "sources.models_dev",
}

# `type = "…"` in config -> module exposing `configure(name, options) -> Source`.
CONFIGURABLE: Final[Mapping[str, str]] = {
    "json-catalog": "sources.json_catalog",
}

ENTRY_POINT_GROUP: Final = "watcher.sources"


class UnknownSourceError(LookupError):
    pass


def builtin(name: str) -> BuiltinSource:
    try:
        module_name = BUILTIN[name]
    except KeyError:
        raise UnknownSourceError(name) from None
    source: BuiltinSource = importlib.import_module(module_name).SOURCE
    return source


def configure(name: str, options: Mapping[str, Any]) -> Source:
    """The source called `name`, shaped by its `[sources.NAME]` options."""
    kind = options.get("type")
    if kind is not None:
        try:
            module_name = CONFIGURABLE[kind]
        except KeyError:
            raise UnknownSourceError(f"{name}: unknown source type {kind!r}") from None
        source: Source = importlib.import_module(module_name).configure(name, options)
        return source
    if name in BUILTIN:
        found = builtin(name)
        urls = options.get("urls") or ([options["url"]] if options.get("url") else None)
        return found.with_urls(urls) if urls else found
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            loaded = ep.load()
            return loaded if isinstance(loaded, Source) else loaded(name, options)
    raise UnknownSourceError(name)
