"""Clarion's crawlers: sources in, documents out. Knows nothing of the rest of Clarion.

- ``normalize_url`` / ``document_id``: one spelling, and one id, per article URL;
  ``canonical_url`` (a page's same-site ``rel=canonical``) and ``registrable_domain``.
- ``Shard`` / ``owns``: which of several crawler processes polls a source
  (rendezvous hashing on the source id).
- ``Fetcher`` (configured by ``FetchConfig``): polite HTTP with retries and caps, an
  SSRF guard checked at connect time (``AddressPolicy``), and robots.txt for article
  pages (``get(url, respect_robots=True)``, ``RobotsPolicy``).
- ``parse_feed``: RSS, Atom and JSON Feed bytes to ``FeedEntry`` values.
- WebSub push: ``websub_links`` / ``discover_websub`` (a feed's hub and topic),
  ``request_subscription`` through ``hub_client`` (SSRF-guarded), ``verify_signature``
  / ``sign`` (``X-Hub-Signature``), ``subscription_action`` / ``renew_at`` (pure lease
  and retry decisions over ``FeedState``'s ``websub_*`` fields).
- ``discover_feeds`` / ``find_feed``: the feeds an HTML page advertises, and which to poll.
- ``parse_sitemap``: sitemaps, sitemap indexes and Google News sitemaps.
- ``parse_opml`` / ``feed_outlines`` / ``source_from_outline`` / ``write_opml``: OPML
  source lists in and out.
- ``extract_article``: an HTML page to its main text and metadata (process-pool safe);
  ``extract_articles``: several pages in one call.
- ``published_date`` / ``url_date``: which publication date to believe (feed, page, URL),
  implausible ones flagged (``PublishedDate``).
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
from crawlers._dates import PublishedDate, published_date, url_date
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
from crawlers._extract import Extracted, extract_article, extract_articles, warm_extraction
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
from crawlers._shard import Shard, owns
from crawlers._sitemaps import NewsInfo, Sitemap, SitemapRef, SitemapUrl, parse_sitemap
from crawlers._types import (
    CHANNELS,
    SOCIAL_PLATFORMS,
    SOURCE_KINDS,
    Channel,
    Document,
    FeedEntry,
    FeedState,
    SocialPlatform,
    Source,
    SourceKind,
)
from crawlers._urls import (
    canonical_url,
    document_id,
    load_public_suffix_list,
    normalize_url,
    registrable_domain,
)
from crawlers._websub import (
    WebSubLinks,
    discover_websub,
    hub_client,
    new_secret,
    parse_link_header,
    renew_at,
    request_subscription,
    retry_delay,
    sign,
    subscription_action,
    subscription_due_at,
    verify_signature,
    websub_links,
)

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
    "PublishedDate",
    "RobotsDisallowed",
    "RobotsPolicy",
    "RobotsUnreachable",
    "SOCIAL_PLATFORMS",
    "SOURCE_KINDS",
    "Shard",
    "Sitemap",
    "SitemapParseError",
    "SitemapRef",
    "SitemapUrl",
    "SocialPlatform",
    "Source",
    "SourceKind",
    "TransientFetchError",
    "WebSubLinks",
    "backoff_after_failure",
    "canonical_url",
    "disable_reason",
    "discover_feeds",
    "discover_websub",
    "document_id",
    "extract_article",
    "extract_articles",
    "feed_outlines",
    "find_feed",
    "guarded_transport",
    "html_to_text",
    "hub_client",
    "load_public_suffix_list",
    "new_secret",
    "next_poll_interval",
    "normalize_url",
    "owns",
    "parse_feed",
    "parse_link_header",
    "parse_opml",
    "parse_sitemap",
    "poll_feed",
    "poll_sitemap",
    "poll_source",
    "published_date",
    "record_failure",
    "record_success",
    "registrable_domain",
    "renew_at",
    "request_subscription",
    "retry_delay",
    "should_disable",
    "sign",
    "source_from_outline",
    "subscription_action",
    "subscription_due_at",
    "url_date",
    "verify_signature",
    "warm_extraction",
    "websub_links",
    "write_opml",
]
