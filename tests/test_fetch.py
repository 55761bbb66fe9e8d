"""The fetcher against real loopback servers: retries, Retry-After, conditional GET,
timeouts, truncation, size caps and gzip bombs, per-host politeness."""

from __future__ import annotations

import asyncio
import gzip
import logging
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator

import pytest

from tests.daemon_support import gzip_bomb
from tests.support import Response, Upstream
from watcher.config import FetchSettings
from watcher.poll.content_decoding import BoundedDecoder, DecodeError, TooLarge
from watcher.poll.fetch import USER_AGENT, Fetcher, FetchResult, Validators

FAST = FetchSettings(timeout=2.0, retries=2, retry_after_cap=5.0)


def fetch(urls: list[str], settings: FetchSettings = FAST, validators: Validators | None = None) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(settings, backoff_base=0.01) as fetcher:
            return await fetcher.fetch("toy", urls, validators)

    return asyncio.run(go())


def test_identifies_itself_and_offers_only_what_it_can_bound(upstream: Upstream) -> None:
    upstream.set("/p", "hello")
    result = fetch([upstream.url("/p")])
    assert result.document is not None and result.document.body == b"hello"
    headers = upstream.requests[0][1]
    assert headers["User-Agent"] == USER_AGENT and "model-lifecycle-watcher" in USER_AGENT
    assert headers["Accept-Encoding"] == "gzip, deflate"


def test_conditional_get_turns_304_into_not_modified(upstream: Upstream) -> None:
    upstream.set("/p", "v1", headers={"ETag": '"abc"', "Last-Modified": "Wed, 01 Jul 2026 10:00:00 GMT"})
    first = fetch([upstream.url("/p")])
    assert first.document is not None and first.document.etag == '"abc"'
    upstream.set("/p", b"", status=304)
    second = fetch([upstream.url("/p")], validators=Validators(first.url, '"abc"', first.document.last_modified))
    assert second.not_modified and second.document is None
    sent = upstream.requests[-1][1]
    assert sent["If-None-Match"] == '"abc"' and sent["If-Modified-Since"] == "Wed, 01 Jul 2026 10:00:00 GMT"


def test_validators_follow_a_redirect(upstream: Upstream) -> None:
    upstream.set("/old", b"", status=301, headers={"Location": "/new"})
    upstream.set("/new", "body", headers={"ETag": '"n1"'})

    async def go() -> tuple[FetchResult, FetchResult]:
        async with Fetcher(FAST, backoff_base=0.01) as fetcher:
            first = await fetcher.fetch("toy", [upstream.url("/old")])
            assert first.document is not None
            # The run records the final URL; the next poll asks for the original one.
            again = await fetcher.fetch("toy", [upstream.url("/old")], Validators(first.url, '"n1"'))
            return first, again

    first, _ = asyncio.run(go())
    assert first.url == upstream.url("/new")
    assert upstream.requests[-1][1].get("If-None-Match") == '"n1"'


def test_5xx_is_retried_with_backoff_then_succeeds(upstream: Upstream) -> None:
    upstream.sequence("/p", [Response(b"oops", 500), Response(b"bad gateway", 502), Response(b"fine")])
    result = fetch([upstream.url("/p")])
    assert result.document is not None and result.document.body == b"fine"
    assert len(upstream.requests) == 3


def test_retries_give_up_and_keep_the_status(upstream: Upstream) -> None:
    upstream.set("/p", "down", status=503)
    result = fetch([upstream.url("/p")])
    assert result.document is None and result.http_status == 503 and result.error == "HTTP 503"
    assert len(upstream.requests) == 1 + FAST.retries


def test_429_retry_after_is_honoured(upstream: Upstream) -> None:
    upstream.sequence("/p", [Response(b"slow down", 429, {"Retry-After": "1"}), Response(b"ok")])
    started = time.monotonic()
    result = fetch([upstream.url("/p")])
    assert result.document is not None
    assert time.monotonic() - started >= 1.0


def test_retry_after_beyond_the_cap_gives_up_and_holds_the_host_back(upstream: Upstream) -> None:
    upstream.set("/p", "slow down", status=429, headers={"Retry-After": "3600"})
    upstream.set("/q", "other page")

    async def go() -> tuple[FetchResult, FetchResult]:
        async with Fetcher(FAST, backoff_base=0.01) as fetcher:
            first = await fetcher.fetch("toy", [upstream.url("/p")])
            other = await fetcher.fetch("toy", [upstream.url("/q")])  # same host
            return first, other

    started = time.monotonic()
    first, other = asyncio.run(go())
    assert time.monotonic() - started < 30  # not the hour Retry-After asked for
    assert first.http_status == 429 and "exceeds" in (first.error or "")
    assert other.document is None and "deferred" in (other.error or "")
    assert [path for path, _ in upstream.requests] == ["/p"]


