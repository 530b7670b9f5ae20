"""A local stand-in for five social APIs, serving their recorded responses at the real paths.

The bodies are the recorded fixtures in ``tests/fixtures/social`` (see the README
there). The server implements just enough of each API's query semantics to test
incremental polling over those recordings: Mastodon's ``min_id``/``since_id``,
Bluesky's ``cursor``, Algolia's ``numericFilters``. A test can make any path
answer 429 (``throttle``) or a broken body (``break_path``) instead, or rewrite its
recorded body (``edits``: counts that moved since the recording); an edited response
carries its own ETag (a hash of the edited body) and answers 304 to it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crawlers import FetchConfig, Fetcher
from tests._servers import serve_app

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "social"
RECORDED_HOST = "http://localhost:3000"  # where Mastodon.py recorded its cassettes

MASTODON_ACCOUNT = "1234567890123456"
# The newest ids of the two recorded account pages (see mastodon/README.md).
OLDER_PAGE_NEWEST = "100465729713829041"
NEWER_PAGE_NEWEST = "100465729784759578"
BSKY_CURSOR = "2024-11-01T16:16:16.957Z"  # the recorded author feed's cursor
YOUTUBE_CHANNEL = "UCK8sQmJBp8GCxrOtXWBpyEA"
YOUTUBE_ETAG = '"yt-v1"'
JSON = "application/json; charset=utf-8"


def fixture(path: str) -> bytes:
    return (FIXTURES / path).read_bytes()


def mastodon_headers(name: str, base: str) -> dict[str, str]:
    recorded = json.loads(fixture("mastodon/headers.json"))[name]
    return {key: value.replace(RECORDED_HOST, base) for key, value in recorded.items()}


@dataclass
class SocialServer:
    base: str = ""
    requests: list[tuple[str, dict[str, str], dict[str, str]]] = field(default_factory=list)
    throttle: dict[str, tuple[str, int]] = field(default_factory=dict)  # path -> (Retry-After, n)
    broken: set[str] = field(default_factory=set)
    edits: dict[str, Callable[[bytes], bytes]] = field(default_factory=dict)  # path -> rewrite
    # The account's toots 9..5 have been posted: its newest page starts with them.
    mastodon_newer: bool = False

    def seen(self, path: str) -> list[dict[str, str]]:
        """The query parameters of each request to ``path``, in order."""
        return [query for p, query, _ in self.requests if p == path]

    def headers(self, path: str) -> list[dict[str, str]]:
        return [headers for p, _, headers in self.requests if p == path]


def create_app(server: SocialServer) -> Starlette:
    async def dispatch(request: Request) -> Response:
        path = request.url.path
        query = dict(request.query_params)
        server.requests.append((path, query, dict(request.headers)))
        if path in server.throttle:
            retry_after, remaining = server.throttle[path]
            if remaining > 0:
                server.throttle[path] = (retry_after, remaining - 1)
                return Response("rate limited", 429, {"Retry-After": retry_after})
        if path in server.broken:
            return Response(b'[{"id": "1", "content": "<p>cut', media_type=JSON)
        handler = ROUTES.get(path)
        if handler is None:
            return Response("not found", 404)
        newest = not query.keys() & {"min_id", "since_id", "max_id"}
        if server.mastodon_newer and path.endswith("/statuses") and newest:
            edit = server.edits.get(path, lambda body: body)
            return _edited(request, edit, _mastodon_newest(query))
        if path in server.edits:
            return _edited(
                request, server.edits[path], handler(_unconditional(request), query, server.base)
            )
        return handler(request, query, server.base)

    return Starlette(routes=[Route("/{path:path}", dispatch)])


def _unconditional(request: Request) -> Request:
    """``request`` without its validators: the recorded response is what gets edited."""
    headers = [(k, v) for k, v in request.scope["headers"] if k != b"if-none-match"]
    return Request({**request.scope, "headers": headers})


def _edited(request: Request, edit: Callable[[bytes], bytes], recorded: Response) -> Response:
    body = edit(bytes(recorded.body))
    etag = f'"edited-{hashlib.sha256(body).hexdigest()[:16]}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    skip = {"content-length", "etag"}
    headers = {k: v for k, v in recorded.headers.items() if k.lower() not in skip}
    return Response(body, headers={**headers, "ETag": etag})


def _mastodon_tag(request: Request, query: dict[str, str], base: str) -> Response:
    headers = mastodon_headers("tag_timeline_hoot.json", base)
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers={"ETag": headers["ETag"]})
    if query.get("min_id") == "109383678182834272":
        return Response(b"[]", media_type=JSON)  # nothing newer than the only status
    return Response(fixture("mastodon/tag_timeline_hoot.json"), headers=headers, media_type=JSON)


def _mastodon_newest(query: dict[str, str]) -> Response:
    """The account's newest page once toots 9..5 are posted: both recordings, newest
    first, as many as the request's ``limit``."""
    names = ("account_statuses_since_id.json", "account_statuses_max_id.json")
    statuses = [s for name in names for s in json.loads(fixture(f"mastodon/{name}"))]
    body = json.dumps(statuses[: int(query.get("limit", "20"))]).encode()
    return Response(body, media_type=JSON)


