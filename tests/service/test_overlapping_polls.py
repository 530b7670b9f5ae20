"""Two polls of one source overlapping: the second starts while an entry of the first
is still on its way to the store (a slow page; ``poll_soon`` from the API; a short
interval under backpressure).

The later poll owns the source's outcome: an earlier poll that ends after it does
not overwrite its failure with a success. And a poll that lists an entry still in
flight from the earlier one waits for it before saving its validators, so a crash
in between cannot make a conditional GET hide an entry that was never stored.
"""

from __future__ import annotations

import asyncio
import gzip
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crawlers import document_id
from service._runtime import Runtime
from tests._servers import serve_app
from tests.service.conftest import local_settings

PAGE = Path(__file__).parents[1] / "fixtures" / "pages"
EUROPA = "14cc2a0ca59c62a8c9f205a171e9ccf4ef4cf69b0c642f51c8c65c051b39024f"


@dataclass
class Publisher:
    """One feed of one entry (ETag ``"v1"``) over a page held until ``release`` is set."""

    feed_fails: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    feed_requests: int = 0
    page_requests: int = 0
    base: str = ""

    @property
    def app(self) -> Starlette:
        async def feed(request: Request) -> Response:
            self.feed_requests += 1
            if self.feed_fails:
                return Response(b"gone for now", status_code=404)
            link = f"{self.base}/europa.html"
            body = (
                '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
                f"<item><title>Europa</title><link>{link}</link><guid>{link}</guid>"
                "<pubDate>Mon, 16 Nov 2026 09:00:00 GMT</pubDate></item></channel></rss>"
            )
            return Response(
                body.encode(), media_type="application/rss+xml", headers={"ETag": '"v1"'}
            )

        async def page(request: Request) -> Response:
            self.page_requests += 1
            await asyncio.to_thread(self.release.wait)
            body = gzip.decompress((PAGE / f"{EUROPA}.html.gz").read_bytes())
            return Response(body, media_type="text/html; charset=utf-8")

        return Starlette(routes=[Route("/feed.xml", feed), Route("/europa.html", page)])


@pytest.fixture
async def crawling(tmp_path: Path) -> AsyncIterator[tuple[Publisher, Runtime]]:
    publisher = Publisher()
    with serve_app(publisher.app) as base:
        publisher.base = base
        config = {
            "brands": [],
            "sources": [{"id": "news", "url": f"{base}/feed.xml", "outlet": "N"}],
        }
        runtime = await Runtime.start(local_settings(tmp_path, config, poll_interval=3600.0))
        crawl = asyncio.create_task(runtime.pipeline.run_forever())
        try:

            async def page_held() -> bool:
                return publisher.page_requests == 1

            await until(page_held, "the first poll's page request")
            yield publisher, runtime  # the first poll's page is being held
        finally:
            publisher.release.set()
            crawl.cancel()
            with pytest.raises(asyncio.CancelledError):
                await crawl
            await runtime.stop()


async def until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait for ``condition``: a hang guard (60 s), not a speed assertion."""
    for _ in range(600):
        if await condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


async def test_an_earlier_poll_ending_late_does_not_hide_a_later_failure(
    crawling: tuple[Publisher, Runtime],
) -> None:
    publisher, runtime = crawling
    store = runtime.store
    publisher.feed_fails = True
    runtime.pipeline.poll_soon("news")

    async def failed() -> bool:
        state = await store.get_feed_state("news")
        return state is not None and state.consecutive_failures == 1

    await until(failed, "the second poll's failure")
    publisher.release.set()  # now the first poll's entry is stored and its poll ends

    async def stored() -> bool:
        return await store.get_document(document_id(f"{publisher.base}/europa.html")) is not None

    await until(stored, "the first poll's document")
    await asyncio.sleep(0.5)  # the first poll's end is written after its document
    state = await store.get_feed_state("news")
    assert state is not None
    assert (state.consecutive_failures, state.last_error_class) == (1, "PermanentFetchError")
    assert state.etag is None  # the earlier poll's validators are stale: not saved


async def test_a_later_poll_waits_for_an_entry_in_flight_before_saving_validators(
    crawling: tuple[Publisher, Runtime],
) -> None:
    publisher, runtime = crawling
    store = runtime.store
    runtime.pipeline.poll_soon("news")

    async def polled_again() -> bool:
        return publisher.feed_requests == 2

    await until(polled_again, "the second poll")
    await asyncio.sleep(0.5)  # time for a poll with nothing pending to end and save
    state = await store.get_feed_state("news")
    assert state is None or state.etag is None  # the entry it listed is not stored yet
    publisher.release.set()

    async def saved() -> bool:
        state = await store.get_feed_state("news")
        return state is not None and state.etag == '"v1"'

    await until(saved, "the validators, once the entry is stored")
    assert await store.get_document(document_id(f"{publisher.base}/europa.html")) is not None
    assert publisher.page_requests == 1  # fetched once, by the first poll
