"""Every poll with a cursor also returns the recent window, with its current counts.

Against the local server replaying the recorded responses, each adapter polls once,
then the recorded body is rewritten as the platform would serve it later (one post's
counts moved; ``SocialServer.edits``) and the adapter polls again from its cursor:
the posts it returned before come back with the new counts (so the pipeline can
refresh them), a genuinely new post comes exactly once, the cursor still says how
far the source was read, and an unchanged window is a 304.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from crawlers import Fetcher
from crawlers.social import (
    BlueskySpec,
    HackerNewsSpec,
    MastodonSpec,
    RedditSpec,
    SocialPollResult,
    SocialState,
    poll_bluesky,
    poll_hackernews,
    poll_mastodon,
    poll_reddit,
)
from crawlers.social._common import WindowCursor
from tests.crawlers.social.conftest import (
    MASTODON_ACCOUNT,
    NEWER_PAGE_NEWEST,
    OLDER_PAGE_NEWEST,
    SocialServer,
)

ACCOUNT_PATH = f"/api/v1/accounts/{MASTODON_ACCOUNT}/statuses"
HN_PATH = "/api/v1/search_by_date"
TOOT_2 = "100465729683690200"  # "Toot number 2!", on the older recorded page


def edit_json(edit: Callable[[Any], None]) -> Callable[[bytes], bytes]:
    """A body rewrite that applies ``edit`` to the decoded JSON."""

    def rewrite(body: bytes) -> bytes:
        data = json.loads(body)
        edit(data)
        return json.dumps(data).encode()

    return rewrite


def by_id(result: SocialPollResult) -> dict[str, dict[str, int]]:
    return {p.post_id: p.engagement for p in result.posts}


def assert_once(result: SocialPollResult) -> None:
    urls = [p.url for p in result.posts]
    assert len(urls) == len(set(urls))


async def test_mastodon_window_comes_with_the_new_statuses(fetcher: Fetcher, social: SocialServer):
    spec = MastodonSpec(instance=social.base, account_id=MASTODON_ACCOUNT, limit=5)
    first = await poll_mastodon(fetcher, spec, None)  # toots 4..0, the newest page

    def liked(statuses: list[dict[str, Any]]) -> None:
        for status in statuses:
            if status["id"] == TOOT_2:
                status["favourites_count"], status["reblogs_count"] = 7, 2

    social.edits[ACCOUNT_PATH] = edit_json(liked)
    social.requests.clear()
    second = await poll_mastodon(fetcher, spec, first.state())
    # Nothing new, toot 2's counts moved: the window holds the cursor, one request.
    assert [p.text for p in second.posts] == [f"Toot number {n}!" for n in range(4, -1, -1)]
    assert by_id(second)[TOOT_2] == {"likes": 7, "reposts": 2}
    assert WindowCursor.load(second.cursor).cursor == OLDER_PAGE_NEWEST
    assert second.pages == 1 and not second.not_modified
    assert social.headers(ACCOUNT_PATH)[0]["if-none-match"] == first.etag  # the window's

    social.requests.clear()
    third = await poll_mastodon(fetcher, spec, second.state())
    assert third.posts == [] and third.not_modified  # the window is unchanged: a 304
    assert third.cursor == second.cursor and third.pages == 1
    assert social.seen(ACCOUNT_PATH) == [{"limit": "5"}]

    social.mastodon_newer = True  # toots 9..5 are posted: more than the window shows
    social.requests.clear()
    fourth = await poll_mastodon(fetcher, spec, third.state())
    assert_once(fourth)
    assert [p.text for p in fourth.posts] == [f"Toot number {n}!" for n in range(9, 4, -1)]
    assert WindowCursor.load(fourth.cursor).cursor == NEWER_PAGE_NEWEST
    assert [q.get("min_id") for q in social.seen(ACCOUNT_PATH)] == [None, OLDER_PAGE_NEWEST, None]


async def test_a_window_that_leaves_a_gap_does_not_move_the_cursor(
    fetcher: Fetcher, social: SocialServer
):
    """The window (the newest page) all newer than what the ``min_id`` pages read,
    and full: statuses in between are unread, so the cursor stays at the read ones."""
    spec = MastodonSpec(instance=social.base, account_id=MASTODON_ACCOUNT, limit=5)

    def later(statuses: list[dict[str, Any]]) -> None:
        if any(s["id"] == OLDER_PAGE_NEWEST for s in statuses):  # the page served as window
            for status in statuses:
                status["id"] = str(int(status["id"]) + 10**12)
                status["url"] += "-later"

    social.edits[ACCOUNT_PATH] = edit_json(later)
    result = await poll_mastodon(fetcher, spec, SocialState(cursor=OLDER_PAGE_NEWEST))
    assert_once(result)
    assert len(result.posts) == 10  # toots 9..5, then the window's five
    assert WindowCursor.load(result.cursor).cursor == NEWER_PAGE_NEWEST


async def test_reddit_returns_the_whole_page_with_current_counts(
    fetcher: Fetcher, social: SocialServer
):
    spec = RedditSpec(subreddit="worldnews", query="covid", format="json", base_url=social.base)
    first = await poll_reddit(fetcher, spec, None)

    def upvoted(listing: dict[str, Any]) -> None:
        for child in listing["data"]["children"]:
            if child["data"]["name"] == "t3_hmwhd7":
                child["data"]["score"], child["data"]["num_comments"] = 150001, 7500

    social.edits["/r/worldnews/search.json"] = edit_json(upvoted)
    second = await poll_reddit(fetcher, spec, first.state())
    assert [p.post_id for p in second.posts] == ["t3_hybow9", "t3_hmwhd7"]
    assert by_id(second)["t3_hmwhd7"] == {"score": 150001, "comments": 7500}
    assert second.cursor == first.cursor  # nothing newer: the watermark stays
    third = await poll_reddit(fetcher, spec, second.state())
    assert third.not_modified and third.posts == []  # the edited page's ETag, unchanged


async def test_bluesky_returns_the_seen_posts_of_the_pages_read(
    fetcher: Fetcher, social: SocialServer
):
    spec = BlueskySpec(actor="benoist.dev", base_url=social.base)
    first = await poll_bluesky(fetcher, spec, None)
    liked_uri = "at://did:plc:p7uix7mresfq4nfzxp3klgfa/app.bsky.feed.post/3l7z4sedyej2g"

    def liked(body: dict[str, Any]) -> None:
        for item in body["feed"]:
            if item["post"]["uri"] == liked_uri:
                item["post"]["likeCount"] = 42

    social.edits["/xrpc/app.bsky.feed.getAuthorFeed"] = edit_json(liked)
    # Seen up to the second item: the newest is new, the other two come with their counts.
    second_item = "at://did:plc:z2rokxrttw5254hogmucux2x/app.bsky.feed.post/3l7yz7dqnsx22"
    state = SocialState(cursor=f"2024-11-03T22:48:09.729000+00:00 {second_item}")
    second = await poll_bluesky(fetcher, spec, state)
    assert_once(second)
    assert [p.post_id for p in second.posts] == [p.post_id for p in first.posts]
    assert by_id(second)[liked_uri]["likes"] == 42
    assert second.cursor == first.cursor and second.pages == 1  # paging stopped at the mark


async def test_hackernews_window_comes_with_the_new_hits(fetcher: Fetcher, social: SocialServer):
    spec = HackerNewsSpec(query="nodejs", base_url=social.base)

    def upvoted(body: dict[str, Any]) -> None:
        for hit in body["hits"]:
            if hit["objectID"] == "15353081":
                hit["points"], hit["num_comments"] = 31, 12

    social.edits[HN_PATH] = edit_json(upvoted)
    # Seen up to the story of 23:17:07: one new hit, and the window's two seen ones.
    state = SocialState(cursor="2017-09-27T23:17:07+00:00 15353234")
    second = await poll_hackernews(fetcher, spec, state)
    assert [p.post_id for p in second.posts] == ["15353312", "15353234", "15353081"]
    assert by_id(second)["15353081"] == {"score": 31, "comments": 12}
    saved = WindowCursor.load(second.cursor)
    assert saved.cursor == "2017-09-27T23:33:24+00:00 15353312"
    assert saved.etag is not None and saved.etag.startswith('"edited-')

    social.requests.clear()
    third = await poll_hackernews(fetcher, spec, second.state())
    assert third.posts == [] and third.cursor == second.cursor  # the window: a 304
    filtered, window = social.seen(HN_PATH)
    assert filtered["numericFilters"] == "created_at_i>=1506555204"
    assert "numericFilters" not in window
    assert social.headers(HN_PATH)[1]["if-none-match"] == saved.etag
