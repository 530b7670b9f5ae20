"""Public social sources as adapters: a public endpoint's response in, posts out.

A social post is a document whose text arrives with the response, so the pipeline
stores it without fetching a page; engagement counts come along where the platform
gives them. Each adapter is a spec (what to watch), a URL builder, a pure parser of
the recorded response, and an async ``poll_*(fetcher, spec, state)`` built on the
shared ``Fetcher`` (politeness, retries, ``Retry-After``, size caps).

- Reddit (``RedditSpec``): subreddit and search feeds, RSS/Atom or JSON listings.
- Mastodon (``MastodonSpec``): hashtag and account timelines, ``min_id`` + ``Link`` paging.
- Bluesky (``BlueskySpec``): public AppView ``searchPosts`` and ``getAuthorFeed``.
- Hacker News (``HackerNewsSpec``): the Algolia ``search_by_date`` API.
- YouTube (``YouTubeSpec``): a channel's Atom feed with views and ratings.

Every poll after the first also returns a recent window of posts already returned,
with their current counts (the newest page; for Mastodon and Hacker News, whose
servers filter by the cursor, one more request), so that the pipeline can refresh
stored counts; the cursor still says how far the source was read, and telling new
posts from stored ones is the pipeline's job.

``social_spec(platform, target)`` builds a spec from a user's words (``source_spec``
from a ``kind="social"`` ``Source``, at its base URL; ``default_base_url`` names the
platform's) and ``poll_social`` polls any spec; that is what the pipeline wires.

Errors are the crawlers package's: ``FetchError`` subclasses from the fetch (a 429
is a ``TransientFetchError`` carrying ``retry_after``), ``FeedParseError`` for a body
that is not the expected JSON or feed. Imports nothing from the rest of Clarion.
"""

from crawlers.social._bluesky import (
    BlueskyPage,
    BlueskySpec,
    bluesky_url,
    parse_author_feed,
    parse_search_posts,
    poll_bluesky,
    post_web_url,
)
from crawlers.social._dispatch import (
    SocialSpec,
    default_base_url,
    poll_social,
    social_spec,
    source_spec,
)
from crawlers.social._hackernews import (
    HackerNewsPage,
    HackerNewsSpec,
    hackernews_url,
    parse_hackernews,
    poll_hackernews,
)
from crawlers.social._mastodon import MastodonSpec, mastodon_url, parse_statuses, poll_mastodon
from crawlers.social._post import (
    ENGAGEMENT_COMMENTS,
    ENGAGEMENT_LIKES,
    ENGAGEMENT_QUOTES,
    ENGAGEMENT_RATINGS,
    ENGAGEMENT_REPLIES,
    ENGAGEMENT_REPOSTS,
    ENGAGEMENT_SCORE,
    ENGAGEMENT_VIEWS,
    Platform,
    SocialPollResult,
    SocialPost,
    SocialState,
    engagement_of,
    with_engagement,
)
from crawlers.social._reddit import (
    RedditSpec,
    parse_reddit_feed,
    parse_reddit_listing,
    poll_reddit,
    reddit_url,
)
from crawlers.social._youtube import YouTubeSpec, parse_youtube_feed, poll_youtube, youtube_url

__all__ = [
    "ENGAGEMENT_COMMENTS",
    "ENGAGEMENT_LIKES",
    "ENGAGEMENT_QUOTES",
    "ENGAGEMENT_RATINGS",
    "ENGAGEMENT_REPLIES",
    "ENGAGEMENT_REPOSTS",
    "ENGAGEMENT_SCORE",
    "ENGAGEMENT_VIEWS",
    "BlueskyPage",
    "BlueskySpec",
    "HackerNewsPage",
    "HackerNewsSpec",
    "MastodonSpec",
    "Platform",
    "RedditSpec",
    "SocialPollResult",
    "SocialPost",
    "SocialSpec",
    "SocialState",
    "YouTubeSpec",
    "bluesky_url",
    "default_base_url",
    "engagement_of",
    "hackernews_url",
    "mastodon_url",
    "parse_author_feed",
    "parse_hackernews",
    "parse_reddit_feed",
    "parse_reddit_listing",
    "parse_search_posts",
    "parse_statuses",
    "parse_youtube_feed",
    "poll_bluesky",
    "poll_hackernews",
    "poll_mastodon",
    "poll_reddit",
    "poll_social",
    "poll_youtube",
    "post_web_url",
    "reddit_url",
    "social_spec",
    "source_spec",
    "with_engagement",
    "youtube_url",
]
