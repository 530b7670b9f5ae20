"""Each adapter's poll against a real local server replaying the recorded responses.

Covers first polls, incremental polls (Mastodon ``min_id`` + ``Link``, Bluesky and
Hacker News watermarks, Reddit's time filter; the recent window each poll also returns
is in ``test_social_window.py``), conditional GET, 429 with
``Retry-After`` (waited out when short, handed back when long) and broken bodies.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from crawlers import FeedParseError, FetchConfig, Fetcher, TransientFetchError
from crawlers.social import (
    BlueskySpec,
    HackerNewsSpec,
    MastodonSpec,
    RedditSpec,
    SocialPollResult,
    SocialState,
    YouTubeSpec,
    poll_bluesky,
    poll_hackernews,
    poll_mastodon,
    poll_reddit,
    poll_social,
    poll_youtube,
    social_spec,
)
from crawlers.social._common import WindowCursor
from tests.crawlers.social.conftest import (
    MASTODON_ACCOUNT,
    NEWER_PAGE_NEWEST,
    OLDER_PAGE_NEWEST,
    YOUTUBE_CHANNEL,
    YOUTUBE_ETAG,
    SocialServer,
)

ACCOUNT_PATH = f"/api/v1/accounts/{MASTODON_ACCOUNT}/statuses"


def account(base: str, limit: int = 5) -> MastodonSpec:
    # The recorded pages were requested with limit=5: a page of 5 is a full page.
    return MastodonSpec(instance=base, account_id=MASTODON_ACCOUNT, limit=limit)


async def test_mastodon_first_poll_reads_the_newest_page(fetcher: Fetcher, social: SocialServer):
    result = await poll_mastodon(fetcher, account(social.base), None)
    assert [p.text for p in result.posts] == [f"Toot number {n}!" for n in (4, 3, 2, 1, 0)]
    assert WindowCursor.load(result.cursor).cursor == OLDER_PAGE_NEWEST
    assert result.pages == 1
    assert social.seen(ACCOUNT_PATH) == [{"limit": "5"}]


async def test_mastodon_incremental_poll_follows_link_prev(fetcher: Fetcher, social: SocialServer):
    social.mastodon_newer = True  # toots 9..5 posted since the cursor (toot 4)
    state = SocialState(cursor=OLDER_PAGE_NEWEST)
    result = await poll_mastodon(fetcher, account(social.base), state)
    new = [p.text for p in result.posts if p.post_id > OLDER_PAGE_NEWEST]
    assert new == [f"Toot number {n}!" for n in (9, 8, 7, 6, 5)]
    assert WindowCursor.load(result.cursor).cursor == NEWER_PAGE_NEWEST
    # The newest page is full and all newer than the cursor: statuses may lie between,
    # so they are read from the cursor on, following the server's rel="prev" URL until
    # a page comes back short.
    assert social.seen(ACCOUNT_PATH) == [
        {"limit": "5"},
        {"limit": "5", "min_id": OLDER_PAGE_NEWEST},
        {"limit": "5", "since_id": NEWER_PAGE_NEWEST},
    ]
    social.requests.clear()
    again = await poll_mastodon(fetcher, account(social.base), result.state())
    assert all(p.post_id <= NEWER_PAGE_NEWEST for p in again.posts)  # the window only
    assert WindowCursor.load(again.cursor).cursor == NEWER_PAGE_NEWEST
    assert social.seen(ACCOUNT_PATH) == [{"limit": "5"}]  # it holds the cursor: one request


async def test_mastodon_hashtag_timeline_and_conditional_get(
    fetcher: Fetcher, social: SocialServer
):
    spec = MastodonSpec.parse(f"#hoot@{social.base}")
    first = await poll_mastodon(fetcher, spec, None)
    assert [p.text for p in first.posts] == ["#hoot (hashtag toot)"]
    assert first.etag == 'W/"2b0f51f846a105c96f9fbcf3101ad5d4"'
    second = await poll_mastodon(fetcher, spec, SocialState(etag=first.etag))
    assert second.not_modified and second.posts == []
    path = "/api/v1/timelines/tag/hoot"
    assert social.headers(path)[1]["if-none-match"] == first.etag


async def test_bluesky_author_feed_first_poll(fetcher: Fetcher, social: SocialServer):
    spec = BlueskySpec(actor="benoist.dev", base_url=social.base)
    result = await poll_bluesky(fetcher, spec, None)
    assert [p.authors for p in result.posts] == [
        ("spooky.click",), ("lookitup.baby",), ("justingarrison.com",)
    ]  # fmt: skip
    assert result.cursor is not None
    assert result.cursor.startswith("2024-11-03T22:49:09.107000+00:00 at://")
    assert result.pages == 1


async def test_bluesky_incremental_poll_stops_at_seen_posts(fetcher: Fetcher, social: SocialServer):
    spec = BlueskySpec(actor="benoist.dev", base_url=social.base)
    first = await poll_bluesky(fetcher, spec, None)
    again = await poll_bluesky(fetcher, spec, first.state())
    # Nothing new: the page (the recent window) again, the cursor where it was.
    assert again.posts == first.posts and again.cursor == first.cursor and again.pages == 1
    # Seen up to the second item: only the newest one is new, and one page is enough.
    second_item = "at://did:plc:z2rokxrttw5254hogmucux2x/app.bsky.feed.post/3l7yz7dqnsx22"
    state = SocialState(cursor=f"2024-11-03T22:48:09.729000+00:00 {second_item}")
    partial = await poll_bluesky(fetcher, spec, state)
    assert partial.posts == first.posts and partial.cursor == first.cursor
    assert partial.pages == 1


async def test_bluesky_catching_up_follows_the_cursor(fetcher: Fetcher, social: SocialServer):
    spec = BlueskySpec(actor="benoist.dev", base_url=social.base)
    state = SocialState(cursor="2024-11-01T00:00:00+00:00")
    result = await poll_bluesky(fetcher, spec, state)
    assert len(result.posts) == 3 and result.pages == 2
    cursors = [q.get("cursor") for q in social.seen("/xrpc/app.bsky.feed.getAuthorFeed")]
    assert cursors == [None, "2024-11-01T16:16:16.957Z"]


async def test_bluesky_search_reads_from_the_newest_page(fetcher: Fetcher, social: SocialServer):
    spec = BlueskySpec(query="TUI", base_url=social.base)
    state = SocialState(cursor="2024-11-01T00:00:00+00:00")
    result = await poll_bluesky(fetcher, spec, state)
    assert len(result.posts) == 3
    # No "since": the first page is the newest posts, the recent window.
    requests = social.seen("/xrpc/app.bsky.feed.searchPosts")
    assert requests == [
        {"q": "TUI", "sort": "latest", "limit": "100"},
        {"q": "TUI", "sort": "latest", "limit": "100", "cursor": "25"},
    ]


async def test_hackernews_first_and_incremental_polls(fetcher: Fetcher, social: SocialServer):
    spec = HackerNewsSpec(query="nodejs", base_url=social.base)
    first = await poll_hackernews(fetcher, spec, None)
    assert [p.post_id for p in first.posts] == ["15353312", "15353234", "15353081"]
    assert first.cursor == "2017-09-27T23:33:24+00:00 15353312"
    # Seen up to the story of 23:17:07: the boundary second is asked for again and filtered.
    state = SocialState(cursor="2017-09-27T23:17:07+00:00 15353234")
    result = await poll_hackernews(fetcher, spec, state)
    # The new hit first, then the recent window's hits already seen.
    assert [p.post_id for p in result.posts] == ["15353312", "15353234", "15353081"]
    assert result.cursor == first.cursor
    request, window = social.seen("/api/v1/search_by_date")[-2:]
    assert request["numericFilters"] == "created_at_i>=1506554227"
    assert request["tags"] == "(story,comment)"
    assert "numericFilters" not in window and window["hitsPerPage"] == "100"


async def test_reddit_json_and_rss(fetcher: Fetcher, social: SocialServer):
    spec_json = RedditSpec(
        subreddit="worldnews", query="covid", format="json", base_url=social.base
    )
    listing = await poll_reddit(fetcher, spec_json, None)
    assert [p.post_id for p in listing.posts] == ["t3_hybow9", "t3_hmwhd7"]
    assert social.seen("/r/worldnews/search.json") == [
        {"q": "covid", "sort": "new", "limit": "100", "restrict_sr": "on", "raw_json": "1"}
    ]
    # Seen up to the newest post: both come again (the recent window), the cursor stays.
    again_json = await poll_reddit(fetcher, spec_json, listing.state())
    assert again_json.posts == listing.posts and again_json.cursor == listing.cursor
    spec = RedditSpec.parse("r/funny")
    spec = RedditSpec(subreddit=spec.subreddit, base_url=social.base)
    rss = await poll_reddit(fetcher, spec, None)
    assert len(rss.posts) == 24
    again = await poll_reddit(fetcher, spec, rss.state())
    assert again.posts == rss.posts and again.cursor == rss.cursor


async def test_reddit_search_feed(fetcher: Fetcher, social: SocialServer):
    spec = RedditSpec(query="clarion", base_url=social.base)
    result = await poll_reddit(fetcher, spec, None)
    assert result.posts[0].post_id == "t3_42tizy"
    assert social.seen("/search.rss") == [{"q": "clarion", "sort": "new", "limit": "100"}]


async def test_youtube_poll_and_conditional_get(fetcher: Fetcher, social: SocialServer):
    spec = YouTubeSpec.parse(f"https://www.youtube.com/channel/{YOUTUBE_CHANNEL}")
    spec = YouTubeSpec(channel_id=spec.channel_id, base_url=social.base)
    first = await poll_youtube(fetcher, spec, None)
    assert len(first.posts) == 15 and first.etag == YOUTUBE_ETAG
    assert first.posts[0].engagement == {"views": 251497, "ratings": 3546}
    second = await poll_youtube(fetcher, spec, first.state())
    assert second.not_modified and second.posts == []


Poll = Callable[[Fetcher, Any, SocialState | None], Awaitable[SocialPollResult]]
ADAPTERS: list[tuple[str, Callable[[str], tuple[Poll, Any]], str]] = [
    ("mastodon", lambda b: (poll_mastodon, account(b)), ACCOUNT_PATH),
    ("bluesky", lambda b: (poll_bluesky, BlueskySpec(actor="a.b", base_url=b)),
     "/xrpc/app.bsky.feed.getAuthorFeed"),
    ("hackernews", lambda b: (poll_hackernews, HackerNewsSpec(query="x", base_url=b)),
     "/api/v1/search_by_date"),
    ("reddit", lambda b: (poll_reddit, RedditSpec(subreddit="worldnews", query="covid",
                                                   format="json", base_url=b)),
     "/r/worldnews/search.json"),
    ("youtube", lambda b: (poll_youtube, YouTubeSpec(channel_id=YOUTUBE_CHANNEL, base_url=b)),
     "/feeds/videos.xml"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "make", "path"), ADAPTERS, ids=[a[0] for a in ADAPTERS])
async def test_a_long_retry_after_is_handed_back(
    name: str, make: Callable[[str], tuple[Poll, Any]], path: str, social: SocialServer
):
    social.throttle[path] = ("3600", 10)
    poll, spec = make(social.base)
    async with Fetcher(config=FetchConfig(per_host_interval=0.0, retries=2)) as fetcher:
        started = time.monotonic()
        with pytest.raises(TransientFetchError) as info:
            await poll(fetcher, spec, None)
    assert info.value.status == 429 and info.value.retry_after == 3600
    assert time.monotonic() - started < 5  # not waited out inside the poll
    assert len(social.seen(path)) == 1


async def test_a_short_retry_after_is_waited_out(fetcher: Fetcher, social: SocialServer):
    social.throttle[ACCOUNT_PATH] = ("1", 1)
    started = time.monotonic()
    result = await poll_mastodon(fetcher, account(social.base), None)
    assert len(result.posts) == 5
    assert time.monotonic() - started >= 0.9
    assert len(social.seen(ACCOUNT_PATH)) == 2


@pytest.mark.parametrize(("name", "make", "path"), ADAPTERS[:4], ids=[a[0] for a in ADAPTERS[:4]])
async def test_a_broken_json_body_raises_feed_parse_error(
    name: str, make: Callable[[str], tuple[Poll, Any]], path: str,
    fetcher: Fetcher, social: SocialServer,
):  # fmt: skip
    social.broken.add(path)
    poll, spec = make(social.base)
    with pytest.raises(FeedParseError):
        await poll(fetcher, spec, None)


async def test_poll_social_dispatches_by_spec(fetcher: Fetcher, social: SocialServer):
    spec = social_spec("mastodon", f"#hoot@{social.base}")
    assert isinstance(spec, MastodonSpec)
    first = await poll_social(fetcher, spec, None)
    assert [p.platform for p in first.posts] == ["mastodon"]
    # Nothing new: the window, unchanged, is a 304 to the validators saved in the
    # cursor; the cursor kept; one request.
    later = await poll_social(fetcher, spec, SocialState(cursor=first.cursor))
    assert later.posts == [] and later.cursor == first.cursor and later.not_modified
    assert social.seen("/api/v1/timelines/tag/hoot")[1:] == [{"limit": "40"}]
    hn = social_spec("hackernews", "nodejs")
    assert isinstance(hn, HackerNewsSpec)
    with pytest.raises(ValueError):
        social_spec("myspace", "tom")  # type: ignore[arg-type]
