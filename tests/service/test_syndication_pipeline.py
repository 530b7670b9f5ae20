"""Syndication and key messages through the real ingest pipeline.

A local publisher serves two outlets: a wire service with a real article page
(ScienceAlert's Europa story, ``tests/fixtures/pages``) and a reprint site
that republishes the same article text in its own page boilerplate, under
another headline and without the last paragraph, next to a different story.
After one crawl both copies are in one cluster, share of voice counts the
story once by default, and the brand's key message is found in each copy.
"""

from __future__ import annotations

import gzip
import html
import json
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from search import MentionFilter
from service._runtime import Runtime
from tests._servers import serve_app
from tests.service.conftest import local_settings

PAGES = Path(__file__).parents[1] / "fixtures" / "pages"
EUROPA = "14cc2a0ca59c62a8c9f205a171e9ccf4ef4cf69b0c642f51c8c65c051b39024f"
PLAGUE = "ea25dd7edff4d27973600f35728f20aed5a3eedcc23257d9c3afc3d3e840c3de"
MESSAGE = "NASA has found water vapour above the surface of Europa."


def _article(page_id: str) -> list[str]:
    truth = json.loads((PAGES / "ground-truth.json").read_text())
    return [p for p in truth[page_id]["articleBody"].split("\n") if p.strip()]


def _reprint(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><title>{html.escape(title)} | Reprint Daily</title></head>"
        "<body><nav><a href='/'>Home</a> <a href='/science'>Science</a> "
        "<a href='/subscribe'>Subscribe</a></nav>"
        f"<main><article><h1>{html.escape(title)}</h1>{body}</article></main>"
        "<aside><h3>Most read</h3><ul><li>Council approves bus lanes</li></ul></aside>"
        "<footer>© 2026 Reprint Daily. Terms · Privacy</footer></body></html>"
    ).encode()


def _rss(base: str, items: list[tuple[str, str]]) -> bytes:
    entries = "".join(
        f"<item><title>{t}</title><link>{base}{p}</link><guid>{base}{p}</guid>"
        "<pubDate>Mon, 16 Nov 2026 09:00:00 GMT</pubDate></item>"
        for t, p in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>{base}/</link>'
        f"{entries}</channel></rss>"
    ).encode()


def _app() -> Starlette:
    async def handle(request: Request) -> Response:
        base = f"{request.url.scheme}://{request.url.netloc}"
        path = request.url.path
        if path == "/wire/feed.xml":
            return Response(_rss(base, [("Europa", "/wire/europa")]), media_type="text/xml")
        if path == "/reprint/feed.xml":
            items = [("Water on Europa", "/reprint/europa"), ("Plague", "/reprint/plague")]
            return Response(_rss(base, items), media_type="text/xml")
        if path == "/wire/europa":
            page = gzip.decompress((PAGES / f"{EUROPA}.html.gz").read_bytes())
            return Response(page, media_type="text/html")
        if path == "/reprint/europa":
            copy = _reprint("Scientists confirm water on Europa", _article(EUROPA)[:-1])
            return Response(copy, media_type="text/html")
        if path == "/reprint/plague":
            other = _reprint("Plague in China", _article(PLAGUE))
            return Response(other, media_type="text/html")
        return Response(b"", status_code=404)

    return Starlette(routes=[Route("/{path:path}", handle)])


@pytest.fixture
def publisher() -> Iterator[str]:
    with serve_app(_app()) as base:
        yield base


async def test_copies_cluster_and_carry_the_key_message(tmp_path: Path, publisher: str) -> None:
    config = {
        "brands": [
            {"id": "nasa", "name": "NASA", "key_messages": [MESSAGE]},
            {"id": "china", "name": "China"},
        ],
        "sources": [
            {"id": name, "url": f"{publisher}/{name}/feed.xml", "outlet": name.title()}
            for name in ("wire", "reprint")
        ],
    }
    settings = local_settings(tmp_path, config)
    runtime = await Runtime.start(settings)
    try:
        stats = await runtime.pipeline.run_once()
        assert stats.documents == {"created": 3}
        store = runtime.store
        hits = (await store.search_mentions(MentionFilter(brand_ids=("nasa",)), limit=10)).hits
        assert len(hits) == 2
        ids = {h.mention.document_id for h in hits}
        clusters = {h.mention.cluster_id or h.mention.document_id for h in hits}
        assert len(clusters) == 1 and clusters <= ids  # one cluster, named by its first copy
        for hit in hits:
            carried = [m for m in hit.mention.messages if m.stance == "carried"]
            assert [m.message for m in carried] == [MESSAGE], hit.url
        china = (await store.search_mentions(MentionFilter(brand_ids=("china",)), limit=10)).hits
        assert china and all(h.mention.cluster_id is None for h in china)  # its own story

        utc = ZoneInfo("UTC")
        where = MentionFilter(brand_ids=("nasa",))
        per_outlet = await store.mention_counts(where, interval="week", tz=utc, count="outlet")
        per_story = await store.mention_counts(where, interval="week", tz=utc, count="document")
        assert [c.count for c in per_outlet] == [2]
        assert [c.count for c in per_story] == [1]
        pull = await store.pull_through(where)
        assert (pull.mentions, pull.carried, pull.any_contradicted) == (2, {MESSAGE: 2}, 0)
    finally:
        await runtime.stop()


def _summary_feed(base: str, name: str, summary: str) -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>'
        f"<item><title>Europa, by {name}</title><link>{base}/{name}/gone</link>"
        f"<description>{html.escape(summary)}</description>"
        "<pubDate>Mon, 16 Nov 2026 09:00:00 GMT</pubDate></item></channel></rss>"
    ).encode()


async def test_copies_known_only_by_their_feed_summaries_cluster(tmp_path: Path) -> None:
    # The pages are gone (404): each document is its feed's summary, sketched by the
    # pipeline itself rather than beside an extraction.
    summary = " ".join(_article(EUROPA)[:3])

    async def handle(request: Request) -> Response:
        name = request.url.path.split("/")[1]
        if request.url.path.endswith("/feed.xml"):
            base = f"{request.url.scheme}://{request.url.netloc}"
            return Response(_summary_feed(base, name, summary), media_type="text/xml")
        return Response(b"", status_code=404)

    with serve_app(Starlette(routes=[Route("/{path:path}", handle)])) as base:
        config = {
            "brands": [{"id": "nasa", "name": "NASA"}],
            "sources": [
                {"id": name, "url": f"{base}/{name}/feed.xml", "outlet": name.title()}
                for name in ("first", "second")
            ],
        }
        runtime = await Runtime.start(local_settings(tmp_path, config))
        try:
            stats = await runtime.pipeline.run_once()
            assert stats.documents == {"created": 2}
            where = MentionFilter(brand_ids=("nasa",))
            hits = (await runtime.store.search_mentions(where, limit=10)).hits
            assert len(hits) == 2
            ids = {h.mention.document_id for h in hits}
            clusters = {h.mention.cluster_id or h.mention.document_id for h in hits}
            assert len(ids) == 2 and len(clusters) == 1 and clusters <= ids
        finally:
            await runtime.stop()
