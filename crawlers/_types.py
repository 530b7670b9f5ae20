"""The nouns of ingestion: where documents come from and what a document is.

Every other package imports these; nothing here imports from the rest of Clarion.
Times are timezone-aware UTC ``datetime`` objects everywhere.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Channel = Literal["news", "blog", "social", "podcast", "press_release"]
CHANNELS: tuple[Channel, ...] = ("news", "blog", "social", "podcast", "press_release")

# "feed": RSS, Atom or JSON Feed (``poll_feed``); "sitemap": an XML sitemap, sitemap
# index or Google News sitemap (``poll_sitemap``). ``poll_source`` picks by kind.
# "social": a public social endpoint, polled by the adapter of ``Source.platform``
# (``crawlers.social.poll_social``); its posts are documents without a page fetch.
SourceKind = Literal["feed", "sitemap", "social"]
SOURCE_KINDS: tuple[SourceKind, ...] = ("feed", "sitemap", "social")

# The platforms of social sources (``crawlers.social`` has one adapter per platform).
SocialPlatform = Literal["reddit", "mastodon", "bluesky", "hackernews", "youtube"]
SOCIAL_PLATFORMS: tuple[SocialPlatform, ...] = (
    "reddit",
    "mastodon",
    "bluesky",
    "hackernews",
    "youtube",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """A feed or endpoint to poll, with what Clarion knows of the outlet behind it.

    ``id`` is a short stable slug chosen by the user (or derived from the URL);
    ``tier`` 1 is the most influential; ``audience`` is the outlet's estimated
    audience per period, used to weight reach.

    A ``kind="social"`` source watches ``target`` on ``platform``, written as
    ``crawlers.social.social_spec`` reads it (``r/python``, ``#tag@instance``,
    ``@handle``, a search query, a channel id); its ``url`` is the base URL of the
    platform's API (``https://www.reddit.com``; for Mastodon, the instance).
    ``platform`` and ``target`` are unused by other kinds.
    """

    id: str
    url: str
    outlet: str
    domain: str = ""
    kind: SourceKind = "feed"
    channel: Channel = "news"
    country: str | None = None
    language: str | None = None
    tier: int = 3
    audience: int = 0
    enabled: bool = True
    platform: SocialPlatform | None = None
    target: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedEntry:
    """One item of a parsed feed, before its page is fetched.

    ``updated_at`` is when the feed says the item last changed (Atom ``<updated>``,
    JSON Feed ``date_modified``), when it says so; a later one than stored means
    the article changed and is fetched again.
    """

    url: str
    title: str = ""
    summary: str = ""
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    guid: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    """One article or post, identified by ``id`` = hash of its normalized URL.

    Outlet fields (``outlet`` … ``audience``) are copied from the source at
    ingest time, so that a document can be counted and broken down without a
    join, in every store.
    """

    id: str
    url: str
    source_id: str
    outlet: str
    domain: str
    title: str
    text: str
    fetched_at: datetime
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    language: str | None = None
    channel: Channel = "news"
    country: str | None = None
    tier: int = 3
    audience: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    def replace(self, **changes: object) -> Document:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedState:
    """What the crawler remembers of one source between polls (and restarts).

    ``etag`` and ``last_modified`` are only saved once every new entry of the
    poll that returned them is stored, so a crash mid-poll never makes a
    conditional GET hide entries that were not ingested yet.
    """

    source_id: str
    etag: str | None = None
    last_modified: str | None = None
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    last_error_class: str | None = None
    disabled_reason: str | None = None  # set when a run of failures disabled the source
    # WebSub push (``crawlers/_websub.py``): the subscription asked of the feed's hub.
    # ``websub_state`` is None (never asked), "pending" (asked, not verified yet),
    # "active" (verified; ``websub_lease_*`` set), "failed" or "denied" (retried with
    # backoff after ``websub_failures``), "unsubscribing" (the source was deleted or
    # disabled; cleared when the hub verifies the unsubscription). ``websub_secret``
    # signs deliveries: never log it.
    websub_hub: str | None = None
    websub_topic: str | None = None
    websub_callback: str | None = None
    websub_secret: str | None = None
    websub_state: str | None = None
    websub_requested_at: datetime | None = None
    websub_lease_seconds: int | None = None
    websub_lease_expires_at: datetime | None = None
    websub_failures: int = 0
    websub_error: str | None = None
    # A social source's adapter cursor (``SocialState.cursor``: a newest id or time
    # watermark), saved like the validators once every post of its poll is stored.
    cursor: str | None = None
