"""A ``kind="social"`` source polled like a feed: its posts as entries, its cursor kept.

The pipeline treats a social poll as a feed poll whose entries carry their text:
``poll_social_source`` returns the ``PollResult`` (the posts as ``FeedEntry``
values, the HTTP validators), the posts themselves by entry URL (stored with
``SocialPost.to_document``, no page fetch) and the adapter cursor to save in
``FeedState.cursor`` once every post is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crawlers import CrawlError, FeedState, Fetcher, PollResult, Source
from crawlers.social import SocialPost, SocialState, poll_social, source_spec


@dataclass(frozen=True, slots=True, kw_only=True)
class SocialPoll:
    """One social poll: what the pipeline queues, and the cursor it saves after."""

    result: PollResult
    posts: dict[str, SocialPost] = field(default_factory=dict)  # by entry (post) URL
    cursor: str | None = None


async def poll_social_source(
    fetcher: Fetcher, source: Source, state: FeedState | None
) -> SocialPoll:
    """Poll ``source`` with its platform's adapter, from the cursor in ``state``.

    Raises ``CrawlError`` subclasses like ``poll_source``; a source whose platform
    or target the adapters cannot read (stored without the API's validation)
    raises a plain ``CrawlError`` naming it, so it counts as a failed poll.
    """
    try:
        spec = source_spec(source)
    except ValueError as exc:
        raise CrawlError(f"unusable social source: {exc}", url=source.url) from exc
    before = SocialState(
        etag=state.etag if state else None,
        last_modified=state.last_modified if state else None,
        cursor=state.cursor if state else None,
    )
    polled = await poll_social(fetcher, spec, before)
    posts: dict[str, SocialPost] = {}
    for post in polled.posts:
        posts.setdefault(post.url, post)  # a post repeated (a repost and its original)
    result = PollResult(
        entries=[post.to_feed_entry() for post in posts.values()],
        etag=polled.etag,
        last_modified=polled.last_modified,
        not_modified=polled.not_modified,
        final_url=source.url,
    )
    return SocialPoll(result=result, posts=posts, cursor=polled.cursor)
