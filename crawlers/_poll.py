"""Polling one source, and the pure bookkeeping of its health between polls.

``poll_feed`` is the I/O shell (one conditional GET, one parse); ``record_success``
and ``record_failure`` are pure functions from the old ``FeedState`` to the new one,
so the decision of what a source remembers is tested without a server.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from crawlers._errors import FeedParseError
from crawlers._feeds import parse_feed
from crawlers._fetch import Fetcher
from crawlers._types import FeedEntry, FeedState, Source

# Longest error message kept in the state: enough to diagnose, small enough for
# every store row and API response.
MAX_ERROR_CHARS = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class PollResult:
    """What one poll found. ``not_modified`` polls have no entries.

    ``etag`` / ``last_modified`` are the validators to remember once every entry
    is stored (see ``FeedState``); on a 304 they are the ones that were sent.
    """

    entries: list[FeedEntry] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    feed_title: str | None = None
    final_url: str | None = None


async def poll_feed(fetcher: Fetcher, source: Source, state: FeedState | None) -> PollResult:
    """Fetch ``source.url`` (conditionally, with the validators in ``state``) and parse it.

    Raises ``FetchError`` subclasses from the fetch and ``FeedParseError`` when
    the body is not a feed; never touches ``state`` (see ``record_success`` /
    ``record_failure``). Entry URLs are resolved against the final URL after redirects.
    """
    etag = state.etag if state else None
    last_modified = state.last_modified if state else None
    result = await fetcher.get(source.url, etag=etag, last_modified=last_modified)
    if result.not_modified:
        return PollResult(
            etag=result.etag,
            last_modified=result.last_modified,
            not_modified=True,
            final_url=result.url,
        )
    if not result.content.strip():
        raise FeedParseError("empty response body", url=result.url)
    content_type = result.headers.get("content-type")
    feed = parse_feed(result.content, url=result.url, content_type=content_type)
    return PollResult(
        entries=feed.entries,
        etag=result.etag,
        last_modified=result.last_modified,
        feed_title=feed.title or None,
        final_url=result.url,
    )


def record_success(
    state: FeedState | None,
    *,
    source_id: str,
    now: datetime,
    etag: str | None,
    last_modified: str | None,
) -> FeedState:
    """The state after a successful poll: validators replaced, failures reset.

    ``now`` must be timezone-aware. Pass ``etag=None`` and ``last_modified=None``
    to force a full fetch next time.
    """
    _require_aware(now)
    base = state if state is not None else FeedState(source_id=source_id)
    return replace(
        base,
        etag=etag,
        last_modified=last_modified,
        last_polled_at=now,
        last_success_at=now,
        consecutive_failures=0,
        last_error=None,
        last_error_class=None,
    )


def record_failure(
    state: FeedState | None, *, source_id: str, now: datetime, error: Exception
) -> FeedState:
    """The state after a failed poll: one more consecutive failure, the error kept.

    Validators and ``last_success_at`` are left as they were, so the next poll
    is still conditional. ``now`` must be timezone-aware.
    """
    _require_aware(now)
    base = state if state is not None else FeedState(source_id=source_id)
    message = str(error) or type(error).__name__
    return replace(
        base,
        last_polled_at=now,
        consecutive_failures=base.consecutive_failures + 1,
        last_error=message[:MAX_ERROR_CHARS],
        last_error_class=type(error).__name__,
    )


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
