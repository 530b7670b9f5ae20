"""Social sources through the real pipeline, against the recorded API responses.

A local server on 127.0.0.1 replays the five platforms' recorded responses at their
real paths (``tests/crawlers/social/conftest.py``). The pipeline stores each post as
a document with no page fetch (text from the post, engagement in ``extra``, channel
``social``); a second poll stores nothing new; and after a restart on the same
SQLite file the adapters read on from their saved cursor and validators.
"""

from __future__ import annotations

from pathlib import Path

from crawlers import document_id
from crawlers.social import (
    parse_author_feed,
    parse_hackernews,
    parse_reddit_feed,
    parse_statuses,
    parse_youtube_feed,
)
from service._runtime import Runtime
from service._settings import Settings
from tests.crawlers.social.conftest import (
    ROUTES,
    YOUTUBE_CHANNEL,
    SocialServer,
    fixture,
)
from tests.service.conftest import local_settings

HN_PATH = "/api/v1/search_by_date"


def settings_for(tmp_path: Path, base: str) -> Settings:
    def source(sid: str, platform: str, target: str) -> dict[str, str]:
        return {
            "id": sid, "kind": "social", "platform": platform, "target": target,
            "url": base, "outlet": sid.title(),
        }  # fmt: skip

    config = {
        "brands": [{"id": "node", "name": "Node.js"}],
        "sources": [
            source("reddit", "reddit", "r/funny"),
            source("mastodon", "mastodon", f"#hoot@{base}"),
            source("bluesky", "bluesky", "@benoist.bsky.social"),
            source("hn", "hackernews", "nodejs"),
            source("youtube", "youtube", YOUTUBE_CHANNEL),
        ],
    }
    return local_settings(tmp_path, config)


def recorded_post_ids() -> dict[str, set[str]]:
    """The document ids of every recorded post, per source: what a first poll stores."""
    url = "http://127.0.0.1/"
    posts = {
        "reddit": parse_reddit_feed(fixture("reddit/reddit.rss"), url=url),
        "mastodon": parse_statuses(fixture("mastodon/tag_timeline_hoot.json"), url=url),
        "bluesky": [
            p
            for _, p in parse_author_feed(
                fixture("bluesky/author_feed_benoist.json"), url=url
            ).posts
        ],
        "hn": parse_hackernews(fixture("hackernews/search_by_date_nodejs.json"), url=url).posts,
        "youtube": parse_youtube_feed(fixture("youtube/youtube_atom.xml"), url=url),
    }
    return {sid: {document_id(p.url) for p in found} for sid, found in posts.items()}


async def test_social_posts_are_stored_once_without_page_fetches_across_a_restart(
    tmp_path: Path, social: SocialServer
) -> None:
    expected = recorded_post_ids()
    every_id = set().union(*expected.values())
    assert all(expected.values())
    settings = settings_for(tmp_path, social.base)

    runtime = await Runtime.start(settings)
    try:
        store = runtime.store
        stats = await runtime.pipeline.run_once()
        assert stats.poll_errors == 0, stats.errors_by_class
        assert stats.documents == {"created": len(every_id)}
        assert await store.existing_document_ids(sorted(every_id)) == every_id
        assert stats.pages_fetched == 0  # the posts' pages were never asked for
        assert {path for path, _, _ in social.requests} <= set(ROUTES)

        hn_doc = await store.get_document(sorted(expected["hn"])[0])
        assert hn_doc is not None and hn_doc.channel == "social" and hn_doc.text
        assert hn_doc.extra["platform"] == "hackernews" and hn_doc.source_id == "hn"
        assert "engagement.score" in hn_doc.extra or "engagement.comments" in hn_doc.extra
        toot = await store.get_document(next(iter(expected["mastodon"])))
        assert toot is not None and toot.text == "#hoot (hashtag toot)"
        assert "engagement.likes" in toot.extra

        hn_state = await store.get_feed_state("hn")
        assert hn_state is not None and hn_state.cursor  # the watermark, saved
        youtube_state = await store.get_feed_state("youtube")
        assert youtube_state is not None and youtube_state.etag == '"yt-v1"'

        again = await runtime.pipeline.run_once()
        assert again.documents == {"created": len(every_id)}  # cumulative: nothing new
        assert again.entries_new == stats.entries_new
    finally:
        await runtime.stop()

    # A new process on the same SQLite file reads on from the saved cursors.
    social.requests.clear()
    runtime = await Runtime.start(settings)
    try:
        stats = await runtime.pipeline.run_once()
        assert stats.poll_errors == 0 and stats.entries_new == 0
        assert stats.documents == {}
        assert await runtime.store.count_documents() == len(every_id)
        after = await runtime.store.get_feed_state("hn")
        assert after is not None and after.cursor == hn_state.cursor  # nothing newer came
        hn_query = social.seen(HN_PATH)[0]
        assert hn_query["numericFilters"].startswith("created_at_i>=")  # from the cursor
        youtube_headers = social.headers("/feeds/videos.xml")[0]
        assert youtube_headers["if-none-match"] == '"yt-v1"'  # the validator survived
    finally:
        await runtime.stop()