def _mastodon_account(request: Request, query: dict[str, str], base: str) -> Response:
    newer_than = query.get("min_id") or query.get("since_id")
    if newer_than == NEWER_PAGE_NEWEST:
        return Response(b"[]", media_type=JSON)
    name = "account_statuses_since_id.json" if newer_than else "account_statuses_max_id.json"
    headers = mastodon_headers(name, base)
    return Response(fixture(f"mastodon/{name}"), headers=headers, media_type=JSON)


def _bluesky_feed(request: Request, query: dict[str, str], base: str) -> Response:
    if query.get("cursor") == BSKY_CURSOR:
        return Response(b'{"feed": []}', media_type=JSON)  # the end of the feed
    return Response(fixture("bluesky/author_feed_benoist.json"), media_type=JSON)


def search_posts_body() -> dict[str, Any]:
    """A searchPosts body assembled from the recorded post views (see bluesky/README.md)."""
    feed = json.loads(fixture("bluesky/author_feed_benoist.json"))
    return {"posts": [item["post"] for item in feed["feed"]], "cursor": "25"}


def _bluesky_search(request: Request, query: dict[str, str], base: str) -> Response:
    if query.get("cursor") == "25":
        return Response(b'{"posts": []}', media_type=JSON)
    return Response(json.dumps(search_posts_body()).encode(), media_type=JSON)


def _hackernews(request: Request, query: dict[str, str], base: str) -> Response:
    body = json.loads(fixture("hackernews/search_by_date_nodejs.json"))
    filters = query.get("numericFilters", "")
    if filters.startswith("created_at_i>="):  # Algolia's filter, applied to the recording
        since = int(filters.removeprefix("created_at_i>="))
        body["hits"] = [hit for hit in body["hits"] if hit["created_at_i"] >= since]
        body["nbHits"], body["nbPages"] = len(body["hits"]), 1
    return Response(json.dumps(body).encode(), media_type=JSON)


def _reddit_listing(request: Request, query: dict[str, str], base: str) -> Response:
    return Response(fixture("reddit/search_posts.json"), media_type=JSON)


def _reddit_rss(request: Request, query: dict[str, str], base: str) -> Response:
    return Response(fixture("reddit/reddit.rss"), media_type="application/rss+xml")


def _reddit_search_atom(request: Request, query: dict[str, str], base: str) -> Response:
    return Response(fixture("reddit/reddit-home.atom"), media_type="application/atom+xml")


def _youtube(request: Request, query: dict[str, str], base: str) -> Response:
    if query.get("channel_id") != YOUTUBE_CHANNEL:
        return Response("unknown channel", 404)
    if request.headers.get("if-none-match") == YOUTUBE_ETAG:
        return Response(status_code=304, headers={"ETag": YOUTUBE_ETAG})
    body = fixture("youtube/youtube_atom.xml")
    return Response(body, headers={"ETag": YOUTUBE_ETAG}, media_type="application/atom+xml")


ROUTES = {
    "/api/v1/timelines/tag/hoot": _mastodon_tag,
    f"/api/v1/accounts/{MASTODON_ACCOUNT}/statuses": _mastodon_account,
    "/xrpc/app.bsky.feed.getAuthorFeed": _bluesky_feed,
    "/xrpc/app.bsky.feed.searchPosts": _bluesky_search,
    "/api/v1/search_by_date": _hackernews,
    "/r/worldnews/search.json": _reddit_listing,
    "/r/funny/new/.rss": _reddit_rss,
    "/search.rss": _reddit_search_atom,
    "/feeds/videos.xml": _youtube,
}


@pytest.fixture
def social() -> Iterator[SocialServer]:
    server = SocialServer()
    with serve_app(create_app(server)) as base:
        server.base = base
        yield server


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    config = FetchConfig(per_host_interval=0.0, retries=1, read_timeout=2.0, backoff_base=0.0)
    async with Fetcher(config=config) as f:
        yield f


def elapsed_since(start: float) -> float:
    return time.monotonic() - start
