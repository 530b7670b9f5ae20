"""A burst of more than ``MAX_PAGES`` pages between two polls is returned in full.

Bluesky and Hacker News page newest first, so a poll that runs out of pages before
it reaches its watermark leaves the older posts of the burst unread; its cursor
keeps them as a backlog, which the next polls read down to the old watermark. A
local server generates the timeline (``Timeline``: posts added between polls) and
answers like the APIs: searchPosts pages by offset, getAuthorFeed by the time of
the last item, Algolia by ``numericFilters`` and ``page``; every response carries
an ETag and answers 304 to it. Polls run like the pipeline's: each saves the
cursor the previous one returned, and the posts returned count as new when no
earlier poll returned them.
"""

from __future__ import annotations

import hashlib
import json
import operator
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crawlers import Fetcher
from crawlers.social import (
    BlueskySpec,
    HackerNewsSpec,
    SocialPollResult,
    SocialState,
    poll_bluesky,
    poll_hackernews,
)
from crawlers.social._bluesky import MAX_PAGES
from crawlers.social._common import BacklogCursor, WindowCursor
from tests._servers import serve_app

PAGE = 2  # posts a page: a burst of 25 is 13 pages, more than MAX_PAGES
CATCH_UP = 20  # polls at most to read the backlogs of the bursts below
START = 1_700_000_000
DID = "did:plc:backlog"
_FILTER = re.compile(r"created_at_i(>=|<=)(\d+)")
Poll = Callable[[Fetcher, str, SocialState | None], Awaitable[SocialPollResult]]


