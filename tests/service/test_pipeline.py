"""The ingest pipeline against a misbehaving publisher (a real local server).

One broken feed does not stop the others; a page that is gone leaves the feed's
own text; a page that fails transiently is retried at the next poll, because the
feed's validators are not saved until every entry of the poll is stored.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crawlers import Source
from search import MentionFilter
from service._app import create_app
from service._runtime import Runtime
from service._settings import Settings
from tests._servers import serve_app
from tests.crawlers._warm import date_patterns_compiled
from tests.service.conftest import local_settings

PAGES = Path(__file__).parents[1] / "fixtures" / "pages"
EUROPA = "14cc2a0ca59c62a8c9f205a171e9ccf4ef4cf69b0c642f51c8c65c051b39024f"  # mentions NASA
PLAGUE = "ea25dd7edff4d27973600f35728f20aed5a3eedcc23257d9c3afc3d3e840c3de"


@dataclass
class Publisher:
    """What the server does; tests change it between polls."""

    flaky_page_fails: bool = True
    requests: list[str] = field(default_factory=list)

    def rss(self, base: str, items: list[tuple[str, str, str]]) -> bytes:
        entries = "".join(
            f"<item><title>{title}</title><link>{base}{path}</link><guid>{base}{path}</guid>"
            f"<description>{summary}</description>"
            "<pubDate>Mon, 16 Nov 2026 09:00:00 GMT</pubDate></item>"
            for title, path, summary in items
        )
        return (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Test</title>'
            f"<link>{base}/</link>{entries}</channel></rss>"
        ).encode()

    def app(self) -> Starlette:
        def page(name: str) -> bytes:
            return gzip.decompress((PAGES / f"{name}.html.gz").read_bytes())

        async def handle(request: Request) -> Response:
            path = request.url.path
            self.requests.append(path)
            base = f"{request.url.scheme}://{request.url.netloc}"
            if path == "/good/feed.xml":
                body = self.rss(base, [("Plumes on Europa", "/pages/europa", "NASA saw plumes.")])
                return Response(body, media_type="application/rss+xml", headers={"ETag": '"g1"'})
            if path == "/mixed/feed.xml":
                items = [
                    ("Gone story about NASA", "/pages/gone", "NASA summary kept from the feed."),
                    ("Flaky plague story", "/pages/flaky", "Plague cases in China."),
                ]
                if request.headers.get("if-none-match") == '"m1"':
                    return Response(status_code=304)
                body = self.rss(base, items)
                return Response(body, media_type="application/rss+xml", headers={"ETag": '"m1"'})
            if path == "/broken/feed.xml":
                return Response(b"<html><body>Not a feed</body></html>", media_type="text/html")
            if path == "/down/feed.xml":
                return Response(b"", status_code=404)
            if path == "/pages/europa":
                return Response(page(EUROPA), media_type="text/html")
            if path == "/pages/flaky":
                if self.flaky_page_fails:
                    return Response(b"busy", status_code=503, headers={"Retry-After": "0"})
                return Response(page(PLAGUE), media_type="text/html")
            return Response(b"gone", status_code=410)

        return Starlette(routes=[Route("/{path:path}", handle)])


@pytest.fixture
def publisher() -> Iterator[tuple[Publisher, str]]:
    pub = Publisher()
    with serve_app(pub.app()) as base:
        yield pub, base


def settings_for(tmp_path: Path, base: str) -> Settings:
    config = {
        "brands": [{"id": "nasa", "name": "NASA"}],
        "sources": [
            {"id": name, "url": f"{base}/{name}/feed.xml", "outlet": name.title()}
            for name in ("good", "mixed", "broken", "down")
        ],
    }
    return local_settings(tmp_path, config)


@pytest.mark.parametrize("warm_up", [True, False])
async def test_the_extraction_workers_do_their_one_time_set_up_as_they_start(
    tmp_path: Path, warm_up: bool
) -> None:
    config = {"brands": [], "sources": []}
    runtime = await Runtime.start(local_settings(tmp_path, config, extract_warm_up=warm_up))
    try:
        loop = asyncio.get_running_loop()
        # No page extracted yet: the worker's date parser is ready for any date, or
        # (CLARION_EXTRACT_WARM_UP=false) left to the first page that needs it.
        compiled = await loop.run_in_executor(runtime.pool, date_patterns_compiled)
        assert compiled > 100 if warm_up else compiled == 0
    finally:
        await runtime.stop()


async def test_misbehaving_sources_are_isolated_and_nothing_is_lost(
    tmp_path: Path, publisher: tuple[Publisher, str]
) -> None:
    pub, base = publisher
    runtime = await Runtime.start(settings_for(tmp_path, base))
    try:
        stats = await runtime.pipeline.run_once()
        store = runtime.store
        assert stats.poll_errors == 2  # broken (HTML) and down (404)
        assert stats.documents == {"created": 2}  # europa, and the gone page from its feed text

        broken = await store.get_feed_state("broken")
        assert broken is not None and broken.consecutive_failures == 1
        assert broken.last_error_class in {"FeedParseError", "HtmlInsteadOfFeedError"}
        down = await store.get_feed_state("down")
        assert down is not None and down.last_error_class == "PermanentFetchError"

        hits = (await store.search_mentions(MentionFilter(brand_ids=("nasa",)), limit=10)).hits
        europa = (
            "NASA Just Confirmed There Are Water Plumes Above The Surface of Jupiter's Moon Europa"
        )
        # the page's own headline wins over the feed's; the gone page keeps the feed's
        assert sorted(h.title for h in hits) == ["Gone story about NASA", europa]
        gone = next(h for h in hits if h.title == "Gone story about NASA")
        document = await store.get_document(gone.mention.document_id)
        assert document is not None and document.extra["text_source"] == "feed"
        assert document.text == "NASA summary kept from the feed."

        # The flaky page failed: the mixed feed's ETag was not kept, so the next poll
        # fetches the feed in full and ingests the page once it answers.
        mixed = await store.get_feed_state("mixed")
        assert mixed is not None and mixed.etag is None
        pub.flaky_page_fails = False
        stats = await runtime.pipeline.run_once()
        assert stats.documents == {"created": 3}  # cumulative: one more
        assert await store.count_documents() == 3
        mixed = await store.get_feed_state("mixed")
        assert mixed is not None and mixed.etag == '"m1"'

        # Now everything is stored: the mixed feed answers 304 and nothing is fetched.
        pub.requests.clear()
        stats = await runtime.pipeline.run_once()
        assert stats.documents == {"created": 3}
        assert not [p for p in pub.requests if p.startswith("/pages/")]
    finally:
        await runtime.stop()


async def test_a_source_added_while_crawling_is_picked_up(
    tmp_path: Path, publisher: tuple[Publisher, str]
) -> None:
    _pub, base = publisher
    settings = settings_for(tmp_path, base)
    runtime = await Runtime.start(settings)
    try:
        for source_id in ("mixed", "broken", "down"):
            await runtime.store.delete_source(source_id)
        runtime.start_crawling()
        for _ in range(2000):  # hang guard
            if await runtime.store.count_documents() >= 1:
                break
            await asyncio.sleep(0.01)
        await runtime.store.put_source(
            Source(id="late", url=f"{base}/mixed/feed.xml", outlet="Late", domain="late.test")
        )
        for _ in range(4000):  # hang guard; the scheduler looks every few seconds
            if await runtime.store.get_feed_state("late") is not None:
                break
            await asyncio.sleep(0.01)
        assert await runtime.store.get_feed_state("late") is not None
        assert runtime.crawl_failure() is None
    finally:
        await runtime.stop()


async def test_a_failing_source_is_disabled_shown_and_re_enabled(
    tmp_path: Path, publisher: tuple[Publisher, str]
) -> None:
    pub, base = publisher
    settings = settings_for(tmp_path, base).model_copy(update={"max_failures": 2})
    runtime = await Runtime.start(settings)
    try:
        await runtime.pipeline.run_once()
        await runtime.pipeline.run_once()
        down = await runtime.store.get_feed_state("down")
        assert down is not None and down.consecutive_failures == 2
        assert down.disabled_reason and "PermanentFetchError" in down.disabled_reason
        pub.requests.clear()
        await runtime.pipeline.run_once()
        assert "/down/feed.xml" not in pub.requests  # disabled: not polled any more
        assert "/broken/feed.xml" not in pub.requests
    finally:
        await runtime.stop()

    _check_health_api(settings)


def _check_health_api(settings: Settings) -> None:
    with serve_app(create_app(settings)) as api, httpx.Client(base_url=api) as client:
        health = client.get("/v1/sources/down/health").json()
        assert health["enabled"] is False
        assert health["last_error_class"] == "PermanentFetchError"
        assert "disabled after 2 consecutive failures" in health["disabled_reason"]
        assert client.get("/v1/sources/good/health").json()["enabled"] is True
        enabled = client.post("/v1/sources/down/enable").json()
        assert enabled["enabled"] is True and enabled["consecutive_failures"] == 0
        assert client.get("/v1/sources/down/health").json()["disabled_reason"] is None
        assert client.get("/v1/sources/nope/health").status_code == 404
