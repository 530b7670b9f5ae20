"""Polling one source, and the pure bookkeeping of its health between polls.

``poll_feed`` and ``poll_sitemap`` are the I/O shells (``poll_source`` picks one by
``Source.kind``); ``record_success``
and ``record_failure`` are pure functions from the old ``FeedState`` to the new one,
so the decision of what a source remembers is tested without a server.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import datetime

from crawlers._discover import discover_feeds, looks_like_html
from crawlers._errors import FeedParseError, FetchError, HtmlInsteadOfFeedError
from crawlers._feeds import parse_feed
from crawlers._fetch import Fetcher, FetchResult
from crawlers._sitemaps import SitemapRef, SitemapUrl, parse_sitemap
from crawlers._types import FeedEntry, FeedState, Source
from crawlers._websub import websub_links

# Longest error message kept in the state: enough to diagnose, small enough for
# every store row and API response.
MAX_ERROR_CHARS = 500

# Feed bodies up to this size are parsed on the event loop: feedparser takes 1-3 ms
# on them (a 628-byte RSS feed: 0.9 ms), a pause the loop takes in its stride,
# and a hand-off to a thread and back would add 0.05-0.07 ms of CPU (measured on
# uvloop). Larger ones go to a thread (a 25 KB feed: 8-10 ms).
INLINE_PARSE_BYTES = 4096
# Child sitemaps read per poll of a sitemap index: the most recently modified ones.
# News sites split by day, month or section and the fresh articles sit in the newest
# one or two; three covers a section split without reading a site's whole archive.
MAX_CHILD_SITEMAPS = 3

# Pages handed on per sitemap poll, most recent first. Google News sitemaps hold at
# most 1,000 URLs (the last two days); a plain sitemap can hold 50,000, of which
# only the recently modified are news to a monitoring service.
MAX_SITEMAP_ENTRIES = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class PollResult:
    """What one poll found. ``not_modified`` polls have no entries.

    ``etag`` / ``last_modified`` are the validators to remember once every entry
    is stored (see ``FeedState``); on a 304 they are the ones that were sent.
    ``hub_url`` / ``topic_url``: the WebSub hub and topic a feed body or its ``Link``
    headers advertise (``websub_links``); None on a 304 and for sitemaps.
    ``hub_urls``: every hub advertised, ``hub_url`` first (empty when it is None).
    """

    entries: list[FeedEntry] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    feed_title: str | None = None
    final_url: str | None = None
    hub_url: str | None = None
    topic_url: str | None = None
    hub_urls: tuple[str, ...] = ()


async def poll_feed(fetcher: Fetcher, source: Source, state: FeedState | None) -> PollResult:
    """Fetch ``source.url`` (conditionally, with the validators in ``state``) and parse it.

    Raises ``FetchError`` subclasses from the fetch and ``FeedParseError`` when
    the body is not a feed: ``HtmlInsteadOfFeedError`` when it is an HTML page, with
    the feeds that page advertises (the source's URL should change to one of them,
    e.g. ``error.feeds[0].url``); never touches ``state`` (see ``record_success`` /
    ``record_failure``). Entry URLs are resolved against the final URL after redirects.
    """
    result = await _conditional_get(fetcher, source, state)
    if result.not_modified:
        return _unchanged(result)
    if not result.content.strip():
        raise FeedParseError("empty response body", url=result.url)
    content_type = result.headers.get("content-type")
    try:
        if len(result.content) <= INLINE_PARSE_BYTES:
            feed = parse_feed(result.content, url=result.url, content_type=content_type)
        else:  # off the event loop: a large feed takes feedparser tens of milliseconds
            feed = await asyncio.to_thread(
                parse_feed, result.content, url=result.url, content_type=content_type
            )
    except FeedParseError as exc:
        if looks_like_html(result.content, content_type):
            feeds = tuple(discover_feeds(result.content, url=result.url))
            raise HtmlInsteadOfFeedError(
                f"an HTML page, not a feed ({len(feeds)} feed(s) advertised)",
                url=result.url,
                feeds=feeds,
            ) from exc
        raise
    push = websub_links(feed, url=result.url, headers=result.headers)
    return PollResult(
        entries=feed.entries,
        etag=result.etag,
        last_modified=result.last_modified,
        feed_title=feed.title or None,
        final_url=result.url,
        hub_url=push.hub if push else None,
        topic_url=push.topic if push else None,
        hub_urls=push.hubs if push else (),
    )


async def poll_sitemap(
    fetcher: Fetcher,
    source: Source,
    state: FeedState | None,
    *,
    max_children: int = MAX_CHILD_SITEMAPS,
    max_entries: int = MAX_SITEMAP_ENTRIES,
) -> PollResult:
    """Fetch the sitemap at ``source.url`` (conditionally) and return its newest pages.

    A ``<urlset>`` (plain or Google News) gives its pages; a ``<sitemapindex>`` is
    followed to its ``max_children`` most recently modified children (children
    without ``<lastmod>`` after those with one, in index order), fetched without
    validators. At most ``max_entries`` entries come back, newest first (by news
    publication date, else ``lastmod``; undated last), unique by URL.

    An index returns no validators (its children change while it does not), so the
    next poll reads it again. A child that fails is skipped while another succeeds;
    when all fail, the last error is raised. Raises ``FetchError`` subclasses and
    ``SitemapParseError`` (a ``FeedParseError``) like ``poll_feed``.
    """
    result = await _conditional_get(fetcher, source, state)
    if result.not_modified:
        return _unchanged(result)
    sitemap = await asyncio.to_thread(parse_sitemap, result.content, url=result.url)
    if sitemap.kind == "urlset":
        return PollResult(
            entries=_newest(sitemap.urls, max_entries),
            etag=result.etag,
            last_modified=result.last_modified,
            feed_title=sitemap.publication_name,
            final_url=result.url,
        )
    pages: list[SitemapUrl] = []
    title: str | None = None
    failure: Exception | None = None
    children = _newest_children(sitemap.sitemaps, max_children)
    for child in children:
        try:
            fetched = await fetcher.get(child.url)
            parsed = await asyncio.to_thread(parse_sitemap, fetched.content, url=fetched.url)
        except (FetchError, FeedParseError) as exc:
            failure = exc
            continue
        pages.extend(parsed.urls)  # a nested index (not allowed by the spec) adds nothing
        title = title or parsed.publication_name
    if failure is not None and len(pages) == 0 and len(children) > 0:
        raise failure
    return PollResult(entries=_newest(pages, max_entries), feed_title=title, final_url=result.url)


async def poll_source(fetcher: Fetcher, source: Source, state: FeedState | None) -> PollResult:
    """``poll_feed`` or ``poll_sitemap``, by ``source.kind``."""
    if source.kind == "sitemap":
        return await poll_sitemap(fetcher, source, state)
    return await poll_feed(fetcher, source, state)


def _newest_children(refs: list[SitemapRef], limit: int) -> list[SitemapRef]:
    dated = [(r.lastmod, r) for r in refs if r.lastmod is not None]
    dated.sort(key=lambda pair: pair[0], reverse=True)  # stable: ties keep index order
    undated = [r for r in refs if r.lastmod is None]
    return ([r for _, r in dated] + undated)[:limit]


def _newest(pages: list[SitemapUrl], limit: int) -> list[FeedEntry]:
    unique: dict[str, SitemapUrl] = {}
    for page in pages:
        unique.setdefault(page.url, page)
    dated = sorted((p for p in unique.values() if p.when), key=_when, reverse=True)
    undated = [p for p in unique.values() if p.when is None]
    return [
        FeedEntry(
            url=p.url,
            title=p.news.title if p.news else "",
            published_at=p.news.publication_date if p.news else None,
        )
        for p in (dated + undated)[:limit]
    ]


def _when(page: SitemapUrl) -> datetime:
    assert page.when is not None
    return page.when


async def _conditional_get(
    fetcher: Fetcher, source: Source, state: FeedState | None
) -> FetchResult:
    """GET the source, conditional on the validators of its last complete poll."""
    return await fetcher.get(
        source.url,
        etag=state.etag if state else None,
        last_modified=state.last_modified if state else None,
    )


def _unchanged(result: FetchResult) -> PollResult:
    """The poll's answer to a 304 Not Modified."""
    return PollResult(
        etag=result.etag,
        last_modified=result.last_modified,
        not_modified=True,
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
