"""`watcher poll` of several sources: fetched at once, parsed and written one by one.

The fetcher already keeps to one request per host at a time (and honours each
host's Retry-After), so sources on different hosts overlap their network waits
while two pages of one provider still go one after the other. Parsing and the
database write run on a single worker thread, as in the daemon: one catalog's
objects in memory at a time, and no two writers queueing on SQLite's lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from watcher.app import App
    from watcher.config import FetchSettings
    from watcher.poll.pipeline import PollResult

POLL_CONCURRENCY: Final = 4  # sources in flight at once


async def poll_many(app: App, names: Sequence[str], fetch: FetchSettings, *,
                    on_start: Callable[[str], None] = lambda name: None,
                    on_done: Callable[[PollResult], None] = lambda result: None,
                    limit: int = POLL_CONCURRENCY) -> list[PollResult]:
    """Poll `names`, at most `limit` at once; results in the order of `names`."""
    from watcher.poll.fetch import Fetcher

    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=1, thread_name_prefix="poll"))
    gate = asyncio.Semaphore(limit)

    async with Fetcher(fetch) as fetcher:
        async def one(name: str) -> PollResult:
            async with gate:
                on_start(name)
                result = await app.poll(name, fetcher)
                on_done(result)
                return result

        return list(await asyncio.gather(*(one(name) for name in names)))
