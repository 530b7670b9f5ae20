"""The pure parsers, on recorded real responses: exact text, URL, author, time, engagement."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from crawlers import FeedParseError, Source
from crawlers.social import (
    parse_author_feed,
    parse_hackernews,
    parse_reddit_feed,
    parse_reddit_listing,
    parse_search_posts,
    parse_statuses,
    parse_youtube_feed,
)
from tests.crawlers.social.conftest import fixture, search_posts_body

URL = "https://example.test/api"


def test_mastodon_hashtag_timeline() -> None:
    [post] = parse_statuses(fixture("mastodon/tag_timeline_hoot.json"), url=URL)
    assert post.platform == "mastodon"
    assert post.post_id == "109383678182834272"
    assert post.url == "http://localhost:3000/@mastodonpy_test/109383678182834272"
    assert post.text == "#hoot (hashtag toot)"
    assert post.authors == ("mastodonpy_test",)
    assert post.extra["author_name"] == "John Lennon"
    assert post.published_at == datetime(2022, 11, 21, 20, 27, 52, 274000, tzinfo=UTC)
    assert post.published_at.utcoffset() is not None
    assert post.language == "ja"
    assert post.engagement == {"likes": 0, "reposts": 0, "replies": 0}


def test_mastodon_account_statuses_without_replies_count() -> None:
    posts = parse_statuses(fixture("mastodon/account_statuses_max_id.json"), url=URL)
    assert [p.text for p in posts] == [f"Toot number {n}!" for n in (4, 3, 2, 1, 0)]
    assert posts[0].published_at == datetime(2018, 7, 30, 21, 16, 17, 738000, tzinfo=UTC)
    # Mastodon 2.4 (the 2018 recording) had no replies_count: absent, not zero.
    assert posts[0].engagement == {"likes": 0, "reposts": 0}


def test_mastodon_reblog_is_stored_as_the_original_status() -> None:
    [status] = json.loads(fixture("mastodon/tag_timeline_hoot.json"))
    booster = {"id": "1", "acct": "booster@example.social", "display_name": "B"}
    boost = {"id": "2", "url": None, "content": "", "account": booster, "reblog": status}
    [post] = parse_statuses(json.dumps([boost]).encode(), url=URL)
    assert post.post_id == "109383678182834272"
    assert post.authors == ("mastodonpy_test",)
    assert post.extra["reposted_by"] == "booster@example.social"


def test_bluesky_author_feed() -> None:
    page = parse_author_feed(fixture("bluesky/author_feed_benoist.json"), url=URL)
    assert page.next_cursor == "2024-11-01T16:16:16.957Z"
    assert len(page.posts) == 3
    sort_time, post = page.posts[0]
    assert sort_time == datetime(2024, 11, 3, 22, 49, 9, 107000, tzinfo=UTC)  # when reposted
    assert post.url == "https://bsky.app/profile/spooky.click/post/3la2ipr5qf32s"
    assert post.post_id == "at://did:plc:eu6cezqsf5yocjsyc7mgkued/app.bsky.feed.post/3la2ipr5qf32s"
    assert post.text.startswith("Wow, it's crazy how so many devs here and no one has built a TUI")
    assert post.authors == ("spooky.click",)
    assert post.published_at == datetime(2024, 11, 3, 15, 17, 43, 273000, tzinfo=UTC)
    assert post.language == "en"
    assert post.engagement == {"likes": 15, "reposts": 2, "replies": 6, "quotes": 0}
    assert post.extra["reposted_by"] == "benoist.dev"
    third = page.posts[2][1]
    assert third.text == (
        "How does this labeler work? Trying to find examples to do something similar"
        " @pronouns.adorable.mom"
    )
    assert third.engagement == {"likes": 5, "reposts": 1, "replies": 2, "quotes": 0}


def test_bluesky_search_posts() -> None:
    page = parse_search_posts(json.dumps(search_posts_body()).encode(), url=URL)
    assert page.next_cursor == "25"
    urls = [post.url for _, post in page.posts]
    assert urls[1] == "https://bsky.app/profile/lookitup.baby/post/3l7yz7dqnsx22"
    post = page.posts[1][1]
    assert post.text == "This is neat!"
    assert post.engagement == {"likes": 107, "reposts": 17, "replies": 6, "quotes": 0}
    assert "reposted_by" not in post.extra


def test_hackernews_comment_and_story() -> None:
    page = parse_hackernews(fixture("hackernews/search_by_date_nodejs.json"), url=URL)
    assert (page.page, page.pages) == (0, 50)
    comment, story = page.posts[0], page.posts[1]
    assert comment.url == "https://news.ycombinator.com/item?id=15353312"
    assert comment.text.startswith("You don't need to plug in any Java code")
    assert "<p>" not in comment.text and "&#x27;" not in comment.text
    assert comment.title == "Open-Sourcing Vespa, Yahoo’s Data Processing and Serving Engine"
    assert comment.authors == ("RealJon",)
    assert comment.published_at == datetime(2017, 9, 27, 23, 33, 24, tzinfo=UTC)
    assert comment.engagement == {}  # comments have neither points nor num_comments
    assert comment.extra == {"kind": "comment", "story_id": "15345483"}
    assert story.url == "https://news.ycombinator.com/item?id=15353234"
    assert story.title == story.text == "Node8’s util.promisify is so freakin’ awesome"
    assert story.link == (
        "https://medium.com/@jamesjefferyuk/node8s-util-promisify-is-so-freakin-awesome-1d90c184bf44"
    )
    assert story.engagement == {"score": 2, "comments": 0}


def test_reddit_rss() -> None:
    posts = parse_reddit_feed(fixture("reddit/reddit.rss"), url="https://www.reddit.com/.rss")
    assert len(posts) == 24
    post = posts[0]
    assert post.url == (
        "https://www.reddit.com/r/funny/comments/3skxqc/the_water_is_too_deep_so_he_improvises/"
    )
    assert post.post_id == "t3_3skxqc"
    assert post.title == post.text == "The water is too deep, so he improvises"
    assert post.authors == ("cakebeerandmorebeer",)
    assert post.published_at == datetime(2015, 11, 12, 21, 16, 39, tzinfo=UTC)
    assert post.engagement == {"comments": 275}
    assert post.extra == {"subreddit": "funny"}


def test_reddit_atom() -> None:
    posts = parse_reddit_feed(fixture("reddit/reddit-home.atom"), url="https://www.reddit.com/.rss")
    post = posts[0]
    assert post.post_id == "t3_42tizy"
    assert post.authors == ("AngryRedditorsBelow",)
    assert post.published_at == datetime(2016, 1, 26, 20, 31, 34, tzinfo=UTC)
    assert post.engagement == {"comments": 1143}
    # A self post: its text is the body before Reddit's "submitted by ..." line.
    [self_post] = [p for p in posts if p.post_id == "t3_42sc7m"]
    assert self_post.text == "EDIT: Only applies when you're actually inside your room awake :)"
    assert self_post.title.startswith("LPT: When starting univerity/college")
    assert self_post.authors == ("kneegrowlips",)
    assert self_post.extra == {"subreddit": "LifeProTips"}


def test_reddit_json_listing() -> None:
    video, link = parse_reddit_listing(fixture("reddit/search_posts.json"), url=URL)
    assert link.url == (
        "https://www.reddit.com/r/worldnews/comments/hmwhd7/"
        "brazilian_president_jair_bolsonaro_tests_positive/"
    )
    assert link.post_id == "t3_hmwhd7"
    assert (
        link.title
        == link.text
        == ("Brazilian president Jair Bolsonaro tests positive for coronavirus")
    )
    assert link.authors == ("Jeremy_Martin",)
    assert link.published_at == datetime(2020, 7, 7, 15, 19, 42, tzinfo=UTC)
    assert link.engagement == {"score": 149238, "comments": 7415}
    assert link.link == (
        "https://www.theguardian.com/world/2020/jul/07/"
        "jair-bolsonaro-coronavirus-positive-test-brazil-president"
    )
    assert link.extra == {"subreddit": "worldnews"}
    assert video.engagement == {"score": 103829, "comments": 3748}
    assert video.link == "https://v.redd.it/ra4qnt8bt8d51"


def test_youtube_channel_feed() -> None:
    videos = parse_youtube_feed(fixture("youtube/youtube_atom.xml"), url="https://www.youtube.com/")
    assert len(videos) == 15
    video = videos[0]
    assert video.url == "http://www.youtube.com/watch?v=5shykyfmb28"
    assert video.post_id == "5shykyfmb28"
    assert video.title == "The Google app: Questions Title"
    assert video.text.startswith("A question is the most powerful force in the world.")
    assert video.authors == ("Google",)
    assert video.published_at == datetime(2015, 5, 4, 0, 1, 27, tzinfo=UTC)
    assert video.engagement == {"views": 251497, "ratings": 3546}
    assert video.extra == {"channel_id": "UCK8sQmJBp8GCxrOtXWBpyEA"}


JSON_PARSERS = [
    parse_statuses,
    parse_author_feed,
    parse_search_posts,
    parse_hackernews,
    parse_reddit_listing,
]


@pytest.mark.parametrize("parse", JSON_PARSERS)
@pytest.mark.parametrize("body", [b'[{"id": "1", "content": "<p>cut', b"\xff\xfe{}", b"<html/>"])
def test_malformed_json_raises_feed_parse_error(parse, body: bytes) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FeedParseError) as info:
        parse(body, url=URL)
    assert info.value.url == URL


@pytest.mark.parametrize("parse", JSON_PARSERS)
def test_json_of_the_wrong_shape_raises_feed_parse_error(parse) -> None:  # type: ignore[no-untyped-def]
    wrong = b'{"error": "InvalidRequest"}' if parse is parse_statuses else b"[1, 2]"
    with pytest.raises(FeedParseError):
        parse(wrong, url=URL)


@pytest.mark.parametrize("parse", [parse_reddit_feed, parse_youtube_feed])
def test_html_instead_of_a_feed_raises_feed_parse_error(parse) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FeedParseError):
        parse(b"<!doctype html><html><body>Too Many Requests</body></html>", url=URL)


def test_a_post_becomes_a_document_with_its_text_and_engagement() -> None:
    page = parse_author_feed(fixture("bluesky/author_feed_benoist.json"), url=URL)
    post = page.posts[0][1]
    source = Source(id="bsky-benoist", url=URL, outlet="Bluesky", channel="social")
    fetched = datetime(2024, 11, 4, tzinfo=UTC)
    document = post.to_document(source, fetched_at=fetched)
    assert document.text == post.text
    assert document.channel == "social"
    assert document.url == post.url
    assert document.extra["engagement.likes"] == "15"
    assert document.extra["platform"] == "bluesky"
    entry = post.to_feed_entry()
    assert (entry.url, entry.summary, entry.guid) == (
        post.url,
        post.text,
        f"bluesky:{post.post_id}",
    )
