"""Clarion's crawlers: sources in, documents out. Knows nothing of the rest of Clarion.

- ``normalize_url`` / ``document_id``: one spelling, and one id, per article URL.
- ``Fetcher`` (configured by ``FetchConfig``): polite HTTP with retries and caps, an
  SSRF guard checked at connect time (``AddressPolicy``), and robots.txt for article
  pages (``get(url, respect_robots=True)``, ``RobotsPolicy``).
- ``parse_feed``: RSS, Atom and JSON Feed bytes to ``FeedEntry`` values.
- ``discover_feeds`` / ``find_feed``: the feeds an HTML page advertises, and which to poll.
- ``parse_sitemap``: sitemaps, sitemap indexes and Google News sitemaps.
- ``parse_opml`` / ``feed_outlines`` / ``source_from_outline`` / ``write_opml``: OPML
  source lists in and out.
- ``extract_article``: an HTML page to its main text and metadata (process-pool safe).
- ``poll_source`` (``poll_feed``, ``poll_sitemap``), ``record_success``,
  ``record_failure``: one poll of a ``Source`` and the pure bookkeeping of its ``FeedState``.
- ``next_poll_interval``, ``backoff_after_failure``, ``should_disable``,
  ``disable_reason``: the pure scheduling policy.
- Errors (tree in ``crawlers/_errors.py``): ``CrawlError`` > ``FetchError`` >
  ``TransientFetchError`` (> ``RobotsUnreachable``) / ``PermanentFetchError``
  (> ``BlockedAddressError``, ``RobotsDisallowed``); ``FeedParseError``
  (> ``HtmlInsteadOfFeedError``, ``SitemapParseError``); ``OpmlParseError``;
  ``ExtractionError``.
"""

from crawlers._config import FetchConfig
from crawlers._discover import DiscoveredFeed, FoundFeed, discover_feeds, find_feed
from crawlers._errors import (
    BlockedAddressError,
    CrawlError,
    ExtractionError,
    FeedParseError,
    FetchError,
    HtmlInsteadOfFeedError,
    OpmlParseError,
    PermanentFetchError,
    RobotsDisallowed,
    RobotsUnreachable,
    SitemapParseError,
    TransientFetchError,
)
from crawlers._extract import Extracted, extract_article
from crawlers._feeds import ParsedFeed, html_to_text, parse_feed
from crawlers._fetch import Fetcher, FetchResult
from crawlers._guard import AddressPolicy, guarded_transport
from crawlers._opml import OpmlOutline, feed_outlines, parse_opml, source_from_outline, write_opml
from crawlers._poll import (
    PollResult,
    poll_feed,
    poll_sitemap,
    poll_source,
    record_failure,
    record_success,
)
from crawlers._robots import RobotsPolicy
from crawlers._schedule import (
    backoff_after_failure,
    disable_reason,
    next_poll_interval,
    should_disable,
)
from crawlers._sitemaps import NewsInfo, Sitemap, SitemapRef, SitemapUrl, parse_sitemap
from crawlers._types import (
    CHANNELS,
    Channel,
    Document,
    FeedEntry,
    FeedState,
    Source,
    SourceKind,
)
from crawlers._urls import document_id, normalize_url

# Plain sorted order, capitals first (tests/crawlers/test_package.py); not ruff's isort style.
__all__ = [  # noqa: RUF022
    "AddressPolicy",
    "BlockedAddressError",
    "CHANNELS",
    "Channel",
    "CrawlError",
    "DiscoveredFeed",
    "Document",
    "Extracted",
    "ExtractionError",
    "FeedEntry",
    "FeedParseError",
    "FeedState",
    "FetchConfig",
    "FetchError",
    "FetchResult",
    "Fetcher",
    "FoundFeed",
    "HtmlInsteadOfFeedError",
    "NewsInfo",
    "OpmlOutline",
    "OpmlParseError",
    "ParsedFeed",
    "PermanentFetchError",
    "PollResult",
    "RobotsDisallowed",
    "RobotsPolicy",
    "RobotsUnreachable",
    "Sitemap",
    "SitemapParseError",
    "SitemapRef",
    "SitemapUrl",
    "Source",
    "SourceKind",
    "TransientFetchError",
    "backoff_after_failure",
    "disable_reason",
    "discover_feeds",
    "document_id",
    "extract_article",
    "feed_outlines",
    "find_feed",
    "guarded_transport",
    "html_to_text",
    "next_poll_interval",
    "normalize_url",
    "parse_feed",
    "parse_opml",
    "parse_sitemap",
    "poll_feed",
    "poll_sitemap",
    "poll_source",
    "record_failure",
    "record_success",
    "should_disable",
    "source_from_outline",
    "write_opml",
]
