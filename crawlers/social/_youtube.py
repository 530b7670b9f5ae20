"""YouTube: a channel's newest videos through its public Atom feed.

- ``GET https://www.youtube.com/feeds/videos.xml?channel_id=UC...`` returns Atom with
  the ``yt:`` and Media RSS extensions: ``media:group/media:description`` is the
  video's description (the text), ``media:community/media:statistics@views`` and
  ``media:starRating@count`` are its engagement.
- The feed always holds the channel's newest videos (15), with counts that change:
  every poll returns them all (the pipeline refreshes a stored video's counts in
  place, and updates an edited one), and a conditional GET saves the transfer
  when nothing changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from time import struct_time
from typing import Any
from urllib.parse import urljoin

from crawlers import FeedParseError, Fetcher, html_to_text
from crawlers._feeds import feedparser_document
from crawlers.social._common import counts, string, with_query
from crawlers.social._post import (
    ENGAGEMENT_RATINGS,
    ENGAGEMENT_VIEWS,
    SocialPollResult,
    SocialPost,
    SocialState,
)

YOUTUBE = "https://www.youtube.com"
# A channel id is "UC" and 22 URL-safe base64 characters.
_CHANNEL_ID = re.compile(r"UC[\w-]{22}")


@dataclass(frozen=True, slots=True, kw_only=True)
class YouTubeSpec:
    """A channel's feed, by channel id (``UC`` + 22 characters)."""

    channel_id: str
    base_url: str = YOUTUBE

    def __post_init__(self) -> None:
        if not _CHANNEL_ID.fullmatch(self.channel_id):
            raise ValueError(f"not a YouTube channel id: {self.channel_id!r}")

    @classmethod
    def parse(cls, text: str) -> YouTubeSpec:
        """A channel id, or a URL containing one (``/channel/UC...``, ``?channel_id=UC...``)."""
        match = _CHANNEL_ID.search(text)
        if match is None:
            raise ValueError(f"no YouTube channel id in {text!r}")
        return cls(channel_id=match.group(0))


def youtube_url(spec: YouTubeSpec) -> str:
    return with_query(
        f"{spec.base_url.rstrip('/')}/feeds/videos.xml", {"channel_id": spec.channel_id}
    )


def parse_youtube_feed(content: bytes, *, url: str) -> list[SocialPost]:
    """The videos of a channel feed; ``FeedParseError`` when the bytes are not a feed."""
    parsed = feedparser_document(content, url=url)
    posts = []
    for entry in parsed.get("entries", []):
        post = _video(entry, base=url)
        if post is not None:
            posts.append(post)
    return posts


async def poll_youtube(
    fetcher: Fetcher, spec: YouTubeSpec, state: SocialState | None
) -> SocialPollResult:
    """One conditional GET of the channel feed. Raises ``FetchError`` subclasses and
    ``FeedParseError``; the cursor is unused (always None)."""
    state = state or SocialState()
    result = await fetcher.get(
        youtube_url(spec), etag=state.etag, last_modified=state.last_modified
    )
    if result.not_modified:
        return SocialPollResult(
            etag=result.etag, last_modified=result.last_modified, not_modified=True, pages=1
        )
    if not result.content.strip():
        raise FeedParseError("empty response body", url=result.url)
    return SocialPollResult(
        posts=parse_youtube_feed(result.content, url=result.url),
        etag=result.etag,
        last_modified=result.last_modified,
        pages=1,
    )


def _video(entry: dict[str, Any], *, base: str) -> SocialPost | None:
    # Plain dict access: feedparser's own .get maps missing keys to others, with warnings.
    def get(key: str) -> Any:
        return dict.get(entry, key)

    link = string(get("link"))
    video_id = string(get("yt_videoid"))
    if not link or not video_id:
        return None
    stats = get("media_statistics")
    rating = get("media_starrating")
    authors = [a.get("name", "") for a in get("authors") or [] if isinstance(a, dict)]
    title = html_to_text(string(get("title")))
    return SocialPost(
        platform="youtube",
        post_id=video_id,
        url=urljoin(base, link),
        title=title,
        text=html_to_text(string(get("summary"))) or title,
        authors=tuple(a for a in authors if a),
        published_at=_utc(get("published_parsed")),
        engagement=counts(
            [
                (
                    ENGAGEMENT_VIEWS,
                    _number(stats.get("views") if isinstance(stats, dict) else None),
                ),
                (
                    ENGAGEMENT_RATINGS,
                    _number(rating.get("count") if isinstance(rating, dict) else None),
                ),
            ]
        ),
        extra={"channel_id": string(get("yt_channelid"))} if get("yt_channelid") else {},
    )


def _number(value: object) -> int | None:
    return int(value) if isinstance(value, str) and value.strip().isdigit() else None


def _utc(value: object) -> datetime | None:
    if not isinstance(value, struct_time):
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except ValueError:  # feedparser accepts dates datetime cannot hold
        return None
