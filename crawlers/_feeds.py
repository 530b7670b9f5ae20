"""Feed parsing: RSS 0.9x/1.0/2.0 and Atom (feedparser), JSON Feed 1/1.1 (json).

``parse_feed`` is pure (no I/O) and returns ``FeedEntry`` values ready for the
pipeline: absolute http(s) URLs, aware UTC times, plain-text titles and summaries.
"""

from __future__ import annotations

import email.utils
import html.parser
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import struct_time
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import feedparser.api

from crawlers._errors import FeedParseError
from crawlers._types import FeedEntry

JSON_FEED_VERSION_PREFIX = "https://jsonfeed.org/version/"

# feedparser asks xml.sax for the libxml2 driver first: parsing would then depend on
# what else is installed, and the driver is outdated (feedparser issue #506). Every
# feed goes through the standard library's expat, which also spares a failed import
# per parse.
feedparser.api.PREFERRED_XML_PARSERS = []

# An element's base URI (``xml:base``, or ``base`` to feedparser's loose parser).
# Without one in a feed, feedparser is not given the feed's URL: it would resolve
# the document base against it at every start tag (a quarter of parsing a small
# feed), and this module resolves every link it keeps against the URL itself.
_ELEMENT_BASE = re.compile(rb"base", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedFeed:
    """A feed's own fields and its entries, in feed order.

    ``hub_url`` is the WebSub hub the feed advertises, if any (the first of
    ``hub_urls``, every hub it names, in order), and ``self_url`` its own canonical
    URL (``rel="self"``, JSON Feed ``feed_url``), the WebSub topic.
    ``skipped_entries`` counts entries dropped for having no usable http(s) link.
    """

    title: str
    link: str | None
    entries: list[FeedEntry] = field(default_factory=list)
    hub_url: str | None = None
    self_url: str | None = None
    skipped_entries: int = 0
    hub_urls: tuple[str, ...] = ()


def parse_feed(content: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse ``content`` fetched from ``url`` (``content_type`` = the response header).

    The charset comes from the Content-Type header, then the XML declaration,
    then feedparser's guesses, so a feed in ISO-8859-1 with no declaration is read,
    not refused. Entry URLs are resolved against ``url``; entries without one are
    skipped. Raises ``FeedParseError`` when the content is not a feed at all (an
    HTML page, an error document, garbage) or is a JSON document but not a JSON Feed.
    """
    if _looks_like_json(content, content_type):
        return _parse_json_feed(content, url=url)
    parsed = feedparser_document(content, url=url, content_type=content_type)
    feed = parsed.get("feed", {})
    entries: list[FeedEntry] = []
    skipped = 0
    for raw in parsed.get("entries", []):
        entry = _xml_entry(raw, feed_url=url)
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    hubs = _hubs(link.get("href") for link in feed.get("links", []) if link.get("rel") == "hub")
    selves = (link.get("href") for link in feed.get("links", []) if link.get("rel") == "self")
    return ParsedFeed(
        title=html_to_text(feed.get("title", "")),
        link=_absolute(feed.get("link"), base=url),
        entries=entries,
        hub_url=_first(hubs, base=url),
        hub_urls=_all(hubs, base=url),
        self_url=_absolute(next(selves, None), base=url),
        skipped_entries=skipped,
    )


def feedparser_document(
    content: bytes, *, url: str, content_type: str | None = None
) -> dict[str, Any]:
    """feedparser's reading of an RSS, RDF or Atom document fetched from ``url``.

    Raises ``FeedParseError`` when ``content`` is none of them. feedparser resolves
    relative links only in a feed that mentions a base (``xml:base``); in others they
    stay relative: callers resolve what they keep against ``url``.
    """
    headers = {"content-location": url} if _ELEMENT_BASE.search(content) else {}
    if content_type:
        headers["content-type"] = content_type
    # A stream, not bytes: feedparser would first try bytes as a file name to open.
    parsed: dict[str, Any] = feedparser.parse(
        io.BytesIO(content), response_headers=headers, sanitize_html=False
    )
    if not parsed.get("version"):
        reason = parsed.get("bozo_exception") or "no RSS, RDF or Atom root element"
        raise FeedParseError(f"not a feed: {reason}", url=url)
    return parsed


def html_to_text(markup: str) -> str:
    """Text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed.

    Block elements and ``<br>`` become spaces, so paragraphs do not run together;
    ``<script>`` and ``<style>`` contents are dropped. Plain text passes unchanged
    (apart from whitespace).
    """
    if "<" not in markup and "&" not in markup:
        return " ".join(markup.split())
    stripper = _TextOnly()
    stripper.feed(markup)
    stripper.close()
    return " ".join("".join(stripper.parts).split())


class _TextOnly(html.parser.HTMLParser):
    _BLOCKS = frozenset(
        "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4"
        " h5 h6 header hr li main nav ol p pre section table td th tr ul".split()
    )
    _HIDDEN = frozenset({"script", "style", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _xml_entry(raw: dict[str, Any], *, feed_url: str) -> FeedEntry | None:
    # feedparser's dict maps some missing keys to others with a DeprecationWarning
    # ("updated" to "published"); plain dict access reads only what the entry has.
    def get(key: str) -> Any:
        return dict.get(raw, key)

    # FeedBurner rewrites links through its tracker and keeps the real one here.
    link = _absolute(get("feedburner_origlink") or get("link"), base=feed_url)
    if link is None:
        return None
    summary = get("summary") or ""
    content = get("content")
    if not summary and isinstance(content, list) and content:
        summary = content[0].get("value", "")
    published = _from_struct(get("published_parsed") or get("updated_parsed"))
    if published is None:
        published = _from_localized_rfc822(get("published") or get("updated"))
    authors = get("authors") or []
    return FeedEntry(
        url=link,
        title=html_to_text(get("title") or ""),
        summary=html_to_text(summary if isinstance(summary, str) else ""),
        authors=_unique(a.get("name", "") for a in authors if isinstance(a, dict))
        or _unique([get("author")]),
        published_at=published,
        guid=get("id") or None,
        updated_at=_from_struct(get("updated_parsed")),
    )


def _looks_like_json(content: bytes, content_type: str | None) -> bool:
    if content_type and "json" in content_type.lower():
        return True
    return content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def _parse_json_feed(content: bytes, *, url: str) -> ParsedFeed:
    try:
        document = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedParseError(f"not JSON: {exc}", url=url) from exc
    if not isinstance(document, dict):
        raise FeedParseError("JSON but not a JSON Feed object", url=url)
    version = document.get("version")
    items = document.get("items")
    if not (isinstance(version, str) and version.startswith(JSON_FEED_VERSION_PREFIX)):
        raise FeedParseError(f"JSON but not a JSON Feed (version {version!r})", url=url)
    if not isinstance(items, list):
        raise FeedParseError("JSON Feed without an items list", url=url)
    feed_authors = _json_authors(document)
    entries: list[FeedEntry] = []
    skipped = 0
    for item in items:
        entry = _json_entry(item, feed_url=url, feed_authors=feed_authors)
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    listed = document.get("hubs")
    hubs: list[str] = []
    if isinstance(listed, list):
        hubs = _hubs(h.get("url") for h in listed if isinstance(h, dict))
    return ParsedFeed(
        title=html_to_text(_string(document.get("title"))),
        link=_absolute(document.get("home_page_url"), base=url),
        entries=entries,
        hub_url=_first(hubs, base=url),
        hub_urls=_all(hubs, base=url),
        self_url=_absolute(document.get("feed_url"), base=url),
        skipped_entries=skipped,
    )


def _json_entry(item: object, *, feed_url: str, feed_authors: tuple[str, ...]) -> FeedEntry | None:
    if not isinstance(item, dict):
        return None
    link = _absolute(item.get("url") or item.get("external_url"), base=feed_url)
    if link is None:
        return None
    summary = _string(item.get("summary")) or _string(item.get("content_text"))
    if not summary:
        summary = _string(item.get("content_html"))
    published = _from_iso(item.get("date_published")) or _from_iso(item.get("date_modified"))
    guid = item.get("id")
    return FeedEntry(
        url=link,
        title=html_to_text(_string(item.get("title"))),
        summary=html_to_text(summary),
        authors=_json_authors(item) or feed_authors,
        published_at=published,
        guid=str(guid) if guid is not None and guid != "" else None,
        updated_at=_from_iso(item.get("date_modified")),
    )


def _json_authors(obj: Mapping[str, Any]) -> tuple[str, ...]:
    """Authors of a JSON Feed or item: ``authors`` (1.1) or ``author`` (1.0)."""
    raw = obj.get("authors")
    if not isinstance(raw, list):
        raw = [obj.get("author")]
    return _unique(a.get("name", "") for a in raw if isinstance(a, dict))


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _unique(names: Iterable[object]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for name in names:
        if isinstance(name, str):
            text = html_to_text(name)
            if text:
                seen.setdefault(text, None)
    return tuple(seen)


def _absolute(link: object, *, base: str) -> str | None:
    """``link`` resolved against ``base`` if it is an http(s) URL with a host, else None."""
    if not isinstance(link, str) or not link.strip():
        return None
    try:
        absolute = urljoin(base, link.strip())
        parts = urlsplit(absolute)
    except ValueError:  # e.g. an unbalanced IPv6 bracket: no usable link
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return absolute


def _from_struct(value: object) -> datetime | None:
    """feedparser's UTC ``struct_time`` as an aware datetime; None if out of range."""
    if not isinstance(value, struct_time):
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except ValueError:  # year 0 and friends: feedparser accepts what datetime cannot
        return None


# Month abbreviations of non-English RFC 822 dates seen in real feeds (UOL writes
# "Seg, 24 Set 2018 19:42:40 -0300"), mapped to English: pt, es, de, fr, it, nl.
# fmt: off
_MONTHS = {
    "fev": "Feb", "abr": "Apr", "mai": "May", "ago": "Aug", "set": "Sep", "out": "Oct",
    "dez": "Dec", "ene": "Jan", "dic": "Dec", "mär": "Mar", "mrz": "Mar", "okt": "Oct",
    "janv": "Jan", "févr": "Feb", "fevr": "Feb", "mars": "Mar", "avr": "Apr", "juin": "Jun",
    "juil": "Jul", "août": "Aug", "aout": "Aug", "sept": "Sep", "déc": "Dec", "gen": "Jan",
    "mag": "May", "giu": "Jun", "lug": "Jul", "ott": "Oct", "mei": "May", "mrt": "Mar",
}
# fmt: on
_RFC822_LOOSE = re.compile(r"^(?:[^\W\d]+\.?,\s*)?(\d{1,2})\s+([^\W\d]+)\.?\s+(.*)$")


def _from_localized_rfc822(value: object) -> datetime | None:
    """An RFC 822 date with localized day and month names, as aware UTC; None if not one."""
    if not isinstance(value, str):
        return None
    match = _RFC822_LOOSE.match(value.strip())
    if match is None:
        return None
    day, month, rest = match.groups()
    month = _MONTHS.get(month.lower(), month[:3].title())
    try:
        parsed = email.utils.parsedate_to_datetime(f"{day} {month} {rest}")
    except (TypeError, ValueError):  # still not a date: the entry is kept without one
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


_ZULU = re.compile(r"[zZ]$")


def _from_iso(value: object) -> datetime | None:
    """An RFC 3339 time (JSON Feed dates) as aware UTC; naive times are taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(_ZULU.sub("+00:00", value.strip()))
    except ValueError:  # not RFC 3339: the entry is kept without a date
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _hubs(values: Iterable[object]) -> list[str]:
    """The non-empty string hub URLs among ``values``, in order."""
    return [v for v in values if isinstance(v, str) and v]


def _all(hubs: list[str], *, base: str) -> tuple[str, ...]:
    """``hubs`` made absolute, unusable and repeated ones left out, in order."""
    absolute = (_absolute(h, base=base) for h in hubs)
    return tuple(dict.fromkeys(h for h in absolute if h is not None))


def _first(hubs: list[str], *, base: str) -> str | None:
    return next(iter(_all(hubs, base=base)), None)
