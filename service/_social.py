"""A ``kind="social"`` source polled like a feed: its posts as entries, its cursor kept.

The pipeline treats a social poll as a feed poll whose entries carry their text:
``poll_social_source`` returns the ``PollResult`` (the posts as ``FeedEntry``
values, the HTTP validators), the posts themselves by entry URL (stored with
``SocialPost.to_document``, no page fetch) and the adapter cursor to save in
``FeedState.cursor`` once every post is stored.

A post already stored comes back with counts that moved (every adapter returns a
recent window of posts already seen on each poll, see ``crawlers.social``): ``refresh_posts``
reads the stored copies of a poll's stored posts in one ``Store.get_documents``
call and compares. Same title and text, other counts: the counts are written in
place (``Store.update_engagement``), with no fetch, no enrichment (no model call)
and no new entry; mentions and rollups stay as they are. Another title or text (an
edited post): an update, which goes through enrichment and ``save_document`` like a
re-dated feed entry. Same text, same counts: skipped, as before.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field

from crawlers import CrawlError, FeedState, Fetcher, PollResult, Source, document_id
from crawlers.social import SocialPost, SocialState, engagement_of, poll_social, source_spec
from search import Store
from service._pipeline_items import PipelineStats


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


async def refresh_posts(
    store: Store, social: SocialPoll, stored: Set[str], stats: PipelineStats
) -> set[str]:
    """The ids among ``stored`` (entry ids of this poll's posts already stored, not
    already updates) of posts edited since: updates for the pipeline to queue. The
    others whose counts moved get them refreshed in place, counted in
    ``stats.engagement_refreshed`` (see the module docstring)."""
    posts = {document_id(url): post for url, post in social.posts.items()}
    documents = await store.get_documents(sorted(i for i in stored if i in posts))
    edited: set[str] = set()
    counts: dict[str, dict[str, int]] = {}
    for doc_id, document in documents.items():
        post = posts[doc_id]
        if (document.title, document.text) != (post.title, post.text):
            edited.add(doc_id)
        elif engagement_of(document.extra) != post.engagement:
            counts[doc_id] = post.engagement
    if counts:
        stats.engagement_refreshed += await store.update_engagement(counts)
    return edited
