"""The ingest pipeline: poll → fetch → extract → enrich → store.

Each stage is an async function reading one bounded queue and writing the next;
``IngestPipeline._run`` is the one place that wires them, inside a task group.
A full queue blocks the stage before it, so a slow stage slows the crawl instead
of filling memory. Extraction (CPU-bound) runs in a process pool; sentiment
inference runs in a thread, batched, inside the ``Enricher``.

Nothing is lost or doubled across a crash: a document and its mentions are
written in one step, entries already stored are skipped before their page is
fetched, and a source's ETag / Last-Modified are saved only once every new
entry of the poll that returned them has been stored (or failed for good). A
poll cut short by a crash is therefore repeated in full on the next start.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crawlers import (
    CrawlError,
    Extracted,
    FeedEntry,
    FeedState,
    Fetcher,
    FetchError,
    PermanentFetchError,
    PollResult,
    Source,
    backoff_after_failure,
    disable_reason,
    document_id,
    extract_article,
    next_poll_interval,
    poll_source,
    record_failure,
    record_success,
)
from enrichment import Enricher
from search import Store
from service._documents import build_document

log = logging.getLogger("clarion.pipeline")

# Documents enriched together: one sentiment-model call per batch amortises the
# model's per-call cost; 16 pages keep the latency of one batch under a second or so.
ENRICH_BATCH = 16
# The scheduler wakes at least this often to pick up new or re-enabled sources, and
# never more often than MIN_TICK (a busy loop would only re-read the source list).
SCHEDULER_TICK = 5.0
MIN_TICK = 0.05


@dataclass(kw_only=True)
class PipelineStats:
    """Counters of what the pipeline did since it started (read by /metrics later)."""

    polls: int = 0
    polls_not_modified: int = 0
    poll_errors: int = 0
    entries_new: int = 0
    pages_fetched: int = 0
    page_errors: int = 0
    extract_empty: int = 0
    extract_errors: int = 0
    documents: dict[str, int] = field(default_factory=dict)  # by save outcome
    errors_by_class: dict[str, int] = field(default_factory=dict)

    def count_error(self, exc: BaseException) -> None:
        name = type(exc).__name__
        self.errors_by_class[name] = self.errors_by_class.get(name, 0) + 1


@dataclass(eq=False)
class _Poll:
    """One poll of one source, finished when every new entry of it is."""

    source: Source
    result: PollResult
    pending: int
    incomplete: bool = False  # an entry failed transiently: keep the old validators


@dataclass(eq=False)
class _Item:
    poll: _Poll
    entry: FeedEntry
    html: bytes | None = None
    page: Extracted | None = None


_DONE: Any = object()  # end-of-stream marker between stages


class IngestPipeline:
    """Polls every enabled source of the store and ingests what is new."""

    def __init__(
        self,
        *,
        store: Store,
        enricher: Enricher,
        fetcher: Fetcher,
        extract_pool: Executor,
        fetch_concurrency: int,
        poll_concurrency: int,
        extract_concurrency: int,
        queue_size: int,
        poll_interval: float,
        max_poll_interval: float,
        max_failures: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._enricher = enricher
        self._fetcher = fetcher
        self._pool = extract_pool
        self._fetch_concurrency = fetch_concurrency
        self._poll_concurrency = poll_concurrency
        self._extract_concurrency = extract_concurrency
        self._queue_size = queue_size
        self._poll_interval = poll_interval
        self._max_poll_interval = max_poll_interval
        self._max_failures = max_failures
        self._due: dict[str, datetime] = {}  # source id -> when it is next polled
        self._intervals: dict[str, float] = {}  # source id -> its current poll interval
        self._clock = clock
        self._in_flight: set[str] = set()  # document ids queued but not stored yet
        self._polling: set[str] = set()  # source ids being polled now
        self.stats = PipelineStats()
        self.rounds = 0

    async def run_once(self) -> PipelineStats:
        """Poll every enabled source once and ingest everything new; then return."""
        await self._run(forever=False)
        return self.stats

    async def run_forever(self) -> None:
        """Poll every ``poll_interval`` seconds until cancelled."""
        await self._run(forever=True)

    async def _run(self, *, forever: bool) -> None:
        to_fetch: asyncio.Queue[Any] = asyncio.Queue(self._queue_size)
        to_extract: asyncio.Queue[Any] = asyncio.Queue(self._queue_size)
        to_store: asyncio.Queue[Any] = asyncio.Queue(self._queue_size)
        async with asyncio.TaskGroup() as group:
            group.create_task(self._poller(to_fetch, forever=forever))
            group.create_task(
                self._stage(self._fetch, to_fetch, to_extract, self._fetch_concurrency)
            )
            group.create_task(
                self._stage(self._extract, to_extract, to_store, self._extract_concurrency)
            )
            group.create_task(self._storer(to_store))

    # -- stages ---------------------------------------------------------------------------

    async def _poller(self, out: asyncio.Queue[Any], *, forever: bool) -> None:
        """Poll each enabled source when it is due, at most ``poll_concurrency`` at once.

        Due times live in memory: after a restart every source is due at once, which
        conditional GET makes cheap. Sources added or re-enabled through the API are
        picked up within ``SCHEDULER_TICK`` seconds.
        """
        due = self._due
        slots = asyncio.Semaphore(self._poll_concurrency)
        async with asyncio.TaskGroup() as polls:
            while True:
                now = self._clock()
                sources = [s for s in await self._store.list_sources() if s.enabled]
                for source in sources:
                    not_due = forever and due.get(source.id, now) > now  # once: poll all
                    if source.id in self._polling or not_due:
                        continue
                    await slots.acquire()  # backpressure: wait for a free polling slot
                    self._polling.add(source.id)
                    polls.create_task(self._poll_and_schedule(source, out, slots))
                if not forever:
                    break
                self.rounds += 1
                upcoming = [t for sid, t in due.items() if sid not in self._polling]
                wait = min([(t - self._clock()).total_seconds() for t in upcoming] or [0.0])
                await asyncio.sleep(min(max(wait, MIN_TICK), SCHEDULER_TICK))
        if not forever:
            self.rounds += 1
        await out.put(_DONE)

    def poll_soon(self, source_id: str) -> None:
        """Poll this source at the scheduler's next look (after a change by the API)."""
        self._due.pop(source_id, None)
        self._intervals.pop(source_id, None)

    async def _poll_and_schedule(
        self, source: Source, out: asyncio.Queue[Any], slots: asyncio.Semaphore
    ) -> None:
        try:
            wait = await self._poll(source, out)
        finally:
            slots.release()
            self._polling.discard(source.id)
        self._due[source.id] = self._clock() + timedelta(seconds=wait)

    async def _poll(self, source: Source, out: asyncio.Queue[Any]) -> float:
        """Poll one source and queue its new entries; returns seconds until its next poll.

        The interval adapts to the source's publishing rate (``next_poll_interval``);
        after a failure it backs off, and after ``max_failures`` in a row the source
        is disabled, with the reason in its state, until re-enabled.
        """
        state = await self._store.get_feed_state(source.id)
        if state is not None and state.disabled_reason:
            return self._max_poll_interval  # looked at again when re-enabled (poll_soon)
        self.stats.polls += 1
        try:
            result = await poll_source(self._fetcher, source, state)
        except CrawlError as exc:  # fetch failures and feeds that do not parse
            return await self._poll_failed(source, state, exc)
        if result.not_modified:
            self.stats.polls_not_modified += 1
        interval = next_poll_interval(
            recent_entry_times=[e.published_at for e in result.entries if e.published_at],
            now=self._clock(),
            previous=self._intervals.get(source.id),
            not_modified=result.not_modified,
            minimum=self._poll_interval,
            maximum=max(self._poll_interval, self._max_poll_interval),
        )
        self._intervals[source.id] = interval
        urls = {document_id(e.url): e for e in result.entries}
        fresh = set(urls) - self._in_flight
        fresh -= await self._store.existing_document_ids(sorted(fresh))
        poll = _Poll(source=source, result=result, pending=len(fresh))
        self.stats.entries_new += len(fresh)
        if not fresh:
            await self._finish_poll(poll)
            return interval
        self._in_flight |= fresh
        for doc_id in sorted(fresh):
            await out.put(_Item(poll=poll, entry=urls[doc_id]))
        return interval

    async def _poll_failed(self, source: Source, state: FeedState | None, exc: Exception) -> float:
        self.stats.poll_errors += 1
        self.stats.count_error(exc)
        log.warning("poll of %s failed: %s: %s", source.id, type(exc).__name__, exc)
        state = record_failure(
            state,  # read by this poll; a source is never polled twice at once
            source_id=source.id,
            now=self._clock(),
            error=exc,
        )
        reason = disable_reason(state, max_failures=self._max_failures)
        if reason:
            log.warning("source %s %s", source.id, reason)
            state = dataclasses.replace(state, disabled_reason=reason)
        await self._store.put_feed_state(state)
        self._intervals.pop(source.id, None)
        return backoff_after_failure(
            state.consecutive_failures, retry_after=getattr(exc, "retry_after", None)
        )

    async def _fetch(self, item: _Item) -> _Item | None:
        try:
            result = await self._fetcher.get(item.entry.url, respect_robots=True)
        except PermanentFetchError as exc:
            # The page is gone, refused, or robots.txt disallows it: keep what the feed said.
            self.stats.page_errors += 1
            self.stats.count_error(exc)
            return item
        except FetchError as exc:
            self.stats.page_errors += 1
            self.stats.count_error(exc)
            item.poll.incomplete = True  # retried at the next poll
            await self._entry_done(item)
            return None
        self.stats.pages_fetched += 1
        item.html = result.content
        return item

    async def _extract(self, item: _Item) -> _Item:
        if item.html is not None:
            loop = asyncio.get_running_loop()
            try:
                item.page = await loop.run_in_executor(
                    self._pool, functools.partial(extract_article, item.html, url=item.entry.url)
                )
            except Exception as exc:  # a page that breaks the extractor is no page
                self.stats.extract_errors += 1
                self.stats.count_error(exc)
                log.warning("extraction of %s failed: %r", item.entry.url, exc)
            item.html = None
            if item.page is None:
                self.stats.extract_empty += 1
        return item

    async def _storer(self, inbox: asyncio.Queue[Any]) -> None:
        while True:
            batch = [await inbox.get()]
            while len(batch) < ENRICH_BATCH and not inbox.empty():
                batch.append(inbox.get_nowait())
            done = batch[-1] is _DONE
            items: list[_Item] = [i for i in batch if i is not _DONE]
            if items:
                await self._store_batch(items)
            if done:
                return

    async def _store_batch(self, items: list[_Item]) -> None:
        now = self._clock()
        documents = [
            build_document(source=i.poll.source, entry=i.entry, page=i.page, fetched_at=now)
            for i in items
        ]
        enriched = await self._enricher.enrich(documents)
        for item, (document, mentions) in zip(items, enriched, strict=True):
            outcome = await self._store.save_document(document, mentions)
            self.stats.documents[outcome] = self.stats.documents.get(outcome, 0) + 1
            await self._entry_done(item)

    # -- bookkeeping ----------------------------------------------------------------------

    async def _entry_done(self, item: _Item) -> None:
        self._in_flight.discard(document_id(item.entry.url))
        item.poll.pending -= 1
        if item.poll.pending == 0:
            await self._finish_poll(item.poll)

    async def _finish_poll(self, poll: _Poll) -> None:
        state = await self._store.get_feed_state(poll.source.id)
        if poll.incomplete:  # force a full fetch next time, so no entry is skipped
            etag, modified = None, None
        elif poll.result.not_modified and state is not None:
            etag, modified = state.etag, state.last_modified
        else:
            etag, modified = poll.result.etag, poll.result.last_modified
        await self._store.put_feed_state(
            record_success(
                state,
                source_id=poll.source.id,
                now=self._clock(),
                etag=etag,
                last_modified=modified,
            )
        )

    @staticmethod
    async def _stage(
        work: Callable[[_Item], Awaitable[_Item | None]],
        inbox: asyncio.Queue[Any],
        out: asyncio.Queue[Any],
        workers: int,
    ) -> None:
        """Run ``workers`` copies of ``work`` over ``inbox``; close ``out`` when all end."""

        async def worker() -> None:
            while True:
                item = await inbox.get()
                if item is _DONE:
                    await inbox.put(_DONE)  # let the sibling workers see it too
                    return
                result = await work(item)
                if result is not None:
                    await out.put(result)

        async with asyncio.TaskGroup() as group:
            for _ in range(workers):
                group.create_task(worker())
        await out.put(_DONE)
