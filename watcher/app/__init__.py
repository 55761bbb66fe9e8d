"""The application: settings + database + sources, and the operations on them.

Commands and the daemon both go through here, so `watcher poll` and a
scheduled poll are the same code path.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy import Engine

from sources.base import Source
from sources.registry import UnknownSourceError, configure
from watcher.alerts.queue import OutboxHook
from watcher.config import Settings, SourceSettings
from watcher.disagreements.hook import DisagreementHook
from watcher.model import Document, Observation
from watcher.poll.fetch import Fetcher, Validators
from watcher.poll.pipeline import AcceptError, CommitHook, Poller, PollResult
from watcher.secrets import Secret
from watcher.severity import SeverityPolicy
from watcher.store import polls
from watcher.store.engine import database_url, make_engine, read_session
from watcher.store.migrate import ensure_schema
from watcher.store.tables import Run

if TYPE_CHECKING:
    from watcher.poll.replay import ReplayReport

log = logging.getLogger(__name__)


# Records a fetched body that needs parsing: (source name, document, trigger).
NewBodyRecorder = Callable[[str, Document, str], Awaitable[PollResult]]


class UsageError(ValueError):
    """Something the operator asked for that cannot be done; the message says why."""


@dataclasses.dataclass
class App:
    settings: Settings
    db_url: str
    hooks: tuple[CommitHook, ...] = ()

    @classmethod
    def create(cls, settings: Settings, db: str | None = None) -> App:
        # Disagreements first: the hooks after it (the alerts outbox) see what it adds.
        hooks: tuple[CommitHook, ...] = (DisagreementHook(severity_policy(settings)), OutboxHook(settings))
        return cls(settings=settings, db_url=database_url(db, settings.storage_url), hooks=hooks)

    @functools.cached_property
    def engine(self) -> Engine:
        engine = make_engine(self.db_url)
        ensure_schema(engine)
        return engine

    @functools.cached_property
    def poller(self) -> Poller:
        return Poller(engine=self.engine, policy=severity_policy(self.settings), hooks=self.hooks)

    # --- sources -----------------------------------------------------------------------

    def source_settings(self, name: str) -> SourceSettings:
        try:
            return self.settings.sources[name]
        except KeyError:
            known = ", ".join(sorted(self.settings.sources))
            raise UsageError(f"unknown source {name!r} (configured: {known})") from None

    def source(self, name: str) -> Source:
        settings = self.source_settings(name)
        try:
            return configure(name, settings.options)
        except UnknownSourceError as exc:
            raise UsageError(f"unknown source {exc}") from None
        except ValueError as exc:
            raise UsageError(str(exc)) from None

    def fetchable(self, name: str) -> Source:
        """The source, ready to fetch: a required option left empty (an API key) is a
        usage error naming it, not a request that can only fail upstream."""
        source = self.source(name)
        options = self.source_settings(name).options
        for option in source.options:
            value = options.get(option.name, "")
            if option.required and not str(value.reveal() if isinstance(value, Secret) else value).strip():
                raise UsageError(f"{name}: {option.name} is empty, so this source is off "
                                 f"(default {option.default}; see `watcher describe {name}`)")
        return source

    def enabled_sources(self, names: Sequence[str] = ()) -> list[str]:
        if names:
            for name in names:
                self.fetchable(name)
            return list(names)
        return [name for name, s in self.settings.sources.items() if s.enabled]

    # --- operations --------------------------------------------------------------------

    async def poll(self, name: str, fetcher: Fetcher, *, trigger: str = "poll",
                   record_new: NewBodyRecorder | None = None) -> PollResult:
        """Fetch and record `name`. `record_new` records a body that needs parsing somewhere
        else (the daemon: in a child process, watcher/daemon/isolated.py)."""
        source = self.fetchable(name)
        settings = self.source_settings(name)
        # Database work runs in a worker thread: the daemon's event loop keeps
        # fetching, renewing its lease and answering /healthz meanwhile.
        last = await asyncio.to_thread(self._last_success, name)
        validators = Validators(last.url, last.etag, last.last_modified) if last and last.url else None
        result = await fetcher.fetch_source(source, validators)
        now = dt.datetime.now(dt.UTC)
        if result.not_modified:
            return await asyncio.to_thread(self.poller.record_not_modified, source, settings, url=result.url,
                                           at=now, trigger=trigger)
        if result.document is None:
            return await asyncio.to_thread(self.poller.record_failure, source, settings,
                                           error=fetch_error(result.url, result.error), url=result.url,
                                           http_status=result.http_status, at=now, trigger=trigger)
        doc = result.document
        if record_new is not None and not (last and last.content_hash == polls.content_hash(doc.body)
                                           and last.parser_version == source.parser_version):
            return await record_new(name, doc, trigger)
        return await asyncio.to_thread(self.poller.record_document, source, settings, doc, trigger=trigger)

    def _last_success(self, name: str) -> Run | None:
        with read_session(self.engine) as session:
            return polls.last_run(session, name, successful=True)

    def ingest(self, name: str, path: Path, observed_at: dt.datetime) -> PollResult:
        source = self.source(name)
        doc = read_capture(name, path, observed_at)
        return self.poller.record_document(source, self.source_settings(name), doc, trigger="ingest",
                                           check_order=True)

    def accept(self, name: str) -> PollResult | None:
        """Believe `name`'s latest refused body (None: the source is not refused)."""
        source = self.source(name)
        try:
            return self.poller.accept(source, self.source_settings(name), at=dt.datetime.now(dt.UTC))
        except AcceptError as exc:
            raise UsageError(str(exc)) from None

    def check(self, name: str, doc: Document) -> list[Observation]:
        return self.source(name).parse(doc)

    async def fetch_document(self, name: str) -> Document:
        """Fetch `name` once and store nothing (`watcher check`); a failed fetch is a
        usage error naming the host it failed on."""
        source = self.fetchable(name)
        async with Fetcher(self.settings.fetch) as fetcher:
            result = await fetcher.fetch_source(source)
        if result.document is None:
            raise UsageError(f"{name}: fetch failed: {fetch_error(result.url, result.error)}")
        return result.document

    def reparse(self, name: str, *, dry_run: bool = False) -> ReplayReport:
        """Rebuild `name`'s versions and changes from its kept raw documents with today's
        parser (raises ReplayError when there is nothing to rebuild from)."""
        from watcher.poll.replay import reparse

        return reparse(self.engine, self.source(name), self.source_settings(name), severity_policy(self.settings),
                       dry_run=dry_run)


def fetch_error(url: str | None, error: str | None) -> str:
    """A failed fetch in words that name the host it failed on."""
    error = error or "fetch failed"
    host = urlsplit(url).hostname if url else None
    return error if not host or host in error else f"{host}: {error}"


def severity_policy(settings: Settings) -> SeverityPolicy:
    return SeverityPolicy(watchlist=settings.watchlist, rules=settings.alerts.severity_rules)


def read_capture(source: str, path: Path, observed_at: dt.datetime) -> Document:
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    return Document(source=source, url=path.resolve().as_uri(), body=body, fetched_at=observed_at,
                    content_type=_guess_type(path))


def _guess_type(path: Path) -> str:
    return {".md": "text/markdown", ".json": "application/json", ".html": "text/html",
            ".htm": "text/html"}.get(path.suffix.lower(), "")
