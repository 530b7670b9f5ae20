"""The ingest pipeline: poll → fetch → extract → enrich → store.

Each stage is an async function reading one bounded queue and writing the next;
``IngestPipeline._run`` is the one place that wires them, inside a task group.
A full queue blocks the stage before it, so a slow stage slows the crawl instead
of filling memory. Extraction (CPU-bound) runs in a process pool, pages queued
together in one call (``service._pipeline_extract``); the last two
stages, enrichment in batches and saving (with the syndication cluster each
document joins), are ``service._pipeline_store.BatchStorer``'s; what flows between
the stages (``Poll``, ``Item``) and what they count (``PipelineStats``) is in
``service._pipeline_items``.

Nothing is lost or doubled across a crash: a document and its mentions are
written in one step, entries already stored are skipped before their page is
fetched, and a source's ETag / Last-Modified are saved only once every new
entry of the poll that returned them has been stored (or failed for good),
including entries it listed that were still in flight from an earlier poll or a
push. A poll cut short by a crash is therefore repeated in full on the next start.
An earlier poll that ends after a later one has saved its outcome (a failure, say)
saves nothing: its validators are stale (``service._pipeline_polls`` keeps count).

An entry already stored is fetched again only when the feed dates it later than
the stored copy (``service._documents.is_update``): the store answers for a whole
poll in one ``stored_versions`` call, by entry URL or by the alias a canonical URL
left. Social sources (``kind="social"``) are polled by their adapter and their
posts stored as they came, without a page fetch; their cursor is saved like the
validators; a stored post is an update when edited, else its engagement counts are
refreshed in place, with no enrichment (``service._social.refresh_posts``). With
several crawler processes on one store, each polls only the sources its ``Shard`` owns.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from datetime import UTC, datetime, timedelta
from typing import Any

from crawlers import (
    CrawlError,
    FeedEntry,
    FeedState,
    Fetcher,
    FetchError,
    PermanentFetchError,
    PollResult,
    Shard,
    Source,
    backoff_after_failure,
    disable_reason,
    document_id,
    next_poll_interval,
    poll_source,
    record_failure,
    record_success,
)
from enrichment import Enricher
from search import Store
from service._documents import is_update
from service._feed_state import update_feed_state
from service._logging import source_context
from service._pipeline_extract import EXTRACT_BATCH, PageExtractor
from service._pipeline_items import DONE, Item, PipelineStats, Poll, run_batch_stage, run_stage
from service._pipeline_polls import PollTracker
from service._pipeline_store import ENRICH_BATCH, SAVE_QUEUE, BatchStorer, StoredListener
from service._social import SocialPoll, poll_social_source, refresh_posts

log = logging.getLogger("clarion.pipeline")

# The scheduler wakes at least this often to pick up new or re-enabled sources, and
# never more often than MIN_TICK (a busy loop would only re-read the source list).
SCHEDULER_TICK = 5.0
MIN_TICK = 0.05

# Awaited after each successful poll, before its entries are queued (source, result,
# the state read before it, the interval chosen); returns the seconds until the next
# poll: that interval, or a longer one (a source with WebSub push needs only a slow
# safety poll). See ``service/_websub.py``.
PollListener = Callable[[Source, PollResult, FeedState | None, float], Awaitable[float]]


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
        enrich_concurrency: int = 1,
        queue_size: int,
        poll_interval: float,
        max_poll_interval: float,
        max_failures: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        poll_listener: PollListener | None = None,
        shard: Shard | None = None,
        on_stored: StoredListener | None = None,
    ) -> None:
        """``shard``: poll only the sources it owns (default: every source)."""
        self._store = store
        self._fetcher = fetcher
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
        self._poll_listener = poll_listener
        self._shard = shard or Shard(0, 1)
        self._polls = PollTracker()  # entries in flight, polls waiting for them
        self._polling: set[str] = set()  # source ids being polled now
        self.stats = PipelineStats()
        self._extractor = PageExtractor(pool=extract_pool, stats=self.stats)
        self._storer = BatchStorer(
            store=store,
            enricher=enricher,
            stats=self.stats,
            clock=clock,
            entry_done=self._entry_done,
            concurrency=enrich_concurrency,
            on_stored=on_stored,
        )
        self.queues: dict[str, asyncio.Queue[Any]] = {}  # each stage's inbox, while running
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
        to_save: asyncio.Queue[Any] = asyncio.Queue(SAVE_QUEUE)
        self.queues = {
            "fetch": to_fetch,
            "extract": to_extract,
            "enrich": to_store,
            "save": to_save,
        }
        async with asyncio.TaskGroup() as group:
            group.create_task(self._poller(to_fetch, forever=forever))
            group.create_task(run_stage(self._fetch, to_fetch, to_extract, self._fetch_concurrency))
            group.create_task(
                run_batch_stage(
                    self._extractor.batch,
                    to_extract,
                    to_store,
                    self._extract_concurrency,
                    EXTRACT_BATCH,
                )
            )
            group.create_task(self._storer.enrichers(to_store, to_save))
            group.create_task(self._storer.saver(to_save))

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
                sources = [
                    s
                    for s in await self._store.list_sources()
                    if s.enabled and self._shard.owns(s.id)
                ]
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
        await out.put(DONE)

    def poll_soon(self, source_id: str) -> None:
        """Poll this source at the scheduler's next look (after a change by the API)."""
        self._due.pop(source_id, None)
        self._intervals.pop(source_id, None)

    async def _poll_and_schedule(
        self, source: Source, out: asyncio.Queue[Any], slots: asyncio.Semaphore
    ) -> None:
        try:
            with source_context(source.id):
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
        number = self._polls.start(source.id)
        social: SocialPoll | None = None
        try:
            if source.kind == "social":
                social = await poll_social_source(self._fetcher, source, state)
                result = social.result
            else:
                result = await poll_source(self._fetcher, source, state)
        except CrawlError as exc:  # fetch failures and feeds that do not parse
            return await self._poll_failed(source, state, exc, number)
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
        if self._poll_listener is not None:
            interval = await self._poll_listener(source, result, state, interval)
        urls = {document_id(e.url): e for e in result.entries}
        # Listed, but still in flight from an earlier poll or a push: this poll waits
        # for them too before it saves its validators (one more, held until its own
        # entries are counted, so it cannot end before).
        poll = Poll(source=source, result=result, pending=0, number=number)
        candidates = set(urls) - self._polls.listing(poll, urls)
        stored = await self._store.stored_versions(sorted(candidates))
        fresh = {i for i in candidates if i not in stored}
        updated = {i for i in candidates - fresh if is_update(urls[i], stored[i])}
        if social is not None:  # edited posts are updates; others' counts are refreshed
            updated |= await refresh_posts(self._store, social, stored.keys() - updated, self.stats)
        poll.cursor = social.cursor if social is not None else None
        poll.pending += len(fresh | updated) - 1
        self.stats.entries_new += len(fresh)
        self.stats.entries_updated += len(updated)
        if not poll.pending:
            await self._finish_poll(poll)
            return interval
        self._polls.in_flight |= fresh | updated
        for doc_id in sorted(fresh | updated):
            entry = urls[doc_id]
            post = social.posts.get(entry.url) if social is not None else None
            await out.put(Item(poll=poll, entry=entry, post=post))
        return interval

    async def _poll_failed(
        self, source: Source, state: FeedState | None, exc: Exception, number: int
    ) -> float:
        self.stats.poll_errors += 1
        self._polls.failed(source.id, number)
        self.stats.count_error(exc)
        log.warning("poll of %s failed: %s: %s", source.id, type(exc).__name__, exc)
        reasons: list[str] = []

        def failed(latest: FeedState | None) -> FeedState:
            # On the latest state, not the one read before the poll: the WebSub
            # manager may have written its fields meanwhile (service/_feed_state.py).
            new = record_failure(latest, source_id=source.id, now=self._clock(), error=exc)
            reason = disable_reason(new, max_failures=self._max_failures)
            if reason:
                reasons.append(reason)
                new = dataclasses.replace(new, disabled_reason=reason)
            return new

        written = await update_feed_state(self._store, source.id, failed)
        for reason in reasons:
            log.warning("source %s %s", source.id, reason)
        self._intervals.pop(source.id, None)
        return backoff_after_failure(
            written.consecutive_failures if written else 1,
            retry_after=getattr(exc, "retry_after", None),
        )

    async def _fetch(self, item: Item) -> Item | None:
        if item.post is not None:
            return item  # the post's text came with the poll
        try:
            with self.stats.timed("fetch"):
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
            await self._entry_done(item, failed=True)
            return None
        self.stats.pages_fetched += 1
        item.html = result.content
        return item

    # -- push -----------------------------------------------------------------------------

    async def ingest_pushed(self, source: Source, entries: Sequence[FeedEntry]) -> int:
        """Ingest entries a WebSub hub pushed for ``source``, now; returns how many were new.

        They go through the same fetch, extract, enrich and store steps as polled
        entries, concurrently up to ``fetch_concurrency``; those already stored or in
        flight (from a poll or another push) are skipped, unless the entry is dated
        later than the stored copy (``is_update``: fetched again, updated in place,
        not counted as new). The source's feed state is not touched. When a page
        fails transiently the source is polled at the scheduler's next look
        (``poll_soon``), which finds the entry again.
        """
        by_id = {document_id(e.url): e for e in entries}
        claimed = set(by_id) - self._polls.in_flight
        self._polls.in_flight |= claimed  # before any await, so a push delivered twice is skipped
        slots = asyncio.Semaphore(self._fetch_concurrency)

        async def prepare(item: Item) -> Item | None:
            async with slots:
                fetched = await self._fetch(item)
                return None if fetched is None else await self._extractor.one(fetched)

        push = Poll(source=source, result=PollResult(), pending=0, pushed=True)
        new: set[str] = set()
        fresh: set[str] = set()
        try:
            stored = await self._store.stored_versions(sorted(claimed))
            new = {i for i in claimed if i not in stored}
            fresh = new | {i for i in claimed - new if is_update(by_id[i], stored[i])}
            push.pending = len(fresh)
            async with asyncio.TaskGroup() as group:
                tasks = [
                    group.create_task(prepare(Item(poll=push, entry=by_id[i])))
                    for i in sorted(fresh)
                ]
            ready = [item for task in tasks if (item := task.result()) is not None]
            for start in range(0, len(ready), ENRICH_BATCH):
                await self._storer.store_batch(ready[start : start + ENRICH_BATCH])
        finally:
            self._polls.in_flight -= claimed  # stored, failed, already stored, or cancelled
            ended = [p for i in claimed for p in self._polls.release(i, failed=push.incomplete)]
        for poll in ended:  # polls that listed a pushed entry and waited for it (also
            await self._finish_poll(poll)  # when the push found it stored already)
        if push.incomplete:
            self.poll_soon(source.id)
        self.stats.entries_new += len(new)
        self.stats.entries_updated += len(fresh - new)
        return len(new)

    # -- bookkeeping ----------------------------------------------------------------------

    async def _entry_done(self, item: Item, *, failed: bool = False) -> None:
        """``item`` is stored, failed for good, or (``failed``) transiently."""
        for poll in self._polls.done(item.poll, document_id(item.entry.url), failed=failed):
            await self._finish_poll(poll)

    async def _finish_poll(self, poll: Poll) -> None:
        if poll.pushed or not self._polls.owns_outcome(poll):
            return  # no validators; or a later poll saved its outcome: these are stale

        def succeeded(state: FeedState | None) -> FeedState:
            if poll.incomplete:  # force a full fetch next time, so no entry is skipped
                etag, modified = None, None
            elif poll.result.not_modified and state is not None:
                etag, modified = state.etag, state.last_modified
            else:
                etag, modified = poll.result.etag, poll.result.last_modified
            new_state = record_success(
                state,
                source_id=poll.source.id,
                now=self._clock(),
                etag=etag,
                last_modified=modified,
            )
            if poll.source.kind == "social" and not poll.incomplete:
                new_state = dataclasses.replace(new_state, cursor=poll.cursor)
            return new_state

        await update_feed_state(self._store, poll.source.id, succeeded)
