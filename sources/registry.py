"""Finding sources by name: built-in modules, configured generic kinds, entry points.

The engine's knowledge of sources comes from here and only here: the names a
config may use, whose word is first-hand (`first_party_sources`), which of those
define a provider's dates (`reference_sources`), and each source's own options.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from typing import Any, Final

from sources.base import BuiltinSource, Option, Source

# name -> module exposing `SOURCE: BuiltinSource`. Imported lazily: a command
# that touches one source must not pay for parsing libraries of the others.
BUILTIN: Final[Mapping[str, str]] = {
    "openai-deprecations": "sources.openai_deprecations",
    "openai-pricing": "sources.openai_pricing",
    "openrouter": "sources.openrouter",
    "litellm": "sources.litellm",
    "models-dev": "sources.models_dev",
    "anthropic-deprecations": "sources.anthropic_deprecations",
    "gemini-deprecations": "sources.gemini_deprecations",
    "vertex-model-versions": "sources.vertex_model_versions",
    "azure-retirements": "sources.azure_retirements",
    "bedrock-lifecycle": "sources.bedrock_lifecycle",
    "mistral-models": "sources.mistral_models",
    # Account views: off unless their API key is configured.
    "openai-account": "sources.openai_account",
    "anthropic-account": "sources.anthropic_account",
    "mistral-account": "sources.mistral_account",
}

# The key of a `[sources.NAME]` table that makes it a configurable source: `type = "…"`.
TYPE_KEY: Final = "type"
# `type = "…"` in config -> module exposing `configure(name, options) -> Source`.
CONFIGURABLE: Final[Mapping[str, str]] = {
    "json-catalog": "sources.json_catalog",
}

ENTRY_POINT_GROUP: Final = "watcher.sources"
# Keys every source takes (the scheduling and guard keys are the config's own).
URL_KEYS: Final = frozenset({"url", "urls"})


class UnknownSourceError(LookupError):
    pass


def builtin(name: str) -> BuiltinSource:
    try:
        module_name = BUILTIN[name]
    except KeyError:
        raise UnknownSourceError(name) from None
    source: BuiltinSource = importlib.import_module(module_name).SOURCE
    return source


@functools.cache
def _plugins() -> dict[str, Any]:
    """Entry points of group `watcher.sources` by name (a built-in name cannot be taken)."""
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name not in BUILTIN}


@functools.cache
def _plugin(name: str) -> Any:
    return _plugins()[name].load()


def plugin_names() -> tuple[str, ...]:
    return tuple(sorted(_plugins()))


def template(name: str) -> Source | None:
    """The named source as declared, before configuration; None when it is not known
    (or is a plugin factory, which only exists once configured)."""
    if name in BUILTIN:
        return builtin(name)
    if name in _plugins():
        loaded = _plugin(name)
        return loaded if _is_source(loaded) else None
    return None


def _is_source(obj: object) -> bool:
    return isinstance(obj, Source)


def declared_options(name: str) -> tuple[Option, ...] | None:
    """The options `[sources.NAME]` may set beyond the common keys; None when the source
    is not known by name (a `type = …` kind, a plugin factory: they check their own)."""
    found = template(name)
    return tuple(found.options) if found is not None else None


def known_names() -> tuple[str, ...]:
    return (*BUILTIN, *plugin_names())


def _described() -> list[Source]:
    return [s for s in (template(name) for name in known_names()) if s is not None]


@functools.cache
def first_party_sources() -> frozenset[str]:
    """Sources that speak for a provider first-hand (its pages and its own APIs)."""
    return frozenset(s.name for s in _described() if s.first_party)


@functools.cache
def reference_sources() -> frozenset[str]:
    """First-party sources that define a provider's dates: its pages, not an account's view."""
    return frozenset(s.name for s in _described() if s.first_party and not s.account_view)


def configure(name: str, options: Mapping[str, Any]) -> Source:
    """The source called `name`, shaped by its `[sources.NAME]` options."""
    kind = options.get(TYPE_KEY)
    if kind is not None:
        try:
            module_name = CONFIGURABLE[kind]
        except KeyError:
            raise UnknownSourceError(f"{name}: unknown source type {kind!r}") from None
        source: Source = importlib.import_module(module_name).configure(name, options)
        return source
    if name in BUILTIN or name in _plugins():
        found = builtin(name) if name in BUILTIN else _plugin(name)
        if not _is_source(found):
            made: Source = _plugin(name)(name, options)  # a plugin factory: (name, options) -> Source
            return made
        if isinstance(found, BuiltinSource):
            urls = options.get("urls") or ([options["url"]] if options.get("url") else None)
            found = found.with_options({o.name: options[o.name] for o in found.options if o.name in options})
            return found.with_urls(urls) if urls else found
        configured: Source = found
        return configured
    raise UnknownSourceError(name)
