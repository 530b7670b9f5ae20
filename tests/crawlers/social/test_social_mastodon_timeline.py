"""Mastodon against a generated timeline: one request per poll unless a burst needs more.

A local server answers like Mastodon's account statuses API over a timeline that
grows between polls: the newest page, ``min_id`` (the statuses immediately newer
than it, newest first) and ``since_id``, a ``Link: rel="prev"`` URL on every
non-empty page, an ETag and a 304 to it. Polls run like the pipeline's: each saves
the cursor the previous one returned.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crawlers import Fetcher
from crawlers.social import MastodonSpec, SocialPollResult, poll_mastodon
from crawlers.social._common import WindowCursor
from crawlers.social._mastodon import MAX_PAGES
from tests._servers import serve_app

PAGE = 5
PATH = "/api/v1/accounts/1/statuses"
FIRST_ID = 10**17  # Mastodon ids are numeric strings that grow with time


@dataclass
class Timeline:
    statuses: int = 0  # status n has id FIRST_ID + n; the newest has the largest n
    requests: list[dict[str, str]] = field(default_factory=list)

    def page(self, query: dict[str, str]) -> list[int]:
        newest_first = list(range(self.statuses - 1, -1, -1))
        limit = int(query.get("limit", "20"))
        if "min_id" in query:  # the statuses immediately newer than min_id
            return [n for n in newest_first if n > _number(query["min_id"])][-limit:]
        if "since_id" in query:  # the newest statuses newer than since_id
            return [n for n in newest_first if n > _number(query["since_id"])][:limit]
        return newest_first[:limit]


def _number(status_id: str) -> int:
    return int(status_id) - FIRST_ID


def _status(n: int) -> dict[str, Any]:
    return {
        "id": str(FIRST_ID + n),
        "url": f"https://social.example/@pr/{FIRST_ID + n}",
        "content": f"<p>status {n}</p>",
        "created_at": "2026-11-30T12:00:00.000Z",
        "account": {"acct": "pr"},
        "favourites_count": 0,
    }


def create_app(timeline: Timeline) -> Starlette:
    async def statuses(request: Request) -> Response:
        query = dict(request.query_params)
        timeline.requests.append(query)
        page = timeline.page(query)
        body = json.dumps([_status(n) for n in page]).encode()
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        headers = {"ETag": etag}
        if page:
            prev = f"{request.base_url}{PATH.lstrip('/')}?limit={PAGE}&min_id={FIRST_ID + page[0]}"
            headers["Link"] = f'<{prev}>; rel="prev"'
        return Response(body, headers=headers, media_type="application/json")

    return Starlette(routes=[Route(PATH, statuses)])


@pytest.fixture
def timeline() -> Iterator[tuple[Timeline, MastodonSpec]]:
    line = Timeline()
    with serve_app(create_app(line)) as base:
        yield line, MastodonSpec(instance=base, account_id="1", limit=PAGE)


def numbers(result: SocialPollResult) -> list[int]:
    return [_number(p.post_id) for p in result.posts]


async def test_a_quiet_account_costs_one_request_per_poll(
    fetcher: Fetcher, timeline: tuple[Timeline, MastodonSpec]
):
    line, spec = timeline
    line.statuses = 3
    first = await poll_mastodon(fetcher, spec, None)
    line.requests.clear()
    quiet = await poll_mastodon(fetcher, spec, first.state())
    assert quiet.posts == [] and quiet.not_modified and quiet.cursor == first.cursor
    line.statuses += 2  # fewer than a page: the newest page holds them and the cursor
    few = await poll_mastodon(fetcher, spec, quiet.state())
    assert numbers(few) == [4, 3, 2, 1, 0]  # the two new ones, then the window
    assert WindowCursor.load(few.cursor).cursor == str(FIRST_ID + 4)
    assert line.requests == [{"limit": "5"}, {"limit": "5"}]  # one request per poll
    assert (quiet.pages, few.pages) == (1, 1)


@pytest.mark.parametrize("bursts", [[12], [30, 3], [6, 60, 1]])
async def test_bursts_are_read_in_full_over_the_polls(
    fetcher: Fetcher, timeline: tuple[Timeline, MastodonSpec], bursts: list[int]
):
    line, spec = timeline
    line.statuses = 3
    first = await poll_mastodon(fetcher, spec, None)
    returned, state = set(numbers(first)), first.state()
    for burst in [*bursts, *[0] * 20]:  # then quiet polls, until the cursor is the newest
        if not burst and WindowCursor.load(state.cursor).cursor == str(
            FIRST_ID + line.statuses - 1
        ):
            break
        line.statuses += burst
        line.requests.clear()
        result = await poll_mastodon(fetcher, spec, state)
        assert len(numbers(result)) == len(set(numbers(result)))
        assert len(line.requests) == result.pages <= MAX_PAGES + 1
        returned |= set(numbers(result))
        state = result.state()
    assert returned == set(range(line.statuses))
    assert WindowCursor.load(state.cursor).cursor == str(FIRST_ID + line.statuses - 1)
