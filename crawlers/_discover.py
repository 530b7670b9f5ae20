"""Feed autodiscovery: the feeds an HTML page advertises, and which one to poll.

``discover_feeds`` is pure: it reads ``<link rel="alternate" type="...">`` elements
(the RSS Advisory Board's autodiscovery convention, also used for Atom and JSON
Feed), resolves them against the page URL (and its ``<base href>``), and orders
them best first. ``find_feed`` is the I/O shell used when a user adds a source by
its home page: it fetches the URL, and if that is HTML rather than a feed, tries
the advertised feeds in order and returns the first that parses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

from crawlers._errors import FeedParseError, FetchError, HtmlInsteadOfFeedError
from crawlers._feeds import parse_feed
from crawlers._fetch import Fetcher

# Media types of feeds in autodiscovery links, with the format they announce.
FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/feed+json": "json",  # JSON Feed 1.1
    "application/json": "json",  # JSON Feed 1.0 sites, only with rel=alternate and a title
    "application/rdf+xml": "rdf",  # RSS 1.0 (Deutsche Welle and other older sites)
    "text/xml": "rss",  # older sites announce RSS with the generic XML type
}
# Advertised feeds tried by ``find_feed`` before giving up: the page's main feed is
# among the first ones everywhere we looked; more would only spend requests on
# per-category and comment feeds.
MAX_CANDIDATES = 3
# Comment feeds (WordPress "Comments Feed" / "Kommentar-Feed", per-article comment
# feeds) are not news: recognised by their title in the languages of our sources.
_COMMENTS = re.compile(r"comment|kommentar|komentar|coment[aá]rio|reactie", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>")
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head)\b", re.I | re.S)


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscoveredFeed:
    """A feed a page links to: absolute ``url``, ``title`` (may be ""), ``format``."""

    url: str
    title: str
    content_type: str
    format: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FoundFeed:
    """The feed to poll for a URL: ``url`` (after redirects) and its ``title``.

    ``page_url`` is the HTML page it was discovered from, or None when the URL
    given was a feed already.
    """

    url: str
    title: str
    page_url: str | None = None


def discover_feeds(html: bytes | str, *, url: str) -> list[DiscoveredFeed]:
    """Feeds advertised by the HTML page ``html`` fetched from ``url``, best first.

    Best first means: document order, except that comment feeds go last. URLs are
    absolute http(s) (resolved against ``<base href>`` or ``url``) and unique.
    Never raises on bad markup: a page it cannot read advertises nothing.
    """
    text = _decode(html) if isinstance(html, bytes) else html
    # lxml refuses a str that carries an XML declaration (XHTML pages have one).
    text = _XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        return []
    try:
        root = lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError):  # nothing parseable: no feeds
        return []
    base = url
    for href in root.xpath("//base/@href"):
        base = urljoin(url, str(href).strip())
        break
    found: dict[str, DiscoveredFeed] = {}
    for link in root.xpath("//link[@href]"):
        rel = str(link.get("rel", "")).lower().split()
        media_type = str(link.get("type", "")).split(";")[0].strip().lower()
        if "alternate" not in rel or media_type not in FEED_TYPES:
            continue
        title = " ".join(str(link.get("title", "")).split())
        if media_type == "application/json" and not title:
            continue  # a bare JSON alternate is more often an API than a JSON Feed
        absolute = _absolute(str(link.get("href")), base=base)
        if absolute is None or absolute in found:
            continue
        found[absolute] = DiscoveredFeed(
            url=absolute, title=title, content_type=media_type, format=FEED_TYPES[media_type]
        )
    feeds = list(found.values())
    return sorted(feeds, key=lambda f: bool(_COMMENTS.search(f.title) or "/comments/" in f.url))


def looks_like_html(content: bytes, content_type: str | None = None) -> bool:
    """True when a response is an HTML page (by its Content-Type or its first tag)."""
    if content_type and content_type.split(";")[0].strip().lower() in (
        "text/html",
        "application/xhtml+xml",
    ):
        return True
    return _HTML_START.match(content[:4096].lstrip(b"\xef\xbb\xbf")) is not None


async def find_feed(fetcher: Fetcher, url: str) -> FoundFeed:
    """The feed to poll for ``url``: ``url`` itself if it is a feed, else one it advertises.

    Tries at most ``MAX_CANDIDATES`` advertised feeds, in ``discover_feeds`` order.
    Raises ``FetchError`` subclasses when ``url`` cannot be fetched,
    ``HtmlInsteadOfFeedError`` (with the advertised ``feeds``) when it is HTML and
    none of them parses, and ``FeedParseError`` when it is neither feed nor HTML.
    """
    result = await fetcher.get(url)
    content_type = result.headers.get("content-type")
    try:
        feed = parse_feed(result.content, url=result.url, content_type=content_type)
    except FeedParseError:
        if not looks_like_html(result.content, content_type):
            raise
    else:
        return FoundFeed(url=result.url, title=feed.title)
    feeds = discover_feeds(result.content, url=result.url)
    for candidate in feeds[:MAX_CANDIDATES]:
        try:
            found = await fetcher.get(candidate.url)
            feed = parse_feed(
                found.content, url=found.url, content_type=found.headers.get("content-type")
            )
        except (FeedParseError, FetchError):
            continue  # a dead or broken candidate: try the next one
        return FoundFeed(url=found.url, title=feed.title or candidate.title, page_url=result.url)
    raise HtmlInsteadOfFeedError(
        f"an HTML page advertising {len(feeds)} feed(s), none readable", url=result.url,
        feeds=tuple(feeds),
    )  # fmt: skip


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:  # undeclared legacy pages: Windows-1252 decodes any byte
        return content.decode("cp1252", errors="replace")


def _absolute(link: str, *, base: str) -> str | None:
    if not link.strip():
        return None
    try:
        absolute = urljoin(base, link.strip())
        parts = urlsplit(absolute)
    except ValueError:  # an unbalanced IPv6 bracket and the like: not a usable link
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return absolute
