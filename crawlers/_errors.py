"""What can go wrong while crawling, as a small tree the caller can branch on.

    CrawlError                      anything the crawlers package raises on purpose
    ├── FetchError                  the HTTP fetch did not produce a usable body
    │   ├── TransientFetchError     worth retrying later: timeouts, dropped or reset
    │   │   │                       connections, truncated bodies, 408, 429 and 5xx
    │   │   │                       (``retry_after`` = what the server asked, if anything)
    │   │   └── RobotsUnreachable   robots.txt could not be read (5xx, network): every
    │   │                           page of the host is disallowed until it can be
    │   │                           (RFC 9309); ``retry_after`` = when it is asked again
    │   └── PermanentFetchError     retrying the same URL will fail again: 4xx other than
    │       │                       408/429, too many redirects, body over the size cap,
    │       │                       corrupt or unsupported encoding
    │       ├── BlockedAddressError the host resolves to a refused address (SSRF guard;
    │       │                       ``address`` = the one refused)
    │       └── RobotsDisallowed    the site's robots.txt forbids the page to Clarion
    ├── FeedParseError              the bytes are not a feed (an HTML page, garbage)
    │   ├── HtmlInsteadOfFeedError  an HTML page came back; ``feeds`` = the feeds it links
    │   └── SitemapParseError       the bytes are not a sitemap (or are a broken one)
    ├── OpmlParseError              the bytes are not an OPML document
    └── ExtractionError             reserved for extraction failures a caller must see

``Fetcher.get`` raises only ``FetchError`` subclasses; ``parse_feed`` only
``FeedParseError``; ``poll_feed`` and ``poll_sitemap`` both. Every error carries
the URL it concerns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crawlers._discover import DiscoveredFeed


class CrawlError(Exception):
    """Base class of every error the crawlers package raises on purpose."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class FetchError(CrawlError):
    """Fetching ``url`` failed; ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(message, url=url)
        self.status = status


class TransientFetchError(FetchError):
    """A failure worth retrying later. ``retry_after`` is in seconds, from the server."""

    def __init__(
        self,
        message: str,
        *,
        url: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, url=url, status=status)
        self.retry_after = retry_after


class PermanentFetchError(FetchError):
    """A failure that retrying the same request will not fix."""


class BlockedAddressError(PermanentFetchError):
    """The URL's host is, or resolves to, an address the SSRF guard refuses."""

    def __init__(self, message: str, *, url: str, address: str) -> None:
        super().__init__(message, url=url)
        self.address = address


class RobotsDisallowed(PermanentFetchError):
    """The host's robots.txt disallows ``url`` for Clarion's user agent."""


class RobotsUnreachable(TransientFetchError):
    """The host's robots.txt could not be read (5xx, 429, network error), so RFC 9309
    says to assume complete disallow; ``retry_after`` is when it will be asked again."""


class FeedParseError(CrawlError):
    """The content is not an RSS, Atom or JSON feed, or is too broken to read."""


class HtmlInsteadOfFeedError(FeedParseError):
    """An HTML page came back where a feed was expected.

    ``feeds`` are the feeds the page advertises (``<link rel="alternate">``), best
    first (see ``discover_feeds``); empty when it advertises none.
    """

    def __init__(self, message: str, *, url: str, feeds: tuple[DiscoveredFeed, ...] = ()) -> None:
        super().__init__(message, url=url)
        self.feeds = feeds


class SitemapParseError(FeedParseError):
    """The content is not an XML sitemap or sitemap index, or is too broken to read."""


class OpmlParseError(CrawlError):
    """The content is not an OPML document."""


class ExtractionError(CrawlError):
    """Extraction failed in a way the caller must see (not "no main text": that is None)."""
