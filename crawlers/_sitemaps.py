"""XML sitemaps (sitemaps.org 0.9) and Google News sitemaps, parsed without I/O.

``parse_sitemap`` reads a ``<urlset>`` (pages with ``<lastmod>``, and the
``news:`` extension of Google News sitemaps), a ``<sitemapindex>`` (child
sitemaps with their ``<lastmod>``), or the plain-text format (one URL a line),
gzip-compressed or not. ``Sitemap.entries()`` turns pages into ``FeedEntry``
values, so the pipeline treats a news sitemap like a feed.

Safety: entities are not resolved, no DTD or network access (no XXE), and gzip is
inflated with a bound, so neither a billion-laughs file nor a gzip bomb costs more
than ``max_bytes``. Elements are matched by local name, so sitemaps that omit or
misspell the namespace (common in the wild) are still read.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urljoin, urlsplit

import lxml.etree

from crawlers._errors import SitemapParseError
from crawlers._types import FeedEntry

# sitemaps.org: "no larger than 50MB (52,428,800 bytes)" uncompressed, and at most
# 50,000 URLs (or child sitemaps) per file. Beyond that a file is not a sitemap.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
MAX_SITEMAP_URLS = 50_000
# The two XML namespaces of the formats (documentation: matching is by local name).
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"

SitemapKind = Literal["urlset", "index"]


@dataclass(frozen=True, slots=True, kw_only=True)
class NewsInfo:
    """The ``<news:news>`` block of a Google News sitemap URL."""

    publication_name: str = ""
    language: str = ""
    publication_date: datetime | None = None
    title: str = ""
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SitemapUrl:
    """One page of a ``<urlset>``: absolute ``url``, ``lastmod`` (aware UTC), ``news``."""

    url: str
    lastmod: datetime | None = None
    news: NewsInfo | None = None

    @property
    def when(self) -> datetime | None:
        """The best known time of the page: its news publication date, else ``lastmod``."""
        if self.news is not None and self.news.publication_date is not None:
            return self.news.publication_date
        return self.lastmod


@dataclass(frozen=True, slots=True, kw_only=True)
class SitemapRef:
    """One child of a ``<sitemapindex>``."""

    url: str
    lastmod: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Sitemap:
    """A parsed sitemap: ``urls`` for a urlset, ``sitemaps`` for an index.

    ``skipped`` counts items dropped for having no usable http(s) ``<loc>`` or for
    being beyond ``max_urls`` (default ``MAX_SITEMAP_URLS``).
    """

    url: str
    kind: SitemapKind
    urls: list[SitemapUrl] = field(default_factory=list)
    sitemaps: list[SitemapRef] = field(default_factory=list)
    skipped: int = 0

    @property
    def publication_name(self) -> str | None:
        """The Google News publication name, if the sitemap gives one."""
        return next((u.news.publication_name for u in self.urls if u.news), None) or None

    def entries(self) -> list[FeedEntry]:
        """The pages as feed entries, in sitemap order.

        A news page's title and publication date become the entry's; a plain
        page's ``lastmod`` is *not* used as ``published_at`` (it is when the page
        last changed, not when it was published), so the page's own date is used.
        """
        return [
            FeedEntry(
                url=u.url,
                title=u.news.title if u.news else "",
                published_at=u.news.publication_date if u.news else None,
            )
            for u in self.urls
        ]


def parse_sitemap(
    content: bytes,
    *,
    url: str,
    max_bytes: int = MAX_SITEMAP_BYTES,
    max_urls: int = MAX_SITEMAP_URLS,
) -> Sitemap:
    """Parse a sitemap or sitemap index fetched from ``url`` (gzip is detected by magic).

    Items beyond ``max_urls`` are counted in ``skipped``, not kept.
    Raises ``SitemapParseError`` when the content is not a sitemap (another XML
    root, HTML, garbage, a corrupt or over-``max_bytes`` gzip stream).
    """
    if content[:2] == b"\x1f\x8b":
        content = _gunzip(content, url=url, max_bytes=max_bytes)
    if len(content) > max_bytes:
        raise SitemapParseError(f"sitemap over {max_bytes} bytes", url=url)
    stripped = content.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise SitemapParseError("empty sitemap", url=url)
    if not stripped.startswith(b"<"):
        return _parse_text(stripped, url=url, max_urls=max_urls)
    return _parse_xml(content, url=url, max_urls=max_urls)


def _parse_xml(content: bytes, *, url: str, max_urls: int) -> Sitemap:
    kind: SitemapKind | None = None
    urls: list[SitemapUrl] = []
    refs: list[SitemapRef] = []
    skipped = 0
    events = lxml.etree.iterparse(
        io.BytesIO(content),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=True,  # a stray "&" in one <loc> must not lose the other 49,999
    )
    try:
        for event, element in events:
            name = _local(element)
            if kind is None:
                if name not in ("urlset", "sitemapindex"):
                    raise SitemapParseError(f"not a sitemap: root element <{name}>", url=url)
                kind = "urlset" if name == "urlset" else "index"
                continue
            if event != "end" or name not in ("url", "sitemap"):
                continue
            if len(urls) + len(refs) >= max_urls:
                skipped += 1
            elif name == "url" and kind == "urlset":
                item = _url(element, base=url)
                if item is None:
                    skipped += 1
                else:
                    urls.append(item)
            elif name == "sitemap" and kind == "index":
                loc = _absolute(_child_text(element, "loc"), base=url)
                if loc is None:
                    skipped += 1
                else:
                    lastmod = _w3c_datetime(_child_text(element, "lastmod"))
                    refs.append(SitemapRef(url=loc, lastmod=lastmod))
            element.clear(keep_tail=False)
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]  # drop read items, so memory stays flat on 50,000 URLs
    except lxml.etree.XMLSyntaxError as exc:
        if kind is None:
            raise SitemapParseError(f"not XML: {exc}", url=url) from exc
        # recover=True read what it could; a truncated tail loses only its own items
    if kind is None:
        raise SitemapParseError("no XML root element", url=url)
    return Sitemap(url=url, kind=kind, urls=urls, sitemaps=refs, skipped=skipped)


def _url(element: lxml.etree._Element, *, base: str) -> SitemapUrl | None:
    loc = _absolute(_child_text(element, "loc"), base=base)
    if loc is None:
        return None
    news = None
    for child in element:
        if _local(child) == "news":
            news = _news(child)
            break
    return SitemapUrl(url=loc, lastmod=_w3c_datetime(_child_text(element, "lastmod")), news=news)


def _news(element: lxml.etree._Element) -> NewsInfo:
    name = language = ""
    for child in element:
        if _local(child) == "publication":
            name = _child_text(child, "name")
            language = _child_text(child, "language")
    keywords = _child_text(element, "keywords")
    return NewsInfo(
        publication_name=name,
        language=language,
        publication_date=_w3c_datetime(_child_text(element, "publication_date")),
        title=" ".join(_child_text(element, "title").split()),
        keywords=tuple(k.strip() for k in keywords.split(",") if k.strip()),
    )


def _parse_text(content: bytes, *, url: str, max_urls: int) -> Sitemap:
    """The sitemaps.org text format: one absolute URL a line, UTF-8."""
    text = content.decode("utf-8", errors="replace")
    urls: list[SitemapUrl] = []
    skipped = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        line = line.strip()
        absolute = line.lower().startswith(("http://", "https://"))  # the spec allows no other
        loc = _absolute(line, base=url) if absolute else None
        if loc is None or len(urls) >= max_urls:
            skipped += 1
        else:
            urls.append(SitemapUrl(url=loc))
    if not urls:
        raise SitemapParseError("neither XML nor a list of URLs", url=url)
    return Sitemap(url=url, kind="urlset", urls=urls, skipped=skipped)


def _gunzip(content: bytes, *, url: str, max_bytes: int) -> bytes:
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        out = inflater.decompress(content, max_bytes + 1)
    except zlib.error as exc:
        raise SitemapParseError(f"corrupt gzip: {exc}", url=url) from exc
    if len(out) > max_bytes:
        raise SitemapParseError(f"sitemap over {max_bytes} bytes once inflated", url=url)
    return out


def _local(element: lxml.etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):  # comments and processing instructions
        return ""
    return tag.rpartition("}")[2].lower()


def _child_text(element: lxml.etree._Element, name: str) -> str:
    for child in element:
        if _local(child) == name:
            return (child.text or "").strip()
    return ""


def _absolute(link: str, *, base: str) -> str | None:
    if not link:
        return None
    try:
        # Sitemap URLs are absolute by the spec: skip urljoin's cost on 50,000 of them.
        absolute = (
            link if link[:8].lower().startswith(("http://", "https://")) else urljoin(base, link)
        )
        parts = urlsplit(absolute)
    except ValueError:  # an unbalanced IPv6 bracket and the like
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return absolute


def _w3c_datetime(value: str) -> datetime | None:
    """A W3C Datetime (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or full) as aware UTC."""
    value = value.strip()
    if not value:
        return None
    if len(value) == 4 and value.isdigit():
        value += "-01-01"
    elif len(value) == 7 and value[4] == "-":
        value += "-01"
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:  # not a W3C date: the item is kept without one
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
