"""Two crawler processes' pipelines (shards 0/2 and 1/2) over one SQLite file.

A local farm serves many feeds; each pipeline polls only the sources its shard
owns, and together they store every document exactly once: every feed is polled
once and every page fetched once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crawlers import Shard
from service._runtime import Runtime
from service._settings import Settings
from tests._servers import serve_app
from tests.service.conftest import local_settings

FEEDS = 16
ITEMS = 3


def farm(requests: list[str]) -> Starlette:
    async def handle(request: Request) -> Response:
        path, base = request.url.path, f"{request.url.scheme}://{request.url.netloc}"
        requests.append(path)
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[1] == "feed.xml":
            items = "".join(
                f"<item><title>Story {n} of {parts[0]}</title>"
                f"<link>{base}/{parts[0]}/story-{n}</link>"
                f"<description>Summary {n} of feed {parts[0]}.</description>"
                f"<pubDate>Mon, 16 Nov 2026 0{n}:00:00 GMT</pubDate></item>"
                for n in range(ITEMS)
            )
            body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>{parts[0]}</title>'
            return Response(
                (body + items + "</channel></rss>").encode(), media_type="application/rss+xml"
            )
        if len(parts) == 2 and parts[1].startswith("story-"):
            text = "".join(
                f"<p>Paragraph {i} of {path}: the farm writes plain sentences for tests.</p>"
                for i in range(6)
            )
            page = f"<html><body><article><h1>{path}</h1>{text}</article></body></html>"
            return Response(page.encode(), media_type="text/html")
        return Response(b"not found", status_code=404)

    return Starlette(routes=[Route("/{path:path}", handle)])


@pytest.fixture
def feed_farm() -> Iterator[tuple[str, list[str]]]:
    requests: list[str] = []
    with serve_app(farm(requests)) as base:
        yield base, requests


def settings_for(tmp_path: Path, base: str, shard: str) -> Settings:
    config = {
        "sources": [
            {"id": f"feed-{n:02d}", "url": f"{base}/f{n:02d}/feed.xml", "outlet": f"Feed {n}"}
            for n in range(FEEDS)
        ]
    }
    return local_settings(tmp_path, config, per_host_concurrency=8, shard=shard)


async def test_two_shards_store_every_document_exactly_once(
    tmp_path: Path, feed_farm: tuple[str, list[str]]
) -> None:
    base, requests = feed_farm
    first = await Runtime.start(settings_for(tmp_path, base, "0/2"))
    try:
        second = await Runtime.start(settings_for(tmp_path, base, "1/2"))
        try:
            stats = await asyncio.gather(first.pipeline.run_once(), second.pipeline.run_once())
            assert await first.store.count_documents() == FEEDS * ITEMS
            assert await second.store.count_documents() == FEEDS * ITEMS  # one file
        finally:
            await second.stop()
    finally:
        await first.stop()

    owned = [
        {f"feed-{n:02d}" for n in range(FEEDS) if Shard(k, 2).owns(f"feed-{n:02d}")} for k in (0, 1)
    ]
    assert owned[0] and owned[1]  # 16 ids do not all land on one shard
    assert [s.polls for s in stats] == [len(owned[0]), len(owned[1])]
    assert [s.documents.get("created", 0) for s in stats] == [
        len(owned[0]) * ITEMS,
        len(owned[1]) * ITEMS,
    ]
    hits = Counter(requests)
    feeds = [p for p in hits if p.endswith("/feed.xml")]
    pages = [p for p in hits if "/story-" in p]
    assert len(feeds) == FEEDS and len(pages) == FEEDS * ITEMS
    assert all(hits[p] == 1 for p in feeds + pages)  # nothing polled or fetched twice