@dataclass
class Timeline:
    """Posts by number, newest first; ``same_second`` posts share each second."""

    same_second: int = 1
    posts: list[int] = field(default_factory=list)

    def add(self, n: int) -> None:
        start = len(self.posts)
        self.posts[:0] = reversed(range(start, start + n))

    def time(self, number: int) -> int:
        return START + 60 * (number // self.same_second)


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat().replace("+00:00", "Z")


def _post_view(timeline: Timeline, number: int) -> dict[str, Any]:
    when = _iso(timeline.time(number))
    return {
        "uri": f"at://{DID}/app.bsky.feed.post/p{number}",
        "author": {"handle": "burst.bsky.social", "did": DID},
        "record": {"text": f"post {number}", "createdAt": when},
        "indexedAt": when,
    }


def _search(timeline: Timeline, query: dict[str, str]) -> dict[str, Any]:
    offset = int(query.get("cursor", "0"))
    page = timeline.posts[offset : offset + PAGE]
    more = offset + PAGE < len(timeline.posts)
    body = {"posts": [_post_view(timeline, n) for n in page]}
    return {**body, "cursor": str(offset + PAGE)} if more else body


def _author_feed(timeline: Timeline, query: dict[str, str]) -> dict[str, Any]:
    before = query.get("cursor")
    older = [n for n in timeline.posts if before is None or _iso(timeline.time(n)) < before]
    page = older[:PAGE]
    body: dict[str, Any] = {"feed": [{"post": _post_view(timeline, n)} for n in page]}
    if len(older) > PAGE:
        body["cursor"] = _iso(timeline.time(page[-1]))
    return body


def _algolia(timeline: Timeline, query: dict[str, str]) -> dict[str, Any]:
    hits = timeline.posts
    for op, value in _FILTER.findall(query.get("numericFilters", "")):
        keep = operator.ge if op == ">=" else operator.le
        hits = [n for n in hits if keep(timeline.time(n), int(value))]
    page, pages = int(query.get("page", "0")), -(-len(hits) // PAGE)
    return {
        "hits": [
            {"objectID": str(1000 + n), "created_at_i": timeline.time(n), "_tags": ["story"]}
            | {"title": f"story {n}", "author": "pg", "points": 1, "num_comments": 0}
            for n in hits[page * PAGE : (page + 1) * PAGE]
        ],
        "page": page,
        "nbPages": pages,
        "nbHits": len(hits),
    }


ROUTES = {
    "/xrpc/app.bsky.feed.searchPosts": _search,
    "/xrpc/app.bsky.feed.getAuthorFeed": _author_feed,
    "/api/v1/search_by_date": _algolia,
}


def create_app(timeline: Timeline) -> Starlette:
    async def dispatch(request: Request) -> Response:
        handler = ROUTES.get(request.url.path)
        if handler is None:
            return Response("not found", 404)
        body = json.dumps(handler(timeline, dict(request.query_params))).encode()
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return Response(body, headers={"ETag": etag}, media_type="application/json")

    return Starlette(routes=[Route("/{path:path}", dispatch)])


@pytest.fixture
def timeline() -> Iterator[tuple[Timeline, str]]:
    line = Timeline()
    with serve_app(create_app(line)) as base:
        yield line, base


async def bluesky_search(fetcher: Fetcher, base: str, state: SocialState | None):
    return await poll_bluesky(fetcher, BlueskySpec(query="burst", base_url=base, limit=PAGE), state)


async def bluesky_feed(fetcher: Fetcher, base: str, state: SocialState | None):
    spec = BlueskySpec(actor="burst.bsky.social", base_url=base, limit=PAGE)
    return await poll_bluesky(fetcher, spec, state)


async def hackernews(fetcher: Fetcher, base: str, state: SocialState | None):
    spec = HackerNewsSpec(query="burst", base_url=base, limit=PAGE)
    return await poll_hackernews(fetcher, spec, state)


def number(post_id: str) -> int:
    return int(post_id.rsplit("/p", 1)[-1]) if post_id.startswith("at://") else int(post_id) - 1000


def backlog_of(cursor: str | None) -> object:
    return BacklogCursor.load(WindowCursor.load(cursor).cursor).backlog


ADAPTERS = [
    pytest.param(bluesky_search, 1, id="bluesky-search"),
    pytest.param(bluesky_feed, 1, id="bluesky-feed"),
    pytest.param(hackernews, 3, id="hackernews"),  # three hits a second: split by the pages
]


@pytest.mark.parametrize(("poll", "same_second"), ADAPTERS)
@pytest.mark.parametrize("bursts", [[25, 3], [30, 40, 1]])
async def test_a_burst_beyond_max_pages_is_read_over_the_next_polls(
    fetcher: Fetcher,
    timeline: tuple[Timeline, str],
    poll: Poll,
    same_second: int,
    bursts: list[int],
):
    line, base = timeline
    line.same_second = same_second
    line.add(3)
    first = await poll(fetcher, base, None)
    returned = {number(p.post_id) for p in first.posts}
    state = first.state()
    for burst in [*bursts, *[0] * CATCH_UP]:  # then polls with nothing new, until caught up
        if not burst and backlog_of(state.cursor) is None:
            break
        line.add(burst)
        result = await poll(fetcher, base, state)
        ids = [p.post_id for p in result.posts]
        assert len(ids) == len(set(ids))
        assert result.pages <= MAX_PAGES + 1  # Hacker News also asks for the window
        returned |= {number(i) for i in ids}
        state = result.state()
    newer = set(range(min(returned), len(line.posts)))  # all since the first poll's oldest
    assert returned == newer
    assert backlog_of(state.cursor) is None  # caught up: nothing owed


@pytest.mark.parametrize(("poll", "same_second"), ADAPTERS)
async def test_a_poll_that_falls_behind_saves_a_backlog_an_old_cursor_lacks(
    fetcher: Fetcher, timeline: tuple[Timeline, str], poll: Poll, same_second: int
):
    line, base = timeline
    line.same_second = same_second
    line.add(3)
    first = await poll(fetcher, base, None)
    assert backlog_of(first.cursor) is None and "\n" not in (first.cursor or "")
    line.add(25)
    behind = await poll(fetcher, base, first.state())
    backlog = backlog_of(behind.cursor)
    assert backlog is not None
    assert WindowCursor.load(behind.cursor).cursor != WindowCursor.load(first.cursor).cursor
    assert len(behind.posts) == MAX_PAGES * PAGE  # the newest ten; the rest is owed
