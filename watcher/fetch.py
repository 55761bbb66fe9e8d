"""Fetching upstream documents politely and defensively.

One long-lived `httpx.AsyncClient`; explicit timeouts; redirects followed;
retries with exponential backoff on connection errors, timeouts, 429 and 5xx,
honouring `Retry-After` (capped); conditional GET; a size cap counted on
*decoded* bytes (a gzip bomb stops at the cap); one request at a time per host.
A fetch never raises for an upstream problem: it returns a `FetchResult` that
says what happened, and the pipeline records it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import email.utils
import logging
import random
from collections.abc import Sequence
from typing import Final
from urllib.parse import urlsplit

import httpx

from watcher import __version__
from watcher.config import FetchSettings
from watcher.model import Document

log = logging.getLogger(__name__)

USER_AGENT: Final = f"model-lifecycle-watcher/{__version__} (+lifecycle monitoring; python-httpx)"
_RETRY_STATUSES: Final = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclasses.dataclass(frozen=True, slots=True)
class FetchResult:
    url: str
    document: Document | None = None
    not_modified: bool = False
    error: str | None = None
    http_status: int | None = None
    blocked: bool = False

    @property
    def ok(self) -> bool:
        return self.document is not None or self.not_modified


@dataclasses.dataclass(frozen=True, slots=True)
class Validators:
    """What the last successful fetch said about its body, for a conditional GET."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


class TooLarge(Exception):
    pass


class Fetcher:
    def __init__(
        self,
        settings: FetchSettings = FetchSettings(),
        *,
        backoff_base: float = 1.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.backoff_base = backoff_base
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.timeout, connect=min(10.0, settings.timeout)),
            follow_redirects=True,
            max_redirects=5,
            headers={"User-Agent": settings.user_agent or USER_AGENT, "Accept-Encoding": "gzip, deflate"},
            transport=transport,
        )
        self._host_locks: dict[str, asyncio.Lock] = {}

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def fetch(self, source: str, urls: Sequence[str], validators: Validators | None = None) -> FetchResult:
        """Try `urls` in order; the first that yields a body (or a 304) wins."""
        last: FetchResult | None = None
        for url in urls:
            conditional = validators if validators is not None and validators.url == url else None
            result = await self._fetch_one(source, url, conditional)
            if result.ok or result.blocked:
                return result
            last = result
            log.info("fetch %s: %s failed (%s), trying next URL", source, url, result.error)
        assert last is not None, "a source has at least one URL"
        return last

    async def _fetch_one(self, source: str, url: str, validators: Validators | None) -> FetchResult:
        headers: dict[str, str] = {}
        if validators is not None:
            if validators.etag:
                headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
        lock = self._host_locks.setdefault(urlsplit(url).netloc, asyncio.Lock())
        attempt = 0
        while True:
            async with lock:
                result, retry_after = await self._attempt(source, url, headers)
            if result.ok or result.blocked or retry_after is None or attempt >= self.settings.retries:
                return result
            attempt += 1
            delay = max(retry_after, self.backoff_base * 2 ** (attempt - 1) * random.uniform(0.8, 1.2))
            log.info("fetch %s: %s, retry %d/%d in %.1fs", source, result.error, attempt,
                     self.settings.retries, delay)
            await asyncio.sleep(delay)

    async def _attempt(self, source: str, url: str, headers: dict[str, str]) -> tuple[FetchResult, float | None]:
        """One request. Returns the result and, when worth retrying, the minimum wait."""
        fetched_at = dt.datetime.now(dt.UTC)
        try:
            async with self._client.stream("GET", url, headers=headers) as response:
                status = response.status_code
                if response.headers.get("cf-mitigated", "").lower() == "challenge":
                    return FetchResult(url, error="blocked by a bot challenge (cf-mitigated: challenge)",
                                       http_status=status, blocked=True), None
                if status == 304:
                    return FetchResult(url, not_modified=True, http_status=304), None
                if status in _RETRY_STATUSES:
                    wait = _retry_after(response.headers.get("Retry-After"), self.settings.retry_after_cap)
                    return FetchResult(url, error=f"HTTP {status}", http_status=status), wait
                if status >= 400:
                    return FetchResult(url, error=f"HTTP {status}", http_status=status), None
                body = await self._read_capped(response)
                final_url = str(response.url)
                return FetchResult(
                    final_url,
                    document=Document(
                        source=source, url=final_url, body=body, fetched_at=fetched_at,
                        content_type=response.headers.get("Content-Type", ""), http_status=status,
                        etag=response.headers.get("ETag"), last_modified=response.headers.get("Last-Modified"),
                    ),
                    http_status=status,
                ), None
        except TooLarge as exc:
            return FetchResult(url, error=str(exc)), None
        except httpx.TimeoutException as exc:
            return FetchResult(url, error=f"timeout ({type(exc).__name__})"), 0.0
        except httpx.TooManyRedirects:
            return FetchResult(url, error="too many redirects"), None
        except httpx.TransportError as exc:
            # Connection refused/reset, truncated body (RemoteProtocolError), DNS…
            return FetchResult(url, error=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__), 0.0
        except httpx.InvalidURL as exc:
            return FetchResult(url, error=f"invalid URL: {exc}"), None

    async def _read_capped(self, response: httpx.Response) -> bytes:
        cap = self.settings.max_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and response.headers.get("Content-Encoding") in (None, "identity") \
                and int(declared) > cap:
            raise TooLarge(f"response too large: Content-Length {declared} exceeds the {cap}-byte cap")
        chunks: list[bytes] = []
        total = 0
        async for chunk in response.aiter_bytes():  # decoded: counts what a gzip body expands to
            total += len(chunk)
            if total > cap:
                raise TooLarge(f"response too large: more than {cap} bytes after decoding")
            chunks.append(chunk)
        return b"".join(chunks)


def _retry_after(value: str | None, cap: float) -> float:
    if not value:
        return 0.0
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return min(max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0), cap)
