"""Identity and in-place updates through the real pipeline, against a local publisher.

Two feeds link one story under two URLs whose pages declare the same canonical
URL: it is stored once, under the canonical URL's id, and later polls skip both
links before any page fetch (the store knows the links as aliases). A canonical
on another site is refused. When the feed re-dates an entry (Atom ``<updated>``)
the page is fetched again and the stored document updated in place; unchanged
entries are still not fetched.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crawlers import document_id
from service._runtime import Runtime
from service._settings import Settings
from tests._servers import serve_app
from tests.service.conftest import local_settings

SENTENCES = [
    "The city council approved the new harbour plan after a long debate on Tuesday evening.",
    "Engineers said the sea wall would be raised by two metres over the next five years.",
    "Residents of the old port district asked for more parks and fewer parking garages.",
    "The mayor promised that the ferry terminal would stay open during the construction.",
    "Critics warned that the budget did not include the cost of dredging the channel.",
]


def article(title: str, body: str, canonical: str) -> bytes:
    paragraphs = "".join(f"<p>{body} {s}</p>" for s in SENTENCES)
    return (
        f'<!doctype html><html lang="en"><head><title>{title}</title>'
        f'<link rel="canonical" href="{canonical}"></head><body><article>'
        f"<h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode()


@dataclass
class Publisher:
    version: int = 1
    updated: str = "2026-11-16T09:00:00Z"
    requests: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        async def handle(request: Request) -> Response:
            path, base = request.url.path, f"{request.url.scheme}://{request.url.netloc}"
            self.requests.append(
                str(request.url.path + ("?" + request.url.query if request.url.query else ""))
            )
            if path == "/one/atom.xml":
                body = (
                    '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">'
                    f"<title>One</title><id>{base}/one</id><updated>{self.updated}</updated>"
                    f'<entry><title>Harbour plan</title><link href="{base}/r/1"/>'
                    f"<id>{base}/r/1</id><published>2026-11-16T09:00:00Z</published>"
                    f"<updated>{self.updated}</updated><summary>Harbour.</summary></entry>"
                    f'<entry><title>Elsewhere</title><link href="{base}/x/2"/>'
                    f"<id>{base}/x/2</id><updated>2026-11-16T08:00:00Z</updated>"
                    "<summary>Copied.</summary></entry></feed>"
                )
                return Response(body.encode(), media_type="application/atom+xml")
            if path == "/two/rss.xml":
                body = (
                    '<?xml version="1.0"?><rss version="2.0"><channel><title>Two</title>'
                    f"<link>{base}/</link><item><title>Harbour plan</title>"
                    f"<link>{base}/story/1?edition=two</link>"
                    "<pubDate>Mon, 16 Nov 2026 09:00:00 GMT</pubDate></item></channel></rss>"
                )
                return Response(body.encode(), media_type="application/rss+xml")
            if path in ("/r/1", "/story/1"):
                title = "Harbour plan approved" if self.version == 1 else "Harbour plan revised"
                body_text = f"Version {self.version} of the story."
                return Response(
                    article(title, body_text, f"{base}/story/1"), media_type="text/html"
                )
            if path == "/x/2":
                page = article("Copied story", "Syndicated.", "https://other.example/story/2")
                return Response(page, media_type="text/html")
            return Response(b"not found", status_code=404)

        return Starlette(routes=[Route("/{path:path}", handle)])

    def pages(self) -> list[str]:
        return [r for r in self.requests if not r.endswith(".xml")]


@pytest.fixture
def publisher() -> Iterator[tuple[Publisher, str]]:
    pub = Publisher()
    with serve_app(pub.app()) as base:
        yield pub, base


def settings_for(tmp_path: Path, base: str) -> Settings:
    config = {
        "sources": [
            {"id": "one", "url": f"{base}/one/atom.xml", "outlet": "One"},
            {"id": "two", "url": f"{base}/two/rss.xml", "outlet": "Two"},
        ]
    }
    return local_settings(tmp_path, config)


async def test_one_story_two_links_is_one_document_updated_in_place(
    tmp_path: Path, publisher: tuple[Publisher, str]
) -> None:
    pub, base = publisher
    story = document_id(f"{base}/story/1")
    runtime = await Runtime.start(settings_for(tmp_path, base))
    try:
        store = runtime.store
        first = await runtime.pipeline.run_once()
        assert first.poll_errors == 0
        # /r/1 and /story/1?edition=two are one story; /x/2's cross-site canonical is refused
        assert await store.count_documents() == 2
        stored = await store.get_document(story)
        assert stored is not None and stored.url == f"{base}/story/1"
        assert "Version 1" in stored.text
        copied = await store.get_document(document_id(f"{base}/x/2"))
        assert copied is not None and copied.url == f"{base}/x/2"
        assert copied.extra["canonical_url"] == "https://other.example/story/2"
        assert await store.get_document(document_id("https://other.example/story/2")) is None

        # Nothing changed: both links are known (one as an alias), no page is fetched.
        pub.requests.clear()
        second = await runtime.pipeline.run_once()
        assert pub.pages() == []
        assert second.entries_new == first.entries_new and second.entries_updated == 0

        # The publisher edits the story and re-dates its Atom entry.
        pub.version, pub.updated = 2, "2026-11-16T15:30:00Z"
        pub.requests.clear()
        third = await runtime.pipeline.run_once()
        assert pub.pages() == ["/r/1"]  # the other link's entry was not re-dated
        assert third.entries_updated == 1
        assert third.documents.get("updated") == 1
        assert await store.count_documents() == 2
        updated = await store.get_document(story)
        assert updated is not None and "Version 2" in updated.text
        assert updated.title == "Harbour plan revised"
        assert updated.extra["updated_at"] == "2026-11-16T15:30:00+00:00"

        pub.requests.clear()
        await runtime.pipeline.run_once()
        assert pub.pages() == []  # the new stamp is stored: no fetch again

        # Re-dated with the same text: fetched once, the stamp kept, then left alone.
        pub.updated = "2026-11-16T18:00:00Z"
        pub.requests.clear()
        await runtime.pipeline.run_once()
        await runtime.pipeline.run_once()
        assert pub.pages() == ["/r/1"]
        same = await store.get_document(story)
        assert same is not None and same.extra["updated_at"] == "2026-11-16T18:00:00+00:00"
    finally:
        await runtime.stop()
