"""The extraction stage: pages queued together go to the process pool in one call,
and a page that breaks the extractor costs only itself. A real spawn pool and real
pages (the demo bundle's, ``service/demo/README.md``)."""

from __future__ import annotations

import asyncio
import gzip
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from crawlers import FeedEntry, PollResult, Source
from enrichment._syndication import sketch
from enrichment._tokens import index_text
from service._pipeline_extract import PageExtractor
from service._pipeline_items import DONE, Item, PipelineStats, Poll, run_batch_stage

PAGES = sorted((Path(__file__).parents[2] / "service" / "demo" / "pages").glob("*.html.gz"))
SOURCE = Source(id="s", url="http://127.0.0.1/feed", outlet="Outlet")


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as executor:
        yield executor


def item(n: int, html: Any) -> Item:
    poll = Poll(source=SOURCE, result=PollResult(), pending=1)
    return Item(poll=poll, entry=FeedEntry(url=f"http://127.0.0.1/a{n}"), html=html)


def page(n: int) -> bytes:
    return gzip.decompress(PAGES[n].read_bytes())


async def test_a_batch_extracts_each_page_in_order(pool: ProcessPoolExecutor):
    stats = PipelineStats()
    post = item(9, None)  # a social post: nothing to extract
    items = [item(0, page(0)), item(1, b"<html><body></body></html>"), post, item(2, page(2))]
    done = await PageExtractor(pool=pool, stats=stats).batch(items)
    assert done == items
    assert [i.html for i in done] == [None] * 4
    assert done[0].page is not None and done[3].page is not None
    assert done[0].page.text != done[3].page.text
    assert done[1].page is None and post.page is None
    assert (stats.extract_empty, stats.extract_errors) == (1, 0)
    # The syndication sketch and the index words of each text, computed in the worker
    # beside the extraction.
    assert done[0].sketch == sketch(done[0].page.text) and done[0].sketch[0]
    assert done[3].sketch == sketch(done[3].page.text) and done[3].sketch != done[0].sketch
    assert done[1].sketch is None and post.sketch is None
    assert done[0].words == index_text(done[0].page.text) and done[0].words
    assert done[3].words == index_text(done[3].page.text)
    assert done[1].words is None and post.words is None


async def test_a_page_that_breaks_the_extractor_costs_only_itself(pool: ProcessPoolExecutor):
    stats = PipelineStats()
    # No page a server sends makes trafilatura raise on demand; a non-page does.
    items = [item(0, page(0)), item(1, 12345), item(2, page(2))]
    done = await PageExtractor(pool=pool, stats=stats).batch(items)
    assert [i.page is not None for i in done] == [True, False, True]
    assert [i.sketch is not None for i in done] == [True, False, True]  # one by one, too
    assert [i.words is not None for i in done] == [True, False, True]
    assert stats.extract_errors == 1
    assert stats.errors_by_class == {"TypeError": 1}


async def test_the_stage_takes_what_is_queued_up_to_the_batch_size():
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    out: asyncio.Queue[Any] = asyncio.Queue()
    sizes: list[int] = []

    async def work(items: list[Item]) -> list[Item]:
        sizes.append(len(items))
        return items

    queued = [item(n, b"") for n in range(10)]
    for each in queued:
        inbox.put_nowait(each)
    inbox.put_nowait(DONE)
    await run_batch_stage(work, inbox, out, workers=1, batch=4)
    assert sizes == [4, 4, 2]
    assert [out.get_nowait() for _ in range(11)] == [*queued, DONE]


async def test_the_stage_never_waits_for_a_batch_to_fill():
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    out: asyncio.Queue[Any] = asyncio.Queue()
    stage = asyncio.create_task(
        run_batch_stage(lambda items: asyncio.sleep(0, items), inbox, out, workers=2, batch=4)
    )
    first = item(0, b"")
    await inbox.put(first)
    for _ in range(100):  # event-loop turns, not time: the item alone goes through
        await asyncio.sleep(0)
    assert out.get_nowait() is first
    await inbox.put(DONE)
    await stage
    assert out.get_nowait() is DONE