def test_retry_after_as_an_http_date(upstream: Upstream) -> None:
    import email.utils

    when = email.utils.formatdate(time.time() + 2, usegmt=True)
    upstream.sequence("/p", [Response(b"busy", 503, {"Retry-After": when}), Response(b"ok")])
    started = time.monotonic()
    assert fetch([upstream.url("/p")]).document is not None
    assert time.monotonic() - started >= 0.9  # HTTP dates have one-second resolution


def test_a_slow_answer_times_out_and_is_retried(upstream: Upstream) -> None:
    upstream.set("/p", "late", delay=1.0)
    settings = FetchSettings(timeout=0.3, retries=1)
    result = fetch([upstream.url("/p")], settings)
    assert result.document is None and (result.error or "").startswith("timeout")
    assert len(upstream.requests) == 2


@pytest.fixture
def drip() -> Iterator[str]:
    """A server that sends headers, then one body byte every 0.2 s, forever."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                while not stop.is_set():
                    try:
                        conn.sendall(b"x")
                    except OSError:
                        break
                    stop.wait(0.2)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/drip"
    stop.set()
    thread.join()
    server.close()


def test_a_dripping_body_hits_the_overall_deadline(drip: str) -> None:
    started = time.monotonic()
    result = fetch([drip], FetchSettings(timeout=1.0, retries=0))
    assert result.document is None and "within 1s" in (result.error or "")
    assert time.monotonic() - started < 30  # the drip alone would take hours


def test_a_truncated_body_is_an_error_not_a_document(upstream: Upstream) -> None:
    upstream.set("/p", "only half of it", headers={"Content-Length": "5000", "Connection": "close"})
    result = fetch([upstream.url("/p")])
    assert result.document is None and "RemoteProtocolError" in (result.error or "")


def test_a_declared_oversize_body_is_refused_before_reading(upstream: Upstream) -> None:
    upstream.set("/p", b"x" * (50 * 1024 * 1024))
    result = fetch([upstream.url("/p")], FetchSettings(timeout=5, retries=0, max_bytes=20_000_000))
    assert result.document is None and "Content-Length 52428800 exceeds" in (result.error or "")


def test_a_gzip_bomb_stops_at_the_cap_without_inflating_in_memory(upstream: Upstream) -> None:
    bomb = gzip_bomb(200 * 1024 * 1024)
    assert len(bomb) < 1_000_000
    upstream.set("/p", bomb, headers={"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        result = fetch([upstream.url("/p")], FetchSettings(timeout=10, retries=0, max_bytes=2_000_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.document is None and "more than 2000000 bytes after decoding" in (result.error or "")
    assert peak < 8_000_000, f"peak {peak} bytes"


def test_compressed_bodies_decode(upstream: Upstream) -> None:
    text = b"hello " * 1000
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    cases = {
        "/gz": (gzip.compress(text), "gzip"),
        "/zlib": (zlib.compress(text), "deflate"),
        "/raw": (raw_deflate.compress(text) + raw_deflate.flush(), "deflate"),
        "/twice": (gzip.compress(gzip.compress(text)), "gzip, gzip"),
    }
    for path, (body, encoding) in cases.items():
        upstream.set(path, body, headers={"Content-Encoding": encoding})
        result = fetch([upstream.url(path)])
        assert result.document is not None and result.document.body == text, path


def test_a_truncated_gzip_body_is_an_error(upstream: Upstream) -> None:
    upstream.set("/p", gzip.compress(b"abc" * 10000)[:-20], headers={"Content-Encoding": "gzip"})
    result = fetch([upstream.url("/p")], FetchSettings(timeout=2, retries=0))
    assert result.document is None and "truncated" in (result.error or "")


def test_a_bot_challenge_is_not_retried_and_the_other_rendering_is_tried(upstream: Upstream) -> None:
    challenge = {"cf-mitigated": "challenge"}
    upstream.set("/md", "<html>Just a moment...</html>", status=403, headers=challenge)
    upstream.set("/html", "the page")
    result = fetch([upstream.url("/md"), upstream.url("/html")])
    assert result.document is not None and result.document.body == b"the page"
    assert [path for path, _ in upstream.requests] == ["/md", "/html"]


def test_when_nothing_answers_a_challenge_is_what_is_reported(upstream: Upstream) -> None:
    upstream.set("/md", "<html>Just a moment...</html>", status=403, headers={"cf-mitigated": "challenge"})
    result = fetch([upstream.url("/md"), upstream.url("/missing")])
    assert result.blocked and result.document is None and "challenge" in (result.error or "")
    assert [path for path, _ in upstream.requests] == ["/md", "/missing"]  # each asked once, never retried


def test_the_next_url_is_tried_after_a_404(upstream: Upstream) -> None:
    upstream.set("/html", "the page")
    result = fetch([upstream.url("/missing.md"), upstream.url("/html")])
    assert result.document is not None and result.url == upstream.url("/html")


def test_one_request_at_a_time_per_host(upstream: Upstream) -> None:
    upstream.set("/a", "a", delay=0.4)
    upstream.set("/b", "b", delay=0.4)
    port = upstream.server.server_address[1]

    async def go(second_host: str) -> float:
        async with Fetcher(FAST) as fetcher:
            started = time.monotonic()
            await asyncio.gather(fetcher.fetch("a", [upstream.url("/a")]),
                                 fetcher.fetch("b", [f"http://{second_host}:{port}/b"]))
            return time.monotonic() - started

    assert asyncio.run(go("127.0.0.1")) >= 0.8  # same host: one after the other
    assert asyncio.run(go("localhost")) < 0.75  # another host name: in parallel


# --- the bounded decoder on its own ------------------------------------------------------


def test_decoder_handles_multi_member_gzip_and_chunk_boundaries() -> None:
    body = gzip.compress(b"first ") + gzip.compress(b"second")
    decoder = BoundedDecoder("gzip", cap=100)
    out = b"".join(decoder.feed(body[i:i + 7]) for i in range(0, len(body), 7))
    decoder.finish()
    assert out == b"first second"


def test_decoder_refuses_past_the_cap_in_any_layer() -> None:
    with pytest.raises(TooLarge):
        BoundedDecoder(None, cap=10).feed(b"x" * 11)
    with pytest.raises(TooLarge):
        BoundedDecoder("gzip", cap=1000).feed(gzip.compress(bytes(5000)))
    with pytest.raises(DecodeError):
        BoundedDecoder("br", cap=1000)


def test_a_stop_ends_a_fetch_waiting_out_its_backoff(upstream: Upstream) -> None:
    # The server asks for 50 minutes; the stop must not sit through them.
    upstream.set("/p", "busy", status=503, headers={"Retry-After": "3000"})
    settings = FetchSettings(timeout=2.0, retries=2, retry_after_cap=5000.0)

    async def go() -> FetchResult:
        waiting = asyncio.Event()

        class RetryAnnounced(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if "retry 1/2" in record.getMessage():
                    waiting.set()

        handler = RetryAnnounced()
        logger = logging.getLogger("watcher.poll.fetch")
        level = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            async with Fetcher(settings, backoff_base=0.01) as fetcher:
                task = asyncio.create_task(fetcher.fetch("toy", [upstream.url("/p")]))
                async with asyncio.timeout(60):
                    await waiting.wait()
                fetcher.stop_retrying()
                async with asyncio.timeout(60):  # without the stop's wake-up: 3000 s
                    return await task
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)

    result = asyncio.run(go())
    assert result.error == "HTTP 503; not retried: the watcher is stopping"
    assert len(upstream.requests) == 1


def test_after_a_stop_a_failed_attempt_is_not_retried(upstream: Upstream) -> None:
    upstream.sequence("/p", [Response(b"oops", 500), Response(b"fine")])

    async def go() -> FetchResult:
        async with Fetcher(FAST, backoff_base=0.01) as fetcher:
            fetcher.stop_retrying()
            return await fetcher.fetch("toy", [upstream.url("/p")])

    result = asyncio.run(go())
    assert result.document is None and result.error == "HTTP 500; not retried: the watcher is stopping"
    assert len(upstream.requests) == 1


def test_after_a_stop_a_failed_url_does_not_lead_to_the_next(upstream: Upstream) -> None:
    upstream.set("/a", "gone", status=404)
    upstream.set("/b", "fine")

    async def go() -> FetchResult:
        async with Fetcher(FAST, backoff_base=0.01) as fetcher:
            fetcher.stop_retrying()
            return await fetcher.fetch("toy", [upstream.url("/a"), upstream.url("/b")])

    result = asyncio.run(go())
    assert result.document is None and result.http_status == 404
    assert [path for path, _ in upstream.requests] == ["/a"]
