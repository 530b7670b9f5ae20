"""The ingest pipeline's last two stages: enrich extracted entries in batches, save them.

``BatchStorer.enrichers`` reads extracted ``Item`` values, up to ``ENRICH_BATCH``
at once (waiting up to ``ENRICH_LINGER`` after the first for more), turns them into
documents (``service._documents.build_document``, or the social post as it came),
runs the ``Enricher`` on the batch (mentions, sentiment, key messages) and takes
each document's MinHash sketch and index words from extraction
(``extract_and_sketch``), or computes the sketch off the event loop when the text is
not the page's (the store then cuts the words);
``BatchStorer.saver`` saves each batch while the next is enriched, in one
``Store.save_sketched`` call: as each document is saved, its sketch finds
earlier near-duplicates in the store, those of the same batch included, and it
joins their syndication cluster. After each saved batch, ``on_stored`` (the
alert rules) sees the documents, their mentions and the save outcomes; then each
entry is done (``entry_done``), which may finish its poll.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from typing import Any

from crawlers import Document
from enrichment import Enricher, Mention
from enrichment._syndication import Sketch, sketch
from search import SaveOutcome, SketchedDocument, Store
from service._documents import build_document
from service._pipeline_items import DONE, Item, PipelineStats, take_batch

__all__ = ["ENRICH_BATCH", "SAVE_QUEUE", "BatchStorer", "StoredListener"]

log = logging.getLogger("clarion.pipeline")

# Documents enriched together: one sentiment-model call per batch amortises the
# model's per-call cost; 16 pages keep the latency of one batch under a second or so.
ENRICH_BATCH = 16
# Seconds an enricher waits for more extracted entries after the first of a batch:
# a batch's hand-offs to threads, its transaction and its model call are paid once
# for all its documents, and extraction hands over four pages at a time.
ENRICH_LINGER = 0.1
# Enriched batches waiting to be saved: one is saved while the next is enriched;
# more would only hold finished work in memory.
SAVE_QUEUE = 2

# Awaited after each stored batch with each document, its mentions and the save's
# outcome: alert rules that judge single documents run here (``service/_alerts.py``).
StoredListener = Callable[[list[tuple[Document, list[Mention], SaveOutcome]]], Awaitable[None]]


# Each entry of a batch with its document, mentions and MinHash sketch, ready to save.
Enriched = list[tuple[Item, SketchedDocument]]


class BatchStorer:
    """Enriches and saves extracted entries, in batches (see the module docstring)."""

    def __init__(
        self,
        *,
        store: Store,
        enricher: Enricher,
        stats: PipelineStats,
        clock: Callable[[], datetime],
        entry_done: Callable[[Item], Awaitable[None]],
        concurrency: int = 1,
        on_stored: StoredListener | None = None,
    ) -> None:
        """``concurrency``: batches enriched at once; ``entry_done`` is awaited for
        each entry once its document is saved."""
        self._store = store
        self._enricher = enricher
        self.stats = stats
        self._clock = clock
        self._entry_done = entry_done
        self._enrich_concurrency = concurrency
        self._on_stored = on_stored

    async def enrichers(self, inbox: asyncio.Queue[Any], out: asyncio.Queue[Any]) -> None:
        """``enrich_concurrency`` enrichers over ``inbox``: the models run one torch
        thread per call, so a second batch in flight uses a second core whenever
        extraction leaves one idle. Closes ``out`` when all of them end."""
        async with asyncio.TaskGroup() as group:
            for _ in range(self._enrich_concurrency):
                group.create_task(self._enrich_stage(inbox, out))
        await out.put(DONE)

    async def _enrich_stage(self, inbox: asyncio.Queue[Any], out: asyncio.Queue[Any]) -> None:
        """Enrich what is ready, up to ``ENRICH_BATCH`` items at once, while the
        ``_saver`` saves the batch before."""
        while True:
            items, done = await take_batch(inbox, ENRICH_BATCH, linger=ENRICH_LINGER)
            if items:
                await out.put(await self._enrich_batch(items))
            if done:
                return

    async def saver(self, inbox: asyncio.Queue[Any]) -> None:
        while (batch := await inbox.get()) is not DONE:
            await self._save_batch(batch)

    async def store_batch(self, items: list[Item]) -> None:
        await self._save_batch(await self._enrich_batch(items))

    async def _enrich_batch(self, items: list[Item]) -> Enriched:
        now = self._clock()
        documents = [
            i.post.to_document(i.poll.source, fetched_at=now)
            if i.post is not None
            else build_document(source=i.poll.source, entry=i.entry, page=i.page, fetched_at=now)
            for i in items
        ]
        with self.stats.timed("enrich"):
            enriched = await self._enricher.enrich(documents)
        # A page's text was sketched, and its index words cut, where it was extracted;
        # a feed's summary or a social post is sketched here (the store cuts its words).
        known = [
            (i.sketch, i.words)
            if i.sketch is not None and i.page is not None and d.text == i.page.text
            else None
            for i, (d, _) in zip(items, enriched, strict=True)
        ]
        missing = [d.text for k, (d, _) in zip(known, enriched, strict=True) if k is None]
        computed: Iterator[Sketch] = iter(())
        if missing:
            with self.stats.timed("syndication"):
                computed = iter(await asyncio.to_thread(lambda: [sketch(t) for t in missing]))
        sketched = [k if k is not None else (next(computed), None) for k in known]
        return [
            (item, SketchedDocument(document, mentions, signature, keys, text_words=words))
            for item, (document, mentions), ((signature, keys), words) in zip(
                items, enriched, sketched, strict=True
            )
        ]

    async def _save_batch(self, batch: Enriched) -> None:
        with self.stats.timed("store"):
            outcomes = await self._store.save_sketched([sketched for _, sketched in batch])
        saved: list[tuple[Document, list[Mention], SaveOutcome]] = []
        for (item, sketched), outcome in zip(batch, outcomes, strict=True):
            self.stats.documents[outcome] = self.stats.documents.get(outcome, 0) + 1
            saved.append((sketched.document, list(sketched.mentions), outcome))
            await self._entry_done(item)
        if self._on_stored is not None:
            try:
                await self._on_stored(saved)
            except Exception as exc:  # alerts must not stop ingest; counted and logged
                self.stats.count_error(exc)
                log.exception("on_stored callback failed")
