"""Article extraction: an HTML page in, its main text and metadata out (trafilatura).

``extract_article`` is a plain synchronous top-level function with no state of its
own, so the pipeline can run it in a ``ProcessPoolExecutor``: its arguments and
result pickle, and nothing needs resetting between calls. ``extract_articles``
does several pages in one call: a process-pool call with a 281 KiB page cost
1.4-1.6 ms of CPU (both sides) on the reference machine, a call with four of
them 0.32-0.36 ms per page. (trafilatura's own
deduplication cache is not used: ``deduplicate`` stays off.)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import lxml.html
import trafilatura
from lxml import etree

log = logging.getLogger("clarion.extract")

# Pages with less main text than this are index pages, paywall stubs or error
# pages; trafilatura's own floor (MIN_EXTRACTED_SIZE) is about this size too.
MIN_TEXT_CHARS = 250

# Meta tags that state when an article was published, most specific first.
_PUBLISHED_XPATHS = (
    '//meta[@property="article:published_time"]/@content',
    '//meta[@name="article:published_time"]/@content',
    '//meta[@itemprop="datePublished"]/@content',
    '//meta[@name="pubdate"]/@content',
    '//meta[@name="publish-date"]/@content',
    '//meta[@name="parsely-pub-date"]/@content',
    '//meta[@name="dc.date.issued"]/@content',
    '//time[@itemprop="datePublished"]/@datetime',
)
_LANGUAGE_XPATHS = (
    "/html/@lang",
    "/html/@xml:lang",
    '//meta[@http-equiv="content-language"]/@content',
    '//meta[@property="og:locale"]/@content',
)
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Extracted:
    """The main content of one page. ``text`` is never empty.

    ``published_at`` is aware UTC (a date-only value is midnight UTC);
    ``language`` is the page's declared language tag, lowercased (``"en"``,
    ``"pt-br"``), not a detection; ``canonical_url`` is absolute.
    """

    title: str
    text: str
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    language: str | None = None
    canonical_url: str | None = None
    description: str | None = None


def extract_article(html: bytes | str, *, url: str) -> Extracted | None:
    """Extract the main text and metadata of the page ``html`` fetched from ``url``.

    Returns None when the page has no main text worth a document (under
    ``MIN_TEXT_CHARS``), or is not HTML at all. Favours precision: boilerplate
    (menus, comments, related links) is left out even at the cost of a lost
    paragraph, since a brand named in a sidebar is not coverage.
    """
    tree = _parse(html)
    if tree is None:
        return None
    language = _language(tree)
    canonical = _canonical(tree, url=url)
    published = _published(tree)
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        favor_precision=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=False,
    )
    if document is None or isinstance(document, dict):
        return None
    text = (document.text or "").strip()
    if len(text) < MIN_TEXT_CHARS:
        return None
    if published is None and document.date:
        published = _parse_time(document.date)
    return Extracted(
        title=(document.title or "").strip(),
        text=text,
        authors=_authors(document.author),
        published_at=published,
        language=language,
        canonical_url=canonical,
        description=(document.description or "").strip() or None,
    )


def extract_articles(pages: Sequence[tuple[bytes | str, str]]) -> list[Extracted | None]:
    """``extract_article`` of each ``(html, url)`` in ``pages``, in order. An
    exception from one page is raised for the call (the caller may retry page by
    page to tell which one)."""
    return [extract_article(html, url=url) for html, url in pages]


# A page no site publishes, for ``warm_extraction``: its byline's date, written in
# words after a name, is one that htmldate hands to dateparser, and one that no
# locale claims at once, so dateparser compiles every locale's patterns.
_WARM_UP_PAGE = """<!doctype html><html lang="es"><head><meta charset="utf-8">
<title>Clarion: página de arranque</title></head><body><article>
<h1>Clarion: página de arranque</h1>
<p class="byline">por Clarion 1 de diciembre de 2017 3:00</p>
<p>Esta página no se publica en ningún sitio. Clarion la extrae una vez en cada proceso
de extracción cuando arranca, para que las bibliotecas preparen lo que preparan la primera
vez que lo necesitan, y ningún artículo real tenga que esperar por ello. El texto es lo
bastante largo para que el extractor lo tome por un artículo y lea también su fecha.</p>
</article></body></html>"""


def warm_extraction() -> None:
    """Extract a built-in page, so that this process's one-time set-up happens now
    rather than on the first article that needs it: above all dateparser's (through
    htmldate), which compiles patterns for every locale it knows the first time a
    date in words is not claimed by one at once, about 1.9 s of CPU on the reference
    machine. The extraction pool's initializer; it never raises (a failed initializer
    would break the pool), a failure is logged."""
    try:
        extract_article(_WARM_UP_PAGE, url="https://clarion.invalid/warm-up")
    except Exception:  # the pool must start; the first real article will tell more
        log.exception("warming the extraction worker failed")


def _parse(html: bytes | str) -> lxml.html.HtmlElement | None:
    """Parse with trafilatura's loader (charset sniffing, broken-markup recovery)."""
    tree = trafilatura.load_html(html)
    if tree is None or not isinstance(tree, lxml.html.HtmlElement):
        return None
    return tree


def _first(tree: lxml.html.HtmlElement, xpaths: tuple[str, ...]) -> str | None:
    for xpath in xpaths:
        try:
            found = tree.xpath(xpath, namespaces={"xml": "http://www.w3.org/XML/1998/namespace"})
        except etree.XPathError:  # a malformed tree cannot answer: try the next source
            continue
        for value in found if isinstance(found, list) else []:
            text = str(value).strip()
            if text:
                return text
    return None


def _language(tree: lxml.html.HtmlElement) -> str | None:
    value = _first(tree, _LANGUAGE_XPATHS)
    if value is None:
        return None
    tag = value.split(",")[0].strip()
    if not _LANGUAGE_TAG.match(tag):
        return None
    return tag.replace("_", "-").lower()


def _canonical(tree: lxml.html.HtmlElement, *, url: str) -> str | None:
    href = _first(
        tree,
        (
            '//link[@rel="canonical"]/@href',
            '//meta[@property="og:url"]/@content',
        ),
    )
    if href is None:
        return None
    absolute = urljoin(url, href)
    parts = urlsplit(absolute)
    return absolute if parts.scheme in ("http", "https") and parts.hostname else None


def _published(tree: lxml.html.HtmlElement) -> datetime | None:
    value = _first(tree, _PUBLISHED_XPATHS)
    return _parse_time(value) if value else None


def _parse_time(value: str) -> datetime | None:
    """ISO 8601 date or date-time as aware UTC (naive taken as UTC); None if unreadable."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:  # not ISO 8601: trafilatura's own date (if any) is used instead
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _authors(value: str | None) -> tuple[str, ...]:
    """trafilatura joins several authors with "; "."""
    if not value:
        return ()
    names: dict[str, None] = {}
    for name in value.split(";"):
        cleaned = " ".join(name.split())
        if cleaned:
            names.setdefault(cleaned, None)
    return tuple(names)
