"""What can go wrong while crawling, as a small tree the caller can branch on.

    CrawlError                      anything the crawlers package raises on purpose
    ├── FetchError                  the HTTP fetch did not produce a usable body
    │   ├── TransientFetchError     worth retrying later: timeouts, dropped or reset
    │   │                           connections, truncated bodies, 408, 429 and 5xx
    │   │                           (``retry_after`` = what the server asked, if anything)
    │   └── PermanentFetchError     retrying the same URL will fail again: 4xx other than
    │                               408/429, too many redirects, body over the size cap,
    │                               corrupt or unsupported encoding, blocked address
    ├── FeedParseError              the bytes are not a feed (an HTML page, garbage)
    └── ExtractionError             reserved for extraction failures a caller must see

``Fetcher.get`` raises only ``FetchError`` subclasses; ``parse_feed`` only
``FeedParseError``; ``poll_feed`` both. Every error carries the URL it concerns.
"""

from __future__ import annotations


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


class FeedParseError(CrawlError):
    """The content is not an RSS, Atom or JSON feed, or is too broken to read."""


class ExtractionError(CrawlError):
    """Extraction failed in a way the caller must see (not "no main text": that is None)."""
