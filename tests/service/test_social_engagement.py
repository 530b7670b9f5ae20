"""A stored social post's engagement counts follow the platform, through the real pipeline.

A local server on 127.0.0.1 serves YouTube's recorded channel feed
(``tests/fixtures/social/youtube``), whose every poll returns the channel's newest
videos with their current counts. Polled twice, the second response with more views
and ratings for one video and an edited description for another: the first has its
counts refreshed in place (no new document, no enrichment, the same mentions), the
second is updated through enrichment; ``GET /v1/amplify`` then ranks on the new
counts. A third response, the same again under another ETag, changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crawlers import document_id
from crawlers.social import engagement_of, parse_youtube_feed
from search import MentionFilter, Store
from service._app import create_app
from service._runtime import Runtime
from tests._servers import serve_app
from tests.crawlers.social.conftest import YOUTUBE_CHANNEL, fixture
from tests.service.conftest import local_settings

COUNTED = "5shykyfmb28"  # "The Google app: Questions Title": 251497 views, 3546 ratings
EDITED = "xfFHnBQ6nQg"  # "Project Fi: Innovating in connectivity and communication"
RECORDED = fixture("youtube/youtube_atom.xml")
DESCRIPTION = b"A behind-the-scenes look at Project Fi."
# The second response: the counted video's counts grown, the other's description edited.
LATER = (
    RECORDED.replace(b'count="3546"', b'count="5120"')
    .replace(b'views="251497"', b'views="1048576"')
    .replace(DESCRIPTION, b"An edited behind-the-scenes look at Google's Project Fi.")
)


@dataclass
class ChannelFeed:
    """The channel feed to serve now, and its ETag (answered 304 when asked with it)."""

    body: bytes = RECORDED
    etag: str = '"v1"'


@pytest.fixture
def feed() -> Iterator[tuple[ChannelFeed, str]]:
    served = ChannelFeed()

    async def videos(request: Request) -> Response:
        if request.query_params.get("channel_id") != YOUTUBE_CHANNEL:
            return Response("unknown channel", 404)
        if request.headers.get("if-none-match") == served.etag:
            return Response(status_code=304, headers={"ETag": served.etag})
        return Response(
            served.body, headers={"ETag": served.etag}, media_type="application/atom+xml"
        )

    with serve_app(Starlette(routes=[Route("/feeds/videos.xml", videos)])) as base:
        yield served, base


def video_id(video: str) -> str:
    """The document id of a recorded video, by its YouTube id."""
    posts = parse_youtube_feed(RECORDED, url="http://127.0.0.1/")
    return next(document_id(p.url) for p in posts if p.post_id == video)


async def mentions_of(store: Store, doc_id: str) -> list[object]:
    page = await store.search_mentions(MentionFilter(), limit=100)
    return [h.mention for h in page.hits if h.mention.document_id == doc_id]


async def test_a_stored_post_gets_its_new_counts_without_enrichment(
    tmp_path: Path, feed: tuple[ChannelFeed, str]
) -> None:
    served, base = feed
    source = {
        "id": "youtube", "kind": "social", "platform": "youtube",
        "target": YOUTUBE_CHANNEL, "url": base, "outlet": "Google on YouTube",
    }  # fmt: skip
    brands = [{"id": "google", "name": "Google"}]
    settings = local_settings(tmp_path, {"brands": brands, "sources": [source]})
    counted, edited = video_id(COUNTED), video_id(EDITED)

    runtime = await Runtime.start(settings)
    try:
        store = runtime.store
        first = await runtime.pipeline.run_once()
        assert first.poll_errors == 0, first.errors_by_class
        assert first.documents == {"created": 15}
        before = await store.get_document(counted)
        assert before is not None
        assert engagement_of(before.extra) == {"views": 251497, "ratings": 3546}
        mentions = await mentions_of(store, counted)
        assert mentions  # "The Google app": the refresh must keep them

        served.body, served.etag = LATER, '"v2"'
        second = await runtime.pipeline.run_once()  # the counters are cumulative
        assert second.poll_errors == 0, second.errors_by_class
        assert second.engagement_refreshed == 1
        assert second.entries_new == 15 and second.entries_updated == 1  # the edited one
        # Enriched and saved in the second poll: the edited video only.
        assert second.documents == {"created": 15, "updated": 1}
        assert second.pages_fetched == 0
        assert await store.count_documents() == 15
        after = await store.get_document(counted)
        assert after is not None
        assert engagement_of(after.extra) == {"views": 1048576, "ratings": 5120}
        assert after.replace(extra=before.extra) == before  # nothing else was written
        assert await mentions_of(store, counted) == mentions
        rewritten = await store.get_document(edited)
        assert rewritten is not None and rewritten.text.startswith("An edited")

        served.etag = '"v3"'  # the same body again: nothing to refresh or update
        third = await runtime.pipeline.run_once()
        assert (third.engagement_refreshed, third.entries_updated) == (1, 1)
        assert third.documents == {"created": 15, "updated": 1}
    finally:
        await runtime.stop()

    query = {
        "brand": "google", "at": "2015-05-05T00:00:00Z", "days": 30,
        "min_sentiment": "neutral", "limit": 50,
    }  # fmt: skip
    with serve_app(create_app(settings)) as app:
        async with httpx.AsyncClient(base_url=app, timeout=60) as http:
            response = await http.get("/v1/amplify", params=query)
    assert response.status_code == 200, response.text
    ranked = {item["document_id"]: item for item in response.json()["items"]}
    assert ranked[counted]["engagement"] == {"views": 1048576, "ratings": 5120}
    assert ranked[counted]["components"]["engagement"] > 0
