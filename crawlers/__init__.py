"""Clarion's crawlers: sources in, documents out. Knows nothing of the rest of Clarion.

- ``normalize_url`` / ``document_id``: one spelling, and one id, per article URL.
- ``Fetcher`` (configured by ``FetchConfig``): polite HTTP with retries and caps.
- ``parse_feed``: RSS, Atom and JSON Feed bytes to ``FeedEntry`` values.
- ``extract_article``: an HTML page to its main text and metadata (process-pool safe).
- ``poll_feed``, ``record_success``, ``record_failure``: one poll of a ``Source``
  and the pure bookkeeping of its ``FeedState``.
- Errors: ``CrawlError`` > ``FetchError`` > ``TransientFetchError`` /
  ``PermanentFetchError``; ``FeedParseError``; ``ExtractionError``.
"""

from crawlers._config import FetchConfig
from crawlers._errors import (
    CrawlError,
    ExtractionError,
    FeedParseError,
    FetchError,
    PermanentFetchError,
    TransientFetchError,
)
from crawlers._extract import Extracted, extract_article
from crawlers._feeds import ParsedFeed, html_to_text, parse_feed
from crawlers._fetch import Fetcher, FetchResult
from crawlers._poll import PollResult, poll_feed, record_failure, record_success
from crawlers._types import CHANNELS, Channel, Document, FeedEntry, FeedState, Source
from crawlers._urls import document_id, normalize_url

__all__ = [
    "CHANNELS",
    "Channel",
    "CrawlError",
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
    "ParsedFeed",
    "PermanentFetchError",
    "PollResult",
    "Source",
    "TransientFetchError",
    "document_id",
    "extract_article",
    "html_to_text",
    "normalize_url",
    "parse_feed",
    "poll_feed",
    "record_failure",
    "record_success",
]
