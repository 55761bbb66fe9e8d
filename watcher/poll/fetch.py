"""Fetching upstream documents politely and defensively.

One long-lived `httpx.AsyncClient`; explicit timeouts, plus a deadline on the
whole exchange (a server that drips one byte every few seconds never trips a
per-read timeout); redirects followed; retries with exponential backoff on
connection errors, timeouts, 429 and 5xx, honouring `Retry-After` up to a cap
(beyond the cap we give up until a later poll rather than ask early); a host's
`Retry-After` holds back every request to that host, not only the one retried;
conditional GET, remembered across redirects; a size cap counted on *decoded*
bytes with bounded inflation (a gzip bomb stops at the cap without ever being
expanded in memory); one request at a time per host. Once the daemon is
stopping (`stop_retrying`), an attempt that fails ends the fetch with its own
error instead of waiting out a backoff or trying the next URL: the stop would sit
through them.

A fetch never raises for an upstream problem: it returns a `FetchResult` that
says what happened, and the pipeline records it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import email.utils
import logging
import random
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

# httpx imports its command-line client (click, rich, pygments: ~7 MB resident)
# whenever those happen to be installed; we never use it, so keep it out.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

import httpx

from watcher import __version__
from watcher.config import FetchSettings
from watcher.model import Document
from watcher.poll.content_decoding import BoundedDecoder, DecodeError, TooLarge, UnsupportedEncoding

if TYPE_CHECKING:
    from sources.base import Source

log = logging.getLogger(__name__)

USER_AGENT: Final = f"model-lifecycle-watcher/{__version__} (+lifecycle monitoring; python-httpx)"
_RETRY_STATUSES: Final = frozenset({408, 425, 429})
_MAX_BACKOFF: Final = 60.0
_MAX_HOLD: Final = 86_400.0  # never remember a host's "come back later" for more than a day
MAX_PAGES: Final = 100  # a paginated API that never stops is a fault, not a catalog

__all__ = ["USER_AGENT", "FetchResult", "Fetcher", "TooLarge", "Validators"]


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


@dataclasses.dataclass(frozen=True, slots=True)
class _Retry:
    """An attempt worth repeating; `wait` is the least the server asked for (seconds)."""

    wait: float = 0.0


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
        self._not_before: dict[str, float] = {}  # host -> monotonic time it asked us to wait for
        # Where each requested URL last ended up, so validators recorded against a
        # redirect target are still sent when we request the original URL.
        self._redirected: dict[str, str] = {}
        self._stopping = asyncio.Event()

    def stop_retrying(self) -> None:
        """From now on, no backoff or host hold is waited out: the fetches in flight
        end at their next failure, with its error, so a stop is not held up by retries
        or by a source's other URLs."""
        self._stopping.set()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def fetch_source(self, source: Source, validators: Validators | None = None) -> FetchResult:
        """Fetch what `source` reads: its URLs in order with its own headers (an API key,
        never logged) and, when it paginates, every page after the first.

        Several pages become one document, a JSON array of the pages' bodies in
        order: one poll is one statement, never a partial list. A page that fails
        fails the whole fetch.
        """
        headers = dict(source.headers())
        first = await self.fetch(source.name, source.urls, validators, headers=headers)
        if first.document is None:
            return first
        pages = [first.document]
        seen = {first.url}
        while (next_url := source.next_page(pages[-1])) is not None:
            if next_url in seen or len(pages) >= MAX_PAGES:
                return FetchResult(first.url, error=f"pagination did not end after {len(pages)} pages ({next_url})")
            seen.add(next_url)
            page = await self._fetch_one(source.name, next_url, None, headers)
            if page.document is None:
                return dataclasses.replace(page, error=f"page {len(pages) + 1}: {page.error}")
            pages.append(page.document)
        if len(pages) == 1:
            return first
        body = b"[" + b",".join(page.body for page in pages) + b"]"
        merged = dataclasses.replace(first.document, body=body, content_type="application/json", etag=None,
                                     last_modified=None)
        return dataclasses.replace(first, document=merged)

    async def fetch(self, source: str, urls: Sequence[str], validators: Validators | None = None,
                    *, headers: dict[str, str] | None = None) -> FetchResult:
        """Try `urls` in order; the first that yields a body (or a 304) wins.

        A bot challenge on one URL does not end the fetch (the page's other
        rendering is often served plainly), but when nothing yields a body the
        challenge is what gets reported: "blocked" says more than a later 404.
        """
        last: FetchResult | None = None
        blocked: FetchResult | None = None
        for url in urls:
            conditional = validators if validators is not None and validators.url in (
                url, self._redirected.get(url)) else None
            result = await self._fetch_one(source, url, conditional, headers or {})
            if result.ok:
                return result
            last = result
            blocked = blocked or (result if result.blocked else None)
            if self._stopping.is_set():
                break  # the next URL is one more request the stop would wait on
            log.info("fetch %s: %s failed (%s), trying next URL", source, url, result.error)
        assert last is not None, "a source has at least one URL"
        return blocked or last

    async def _fetch_one(self, source: str, url: str, validators: Validators | None,
                         extra: dict[str, str]) -> FetchResult:
        headers: dict[str, str] = dict(extra)
        if validators is not None:
            if validators.etag:
                headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
        host = urlsplit(url).netloc
        lock = self._host_locks.setdefault(host, asyncio.Lock())
        attempt = 0
        while True:
            held = self._not_before.get(host, 0.0) - time.monotonic()
            if held > self.settings.retry_after_cap:
                return FetchResult(url, error=f"deferred: {host} asked us to wait another {held:.0f}s")
            if held > 0 and await self._stopped_within(held):
                return FetchResult(url, error=f"deferred: {host} asked us to wait, and the watcher is stopping")
            async with lock:
                result, retry = await self._attempt(source, url, headers)
            if retry is None or attempt >= self.settings.retries:
                return result
            if retry.wait > self.settings.retry_after_cap:
                return dataclasses.replace(result, error=f"{result.error}; Retry-After {retry.wait:.0f}s exceeds "
                                                         f"the {self.settings.retry_after_cap:.0f}s cap, not retrying")
            attempt += 1
            backoff = min(_MAX_BACKOFF, self.backoff_base * 2 ** (attempt - 1)) * random.uniform(0.8, 1.2)
            delay = max(retry.wait, backoff)
            log.info("fetch %s: %s, retry %d/%d in %.1fs", source, result.error, attempt,
                     self.settings.retries, delay)
            if await self._stopped_within(delay):
                return dataclasses.replace(result, error=f"{result.error}; not retried: the watcher is stopping")

    async def _stopped_within(self, seconds: float) -> bool:
        """Wait `seconds`, or less if a stop comes first; whether it came."""
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stopping.wait()
        return self._stopping.is_set()

    async def _attempt(self, source: str, url: str, headers: dict[str, str]) -> tuple[FetchResult, _Retry | None]:
        """One request, bounded as a whole by the timeout. Returns the result and whether to retry."""
        fetched_at = dt.datetime.now(dt.UTC)
        try:
            async with asyncio.timeout(self.settings.timeout):
                return await self._exchange(source, url, headers, fetched_at)
        except TooLarge as exc:
            return FetchResult(url, error=str(exc)), None
        except UnsupportedEncoding as exc:
            return FetchResult(url, error=str(exc)), None
        except DecodeError as exc:
            # Usually a connection cut mid-body: worth another try.
            return FetchResult(url, error=str(exc)), _Retry()
        except (httpx.TimeoutException, TimeoutError) as exc:
            what = type(exc).__name__ if isinstance(exc, httpx.TimeoutException) else \
                f"no complete response within {self.settings.timeout:g}s"
            return FetchResult(url, error=f"timeout ({what})"), _Retry()
        except httpx.TooManyRedirects:
            return FetchResult(url, error="too many redirects"), None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            return FetchResult(url, error=f"invalid URL: {exc}"), None
        except httpx.TransportError as exc:
            # Connection refused/reset, truncated body (RemoteProtocolError), DNS…
            return FetchResult(url, error=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__), \
                _Retry()
        except httpx.HTTPError as exc:  # anything else httpx can say about one exchange
            return FetchResult(url, error=f"{type(exc).__name__}: {exc}"), None

    async def _exchange(self, source: str, url: str, headers: dict[str, str],
                        fetched_at: dt.datetime) -> tuple[FetchResult, _Retry | None]:
        async with self._client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            final_url = str(response.url)
            if final_url != url:
                self._redirected[url] = final_url
            if response.headers.get("cf-mitigated", "").lower() == "challenge":
                return FetchResult(final_url, error="blocked by a bot challenge (cf-mitigated: challenge)",
                                   http_status=status, blocked=True), None
            if status == 304:
                return FetchResult(final_url, not_modified=True, http_status=304), None
            if status in _RETRY_STATUSES or 500 <= status <= 599:
                wait = _retry_after(response.headers.get("Retry-After"))
                if wait:
                    self._hold(urlsplit(final_url).netloc, wait)
                return FetchResult(final_url, error=f"HTTP {status}", http_status=status), _Retry(wait)
            if status >= 400:
                return FetchResult(final_url, error=f"HTTP {status}", http_status=status), None
            body = await self._read_capped(response)
            return FetchResult(
                final_url,
                document=Document(
                    source=source, url=final_url, body=body, fetched_at=fetched_at,
                    content_type=response.headers.get("Content-Type", ""), http_status=status,
                    etag=response.headers.get("ETag"), last_modified=response.headers.get("Last-Modified"),
                ),
                http_status=status,
            ), None

    def _hold(self, host: str, seconds: float) -> None:
        until = time.monotonic() + min(seconds, _MAX_HOLD)
        self._not_before[host] = max(until, self._not_before.get(host, 0.0))

    async def _read_capped(self, response: httpx.Response) -> bytes:
        cap = self.settings.max_bytes
        encoding = response.headers.get("Content-Encoding")
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and not encoding and int(declared) > cap:
            raise TooLarge(f"response too large: Content-Length {declared} exceeds the {cap}-byte cap")
        decoder = BoundedDecoder(encoding, cap)
        chunks: list[bytes] = []
        async for raw in response.aiter_raw():  # raw: we inflate ourselves, bounded
            chunks.append(decoder.feed(raw))
        decoder.finish()
        return b"".join(chunks)


def _retry_after(value: str | None) -> float:
    """Seconds the server asked us to wait (delta-seconds or an HTTP date); 0 when it did not say."""
    if not value:
        return 0.0
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)
