"""Pure pieces without a server: URL builders, specs, Link headers, watermarks, cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawlers.social import (
    BlueskySpec,
    HackerNewsSpec,
    MastodonSpec,
    RedditSpec,
    YouTubeSpec,
    bluesky_url,
    hackernews_url,
    mastodon_url,
    post_web_url,
    reddit_url,
    youtube_url,
)
from crawlers.social._common import (
    Backlog,
    BacklogCursor,
    Watermark,
    WindowCursor,
    advance_cursor,
    link_relations,
    parse_iso,
)

T0 = datetime(2024, 11, 3, 22, 0, tzinfo=UTC)


def test_url_builders_use_the_real_path_shapes() -> None:
    assert mastodon_url(MastodonSpec.parse("#Clarion@mastodon.social")) == (
        "https://mastodon.social/api/v1/timelines/tag/Clarion?limit=40"
    )
    assert mastodon_url(MastodonSpec.parse("109@fosstodon.org"), min_id="42") == (
        "https://fosstodon.org/api/v1/accounts/109/statuses?limit=40&min_id=42"
    )
    assert bluesky_url(BlueskySpec.parse("@bsky.app")) == (
        "https://public.api.bsky.app/xrpc/app.bsky.feed.getAuthorFeed?actor=bsky.app&limit=100"
    )
    assert bluesky_url(BlueskySpec.parse("acme corp"), cursor="c") == (
        "https://public.api.bsky.app/xrpc/app.bsky.feed.searchPosts"
        "?q=acme+corp&sort=latest&limit=100&cursor=c"
    )
    assert hackernews_url(HackerNewsSpec(query="acme"), since=1506554227) == (
        "https://hn.algolia.com/api/v1/search_by_date?query=acme&tags=%28story%2Ccomment%29"
        "&hitsPerPage=100&numericFilters=created_at_i%3E%3D1506554227"
    )
    assert hackernews_url(HackerNewsSpec(query="acme"), since=1, until=2, page=3) == (
        "https://hn.algolia.com/api/v1/search_by_date?query=acme&tags=%28story%2Ccomment%29"
        "&hitsPerPage=100&numericFilters=created_at_i%3E%3D1%2Ccreated_at_i%3C%3D2&page=3"
    )
    assert reddit_url(RedditSpec.parse("r/python")) == (
        "https://www.reddit.com/r/python/new/.rss?limit=100"
    )
    assert reddit_url(RedditSpec(subreddit="python", query="acme", format="json")) == (
        "https://www.reddit.com/r/python/search.json"
        "?q=acme&sort=new&limit=100&restrict_sr=on&raw_json=1"
    )
    assert youtube_url(YouTubeSpec.parse("UCK8sQmJBp8GCxrOtXWBpyEA")) == (
        "https://www.youtube.com/feeds/videos.xml?channel_id=UCK8sQmJBp8GCxrOtXWBpyEA"
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: MastodonSpec(instance="x"),
        lambda: MastodonSpec(instance="x", hashtag="a", account_id="1"),
        lambda: MastodonSpec.parse("no-instance"),
        lambda: BlueskySpec(),
        lambda: HackerNewsSpec(query=" "),
        lambda: RedditSpec(),
        lambda: YouTubeSpec(channel_id="google"),
    ],
)
def test_bad_specs_are_refused(make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        make()


def test_post_web_url_from_at_uri() -> None:
    uri = "at://did:plc:abc/app.bsky.feed.post/3kabc"
    assert post_web_url(uri, "dev.bsky.social", "did:plc:abc") == (
        "https://bsky.app/profile/dev.bsky.social/post/3kabc"
    )
    assert post_web_url(uri, "handle.invalid", "did:plc:abc") == (
        "https://bsky.app/profile/did:plc:abc/post/3kabc"
    )
    assert post_web_url("at://did:plc:abc/app.bsky.feed.like/3k", "h", "d") is None


def test_link_header_relations() -> None:
    header = (
        '<https://m.example/api/v1/timelines/tag/hoot?max_id=10>; rel="next", '
        "<https://m.example/api/v1/timelines/tag/hoot?min_id=12>; rel=prev"
    )
    assert link_relations(header) == {
        "next": "https://m.example/api/v1/timelines/tag/hoot?max_id=10",
        "prev": "https://m.example/api/v1/timelines/tag/hoot?min_id=12",
    }
    assert link_relations(None) == {} and link_relations("garbage") == {}


def test_watermark_keeps_the_boundary_second() -> None:
    mark = Watermark(T0, frozenset({"a"}))
    assert not mark.is_new(T0, "a")
    assert mark.is_new(T0, "b")  # same second, not seen yet
    assert not mark.is_new(T0 - timedelta(seconds=1), "z")
    assert mark.is_new(None, "undated")
    later = mark.advance([(T0, "b"), (T0 + timedelta(seconds=1), "c"), (None, "d")])
    assert later == Watermark(T0 + timedelta(seconds=1), frozenset({"c"}))
    assert Watermark.load(later.dump()) == later


def test_cursor_round_trip_and_unreadable_cursors() -> None:
    cursor = advance_cursor(None, [(T0, "a"), (T0 - timedelta(hours=1), "b")])
    assert cursor == "2024-11-03T22:00:00+00:00 a"
    assert advance_cursor(cursor, []) == cursor
    assert advance_cursor(None, [(None, "x")]) is None
    assert Watermark.load("not-a-time x") is None


def test_times_are_aware_utc() -> None:
    parsed = parse_iso("2022-11-21T20:27:52.274Z")
    assert parsed == datetime(2022, 11, 21, 20, 27, 52, 274000, tzinfo=UTC)
    assert parse_iso("2024-11-03T23:49:09+01:00") == datetime(2024, 11, 3, 22, 49, 9, tzinfo=UTC)
    assert parse_iso("yesterday") is None


def test_a_window_cursor_keeps_the_validators_beside_the_cursor() -> None:
    mark = "2017-09-27T23:17:07+00:00 15353234 15353235"  # a watermark: spaces inside
    saved = WindowCursor(mark, 'W/"2b0f"', "Wed, 27 Sep 2017 23:17:07 GMT").dump()
    assert WindowCursor.load(saved) == WindowCursor(
        mark, 'W/"2b0f"', "Wed, 27 Sep 2017 23:17:07 GMT"
    )
    assert WindowCursor.load(WindowCursor("42", etag='"e"').dump()) == WindowCursor("42", '"e"')
    # A cursor saved before windows (no tab), no validators, or nothing at all.
    assert WindowCursor.load(mark) == WindowCursor(mark)
    assert WindowCursor(mark).dump() == mark
    assert WindowCursor.load(None) == WindowCursor(None)
    assert WindowCursor(None, etag='"e"').dump() is None


def test_a_backlog_cursor_keeps_what_is_owed_beside_the_watermark() -> None:
    mark = "2024-11-03T22:00:00+00:00 a"
    backlog = Backlog(Watermark(T0 - timedelta(hours=1), frozenset({"b", "c"})), "cursor 25")
    saved = BacklogCursor(mark, backlog).dump()
    assert saved == f"{mark}\n2024-11-03T21:00:00+00:00 b c\ncursor 25"
    assert BacklogCursor.load(saved) == BacklogCursor(mark, backlog)
    nested = WindowCursor(saved, '"e"').dump()  # as Hacker News saves it
    assert BacklogCursor.load(WindowCursor.load(nested).cursor) == BacklogCursor(mark, backlog)
    # A cursor saved before backlogs (no newline), nothing owed, or nothing at all.
    assert BacklogCursor.load(mark) == BacklogCursor(mark)
    assert BacklogCursor(mark).dump() == mark
    assert BacklogCursor.load(None) == BacklogCursor(None)
    assert BacklogCursor.load(f"{mark}\nnot-a-time\n25") == BacklogCursor(mark)


def test_a_mark_read_down_to_tells_the_posts_below_it() -> None:
    seen = [(T0, "a"), (T0 - timedelta(seconds=1), "b"), (T0 - timedelta(seconds=1), "c")]
    low = Watermark.lowest(seen)
    assert low == Watermark(T0 - timedelta(seconds=1), frozenset({"b", "c"}))
    assert low.is_below(T0 - timedelta(seconds=1), "d")
    assert low.is_below(T0 - timedelta(seconds=2), "b")
    assert not low.is_below(T0 - timedelta(seconds=1), "b")
    assert not low.is_below(T0, "e")
    assert Watermark.lowest([(None, "x")]) is None
