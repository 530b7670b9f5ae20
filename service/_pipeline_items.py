"""What flows between the ingest pipeline's stages, and what they count.

``Poll`` is one poll of one source, finished when every new entry of it is;
``Item`` is one entry on its way through fetch, extraction, enrichment and the
store; ``DONE`` closes a stage's inbox. ``run_stage`` runs copies of one stage
function over its inbox, ``run_batch_stage`` of one that takes the items queued
together. ``PipelineStats`` are the counters every stage adds to
(``/metrics`` reads them).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from crawlers import Extracted, FeedEntry, PollResult, Source
from crawlers.social import SocialPost
from enrichment._syndication import Sketch
from service._logging import source_context

__all__ = [
    "DONE",
    "Item",
    "PipelineStats",
    "Poll",
    "run_batch_stage",
    "run_stage",
    "take_batch",
]

DONE: Any = object()  # end-of-stream marker between stages


@dataclass(kw_only=True)
class PipelineStats:
    """Counters of what the pipeline did since it started (read by /metrics later)."""

    polls: int = 0
    polls_not_modified: int = 0
    poll_errors: int = 0
    entries_new: int = 0
    entries_updated: int = 0  # stored entries the feed dates later: fetched again
    engagement_refreshed: int = 0  # stored social posts whose counts were refreshed
    pages_fetched: int = 0
    page_errors: int = 0
    extract_empty: int = 0
    extract_errors: int = 0
    documents: dict[str, int] = field(default_factory=dict)  # by save outcome
    errors_by_class: dict[str, int] = field(default_factory=dict)
    # Seconds each step spent on its calls (wall time, summed over concurrent calls):
    # "fetch", "extract" (waiting for the pool), "enrich", "syndication", "store".
    busy: dict[str, float] = field(default_factory=dict)

    def count_error(self, exc: BaseException) -> None:
        name = type(exc).__name__
        self.errors_by_class[name] = self.errors_by_class.get(name, 0) + 1

    @contextlib.contextmanager
    def timed(self, step: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.busy[step] = self.busy.get(step, 0.0) + time.perf_counter() - began


@dataclass(eq=False)
class Poll:
    """One poll of one source, finished when every new entry of it is."""

    source: Source
    result: PollResult
    pending: int
    incomplete: bool = False  # an entry failed transiently: keep the old validators
    cursor: str | None = None  # a social adapter's cursor, saved with the validators
    pushed: bool = False  # entries a WebSub hub pushed: no validators, no poll to finish
    number: int = 0  # the source's polls are numbered from 1 as they start (in memory)


@dataclass(eq=False)
class Item:
    poll: Poll
    entry: FeedEntry
    post: SocialPost | None = None  # a social post: stored as it is, no page fetch
    html: bytes | None = None
    page: Extracted | None = None
    sketch: Sketch | None = None  # of ``page.text``, computed where it was extracted
    words: str | None = None  # ``page.text``'s index words, likewise


async def run_stage(
    work: Callable[[Item], Awaitable[Item | None]],
    inbox: asyncio.Queue[Any],
    out: asyncio.Queue[Any],
    workers: int,
) -> None:
    """Run ``workers`` copies of ``work`` over ``inbox``; close ``out`` when all end."""

    async def worker() -> None:
        while True:
            item = await inbox.get()
            if item is DONE:
                await inbox.put(DONE)  # let the sibling workers see it too
                return
            with source_context(item.poll.source.id):
                result = await work(item)
            if result is not None:
                await out.put(result)

    async with asyncio.TaskGroup() as group:
        for _ in range(workers):
            group.create_task(worker())
    await out.put(DONE)


async def take_batch(
    inbox: asyncio.Queue[Any], size: int, *, linger: float = 0.0
) -> tuple[list[Any], bool]:
    """The next item of ``inbox`` and those queued behind it or arriving within
    ``linger`` seconds of it, up to ``size``, and whether ``DONE`` ended them;
    ``DONE`` is put back, for the sibling readers of ``inbox``."""
    items = [await inbox.get()]
    deadline = asyncio.get_running_loop().time() + linger
    while len(items) < size and items[-1] is not DONE:
        if not inbox.empty():
            items.append(inbox.get_nowait())
            continue
        if linger <= 0:
            break
        try:  # a cancelled get leaves the queue as it was
            async with asyncio.timeout_at(deadline):
                items.append(await inbox.get())
        except TimeoutError:
            break
    done = items[-1] is DONE
    if done:
        items.pop()
        await inbox.put(DONE)
    return items, done


async def run_batch_stage(
    work: Callable[[list[Item]], Awaitable[list[Item]]],
    inbox: asyncio.Queue[Any],
    out: asyncio.Queue[Any],
    workers: int,
    batch: int,
) -> None:
    """Run ``workers`` copies of ``work`` over ``inbox``, each call with the next item
    and those queued behind it, up to ``batch`` (never waiting for more); close
    ``out`` when all end."""

    async def worker() -> None:
        while True:
            items, done = await take_batch(inbox, batch)
            for result in await work(items) if items else []:
                await out.put(result)
            if done:
                return

    async with asyncio.TaskGroup() as group:
        for _ in range(workers):
            group.create_task(worker())
    await out.put(DONE)
