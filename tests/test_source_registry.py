"""The registry is where the engine learns about sources: names, whose word, options."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from sources import registry
from sources.base import BuiltinSource, Option, Source
from watcher.config import ConfigError, parse
from watcher.model import Document, Observation


def _parse(doc: Document, region: str = "eu", verbose: bool = False) -> list[Observation]:
    return [Observation(key=region, provider="acme", model=f"acme-{region}{'-v' if verbose else ''}")]


PLUGIN = BuiltinSource(name="acme", urls=("http://127.0.0.1/a",), parser_version="3", parse_fn=_parse,
                       first_party="acme",
                       options=(Option("region", "eu", "Which region's list"),
                                Option("verbose", False, "More"),
                                Option("token", "${ACME_TOKEN:-}", "API token", secret=True, required=True)),
                       headers_fn=lambda values: {"X-Token": values["token"].reveal()})


class _EntryPoint:
    def __init__(self, name: str, obj: Any) -> None:
        self.name, self.obj = name, obj

    def load(self) -> Any:
        return self.obj


def _factory(name: str, options: Any) -> Source:
    return dataclasses.replace(PLUGIN, name=name, urls=(options["url"],))


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    found = {"acme": _EntryPoint("acme", PLUGIN), "acme-factory": _EntryPoint("acme-factory", _factory)}
    monkeypatch.setattr(registry, "_plugins", lambda: found)
    monkeypatch.setattr(registry, "_plugin", lambda name: found[name].load())
    for cached in (registry.first_party_sources, registry.reference_sources):
        cached.cache_clear()
    yield
    for cached in (registry.first_party_sources, registry.reference_sources):
        cached.cache_clear()


def doc() -> Document:
    return Document(source="acme", url="http://127.0.0.1/a", body=b"{}", fetched_at=dt.datetime.now(dt.UTC))


def test_a_plugin_is_known_and_speaks_first_hand(plugins: None) -> None:
    assert "acme" in registry.known_names() and "acme" in registry.first_party_sources()
    assert "acme" in registry.reference_sources()
    assert registry.declared_options("acme") == PLUGIN.options
    assert registry.declared_options("acme-factory") is None  # a factory checks its own options


def test_options_reach_parse_as_keyword_arguments_and_version_the_parser(plugins: None) -> None:
    default = registry.configure("acme", {})
    assert default.parser_version == "3"
    assert [o.model for o in default.parse(doc())] == ["acme-eu"]
    us = registry.configure("acme", {"region": "us", "verbose": True, "url": "http://127.0.0.1/b"})
    assert [o.model for o in us.parse(doc())] == ["acme-us-v"]
    assert us.urls == ("http://127.0.0.1/b",)
    assert us.parser_version.startswith("3+") and us.parser_version != registry.configure(
        "acme", {"region": "ap"}).parser_version
    # A default spelled out, or a secret, does not change how the same bytes read.
    assert registry.configure("acme", {"region": "eu"}).parser_version == "3"
    settings = parse({"sources": {"acme": {"region": "eu"}}}, path=None, environ={"ACME_TOKEN": "tok-123456"})
    configured = registry.configure("acme", settings.sources["acme"].options)
    assert configured.parser_version == "3"
    assert configured.headers() == {"X-Token": "tok-123456"}


def test_plugin_options_are_checked_at_config_load(plugins: None) -> None:
    with pytest.raises(ConfigError, match=r"sources\.acme\.regoin: unknown key \(expected one of: .*region"):
        parse({"sources": {"acme": {"regoin": "us"}}}, path=None, environ={})
    with pytest.raises(ConfigError, match=r"sources\.acme\.verbose: expected bool, got int"):
        parse({"sources": {"acme": {"verbose": 1}}}, path=None, environ={})
    off = parse({"sources": {"acme": {}}}, path=None, environ={})
    assert not off.sources["acme"].enabled  # its required token is empty
    on = parse({"sources": {"acme": {}}}, path=None, environ={"ACME_TOKEN": "tok-123456"})
    assert on.sources["acme"].enabled


def test_a_plugin_factory_gets_its_name_and_options(plugins: None) -> None:
    made = registry.configure("acme-factory", {"url": "http://127.0.0.1/f"})
    assert (made.name, tuple(made.urls)) == ("acme-factory", ("http://127.0.0.1/f",))


def test_an_unknown_name_is_an_error() -> None:
    with pytest.raises(registry.UnknownSourceError):
        registry.configure("no-such-source", {})
    assert registry.template("no-such-source") is None


def test_every_builtin_describes_itself() -> None:
    for name in registry.BUILTIN:
        source = registry.builtin(name)
        assert isinstance(source, Source) and source.name == name
        assert source.description
        assert all(o.help for o in source.options)
    assert registry.first_party_sources() - registry.reference_sources() == {
        "openai-account", "anthropic-account", "mistral-account"}
    assert not {"openrouter", "litellm", "models-dev"} & registry.first_party_sources()
