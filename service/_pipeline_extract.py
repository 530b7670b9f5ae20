"""The ingest pipeline's extraction stage: fetched pages to ``Extracted``, the
syndication sketch of their text and the text's index words, in the extraction
process pool.

``PageExtractor.batch`` sends up to ``EXTRACT_BATCH`` pages that are ready in one
pool call (``extract_and_sketch``): a pool call with one 281 KiB page cost
1.4-1.6 ms of CPU on the reference machine, a call with four 0.32-0.36 ms per
page, against about 35 ms to extract it. Pages are never waited for to fill a
batch (``run_batch_stage`` takes what is queued), so a crawl that is not busy
sends them one by one, as soon as they are fetched. When a batch raises, its
pages are extracted again one by one (``PageExtractor.one``), so one page that
breaks the extractor costs only itself. An item without a page (a social post, a
page refused for good) passes through untouched.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import Executor
from typing import NamedTuple

from crawlers import Extracted, extract_articles
from enrichment._syndication import Sketch, sketch
from enrichment._tokens import index_text
from service._pipeline_items import Item, PipelineStats

__all__ = ["EXTRACT_BATCH", "PageExtractor", "extract_and_sketch"]

log = logging.getLogger("clarion.pipeline")

EXTRACT_BATCH = 4


class Analysed(NamedTuple):
    """What the pool returns for one page: ``page`` is None when it had no article;
    ``sketch`` and ``words`` (``index_text``, what the full-text index holds) are
    of ``page.text``."""

    page: Extracted | None
    sketch: Sketch | None = None
    words: str | None = None


def extract_and_sketch(pages: Sequence[tuple[bytes | str, str]]) -> list[Analysed]:
    """Run in the pool: ``crawlers.extract_articles``, then the syndication sketch and
    the index words of each text extracted. Both are CPU work on the text the worker
    holds (the sketch cuts the words the index holds); done here, it neither crosses to
    the main process nor competes there with the event loop and the store's writer."""
    return [
        Analysed(page, sketch(page.text), index_text(page.text)) if page else Analysed(None)
        for page in extract_articles(pages)
    ]


class PageExtractor:
    """Extracts items' pages in ``pool`` (see the module docstring)."""

    def __init__(self, *, pool: Executor, stats: PipelineStats) -> None:
        self._pool = pool
        self.stats = stats

    async def batch(self, items: list[Item]) -> list[Item]:
        pages = [item for item in items if item.html is not None]
        if len(pages) < 2:
            return [await self.one(item) for item in items]
        jobs = [(item.html, item.entry.url) for item in pages if item.html is not None]
        loop = asyncio.get_running_loop()
        try:
            with self.stats.timed("extract"):
                found = await loop.run_in_executor(self._pool, extract_and_sketch, jobs)
        except Exception:  # one page broke the extractor: each on its own, to tell which
            return [await self.one(item) for item in items]
        for item, analysed in zip(pages, found, strict=True):
            self._done(item, analysed)
        return items

    async def one(self, item: Item) -> Item:
        if item.html is None:
            return item
        loop = asyncio.get_running_loop()
        analysed = Analysed(None)
        try:
            with self.stats.timed("extract"):
                (analysed,) = await loop.run_in_executor(
                    self._pool, extract_and_sketch, [(item.html, item.entry.url)]
                )
        except Exception as exc:  # a page that breaks the extractor is no page
            self.stats.extract_errors += 1
            self.stats.count_error(exc)
            log.warning("extraction of %s failed: %r", item.entry.url, exc)
        self._done(item, analysed)
        return item

    def _done(self, item: Item, analysed: Analysed) -> None:
        item.html = None
        item.page, item.sketch, item.words = analysed
        if analysed.page is None:
            self.stats.extract_empty += 1
