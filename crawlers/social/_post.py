"""The nouns of social ingestion: a post, what an adapter remembers, what one poll found.

A social post is a document whose text comes with the response: the pipeline
stores it as it is and never fetches the page behind ``url``. Times are aware UTC.

Engagement counts use one vocabulary across platforms (the ``ENGAGEMENT_*``
names), so that share-of-voice code can add them up without knowing the source;
a count the platform does not give is absent, never a zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from crawlers import Document, FeedEntry, Fetcher, FetchResult, Source, document_id

Platform = Literal["reddit", "mastodon", "bluesky", "hackernews", "youtube"]

# The engagement vocabulary. Platform names map onto these:
ENGAGEMENT_LIKES = "likes"  # Mastodon favourites_count, Bluesky likeCount
ENGAGEMENT_REPOSTS = "reposts"  # Mastodon reblogs_count, Bluesky repostCount
ENGAGEMENT_REPLIES = "replies"  # Mastodon replies_count, Bluesky replyCount
ENGAGEMENT_QUOTES = "quotes"  # Bluesky quoteCount
ENGAGEMENT_SCORE = "score"  # Reddit score (ups - downs), Hacker News points
ENGAGEMENT_COMMENTS = "comments"  # Reddit / Hacker News num_comments
ENGAGEMENT_VIEWS = "views"  # YouTube media:statistics views
ENGAGEMENT_RATINGS = "ratings"  # YouTube media:starRating count

# Prefix of the engagement counts copied into ``Document.extra`` until Document
# has a field of its own for them (``extra`` holds strings only).
EXTRA_ENGAGEMENT_PREFIX = "engagement."


def engagement_of(extra: Mapping[str, str]) -> dict[str, int]:
    """The engagement counts a stored document carries in ``extra``
    (``engagement.<name>`` = a non-negative integer; others ignored)."""
    counts: dict[str, int] = {}
    for key, value in extra.items():
        if key.startswith(EXTRA_ENGAGEMENT_PREFIX):
            try:
                number = int(value)
            except ValueError:
                continue
            if number >= 0:
                counts[key.removeprefix(EXTRA_ENGAGEMENT_PREFIX)] = number
    return counts


def with_engagement(extra: Mapping[str, str], counts: Mapping[str, int]) -> dict[str, str]:
    """``extra`` with its engagement entries replaced by ``counts`` (the others kept)."""
    kept = {k: v for k, v in extra.items() if not k.startswith(EXTRA_ENGAGEMENT_PREFIX)}
    return kept | {EXTRA_ENGAGEMENT_PREFIX + name: str(n) for name, n in sorted(counts.items())}


@dataclass(frozen=True, slots=True, kw_only=True)
class SocialPost:
    """One public post (or video, or comment) as its platform's API returned it.

    ``url`` is the post's own public page (never fetched); ``link`` is the page
    the post shares, if any (a Reddit link post's target, a Hacker News story's
    article). ``post_id`` is the platform's id, unique within ``platform``.
    ``text`` is plain text (HTML already stripped); ``title`` is empty for
    platforms without titles. ``extra`` carries platform details as strings
    (subreddit, the account that reposted it, ...).
    """

    platform: Platform
    post_id: str
    url: str
    text: str
    title: str = ""
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    language: str | None = None
    link: str | None = None
    engagement: dict[str, int] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def guid(self) -> str:
        """A globally unique id: ``platform:post_id``."""
        return f"{self.platform}:{self.post_id}"

    def to_feed_entry(self) -> FeedEntry:
        """The post as today's ``FeedEntry`` (text in ``summary``; engagement is lost)."""
        return FeedEntry(
            url=self.url,
            title=self.title,
            summary=self.text,
            authors=self.authors,
            published_at=self.published_at,
            guid=self.guid,
        )

    def to_document(self, source: Source, *, fetched_at: datetime) -> Document:
        """The post as a stored document: its text is the document text, no page fetch.

        Engagement counts go into ``extra`` under ``engagement.<name>`` until
        ``Document`` has a field for them; so do ``platform``, ``post_id`` and ``link``.
        """
        extra = dict(self.extra)
        extra["platform"] = self.platform
        extra["post_id"] = self.post_id
        if self.link:
            extra["link"] = self.link
        return Document(
            id=document_id(self.url),
            url=self.url,
            source_id=source.id,
            outlet=source.outlet,
            domain=source.domain,
            title=self.title,
            text=self.text,
            fetched_at=fetched_at,
            authors=self.authors,
            published_at=self.published_at,
            language=self.language or source.language,
            channel="social",
            country=source.country,
            tier=source.tier,
            audience=source.audience,
            extra=with_engagement(extra, self.engagement),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SocialState:
    """What an adapter remembers of one social source between polls.

    ``etag`` / ``last_modified`` are the HTTP validators (as in ``FeedState``);
    ``cursor`` is an opaque, adapter-specific string saying how far the source
    has been read (a newest status id, a newest time). Save a poll's cursor only
    once every post it returned is stored, like the validators.
    """

    etag: str | None = None
    last_modified: str | None = None
    cursor: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SocialPollResult:
    """What one poll of a social source found, newest first where the API says so.

    ``not_modified`` polls have no posts. ``cursor`` is the state to remember
    (unchanged when nothing new came); ``pages`` counts the requests made.
    """

    posts: list[SocialPost] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    cursor: str | None = None
    not_modified: bool = False
    pages: int = 0

    def state(self) -> SocialState:
        """The ``SocialState`` to save once every post is stored."""
        return SocialState(etag=self.etag, last_modified=self.last_modified, cursor=self.cursor)


async def get_page(fetcher: Fetcher, url: str, state: SocialState, *, first: bool) -> FetchResult:
    """One page of a poll; only the first asks conditionally (the validators are its own)."""
    return await fetcher.get(
        url,
        etag=state.etag if first else None,
        last_modified=state.last_modified if first else None,
    )


def unchanged(result: FetchResult, *, cursor: str | None, pages: int) -> SocialPollResult:
    """The poll's answer when the first page came back 304 Not Modified."""
    return SocialPollResult(
        etag=result.etag,
        last_modified=result.last_modified,
        cursor=cursor,
        not_modified=True,
        pages=pages,
    )
