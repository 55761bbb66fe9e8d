"""Tests never reach beyond loopback, whatever built-in sources exist."""

from __future__ import annotations

import asyncio
import os
import socket

import pytest

from sources.registry import BUILTIN
from watcher.config import BUILTINS_ENV, FetchSettings, parse
from watcher.poll.fetch import Fetcher


def test_the_suite_runs_with_only_named_builtins() -> None:
    assert os.environ[BUILTINS_ENV] == "named"


def test_a_builtin_source_the_config_does_not_name_is_off() -> None:
    settings = parse({"sources": {"openrouter": {"url": "http://127.0.0.1:9/models"}}}, path=None, environ={})
    assert set(settings.sources) == set(BUILTIN)
    assert [name for name, s in settings.sources.items() if s.enabled] == ["openrouter"]


def test_outside_the_suite_every_builtin_source_is_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BUILTINS_ENV)
    settings = parse({"sources": {"openrouter": {"enabled": False}}}, path=None, environ={})
    accounts = {name for name in BUILTIN if name.endswith("-account")}  # off: no API key in `environ`
    assert accounts
    assert sorted(name for name, s in settings.sources.items() if s.enabled) == sorted(
        set(BUILTIN) - {"openrouter"} - accounts)


def test_resolving_a_real_host_fails_at_once() -> None:
    with pytest.raises(socket.gaierror, match="never reach beyond loopback"):
        socket.getaddrinfo("api.anthropic.com", 443)

    async def fetch() -> str | None:
        async with Fetcher(FetchSettings(retries=0)) as fetcher:  # each retry would fail the same way
            return (await fetcher.fetch("x", ["https://docs.anthropic.com/en/docs/about-claude/model-deprecations"])).error

    assert "never reach beyond loopback" in (asyncio.run(fetch()) or "")
