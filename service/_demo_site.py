"""The demo publisher: real article pages, and feeds over them, served on 127.0.0.1.

``clarion demo`` and the end-to-end tests run this site and point Clarion at it, so
that the whole pipeline runs on real pages with no internet. The pages are copies of
two public extraction data sets (``service/demo/README.md``); each outlet (an original
domain) gets a feed listing its pages with demo publication times, ``now`` minus the
page's offset in ``service/demo/index.json``.

Routes::

    GET /                                  HTML index of outlets, feeds and articles
    GET /<outlet>/feed.xml                 RSS 2.0
    GET /<outlet>/atom.xml                 Atom 1.0
    GET /<outlet>/feed.json                JSON Feed 1.1
    GET /<outlet>/<article>.html           the original page, as captured
    anything else                          404

Feeds carry ``ETag`` and ``Last-Modified`` and answer conditional requests with 304.
Links in feeds use the host the request came to, so the site works on any port.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import yaml
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

__all__ = ["DEMO_DIR", "create_demo_site", "demo_config"]

DEMO_DIR = Path(__file__).resolve().parent / "demo"
"""The bundle: ``index.json``, ``pages/*.html.gz``, ``clarion-demo.yaml``."""

BASE_URL_PLACEHOLDER = "{base_url}"
ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
FEED_TYPES = {
    "feed.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
}
FEED_PATHS = {"rss": "feed.xml", "atom": "atom.xml", "json": "feed.json"}
# Feeds may be cached briefly: the demo is static for the life of the process, and a
# short max-age still lets a restarted site (new "now") be seen within a poll or two.
FEED_MAX_AGE = 60


@dataclass(frozen=True, slots=True)
class _Page:
    id: str
    file: Path
    slug: str
    title: str
    description: str
    author: str | None
    language: str
    original_url: str
    published: datetime

    def guid(self) -> str:
        # Stable across hosts and ports, unlike the page URL.
        return f"urn:clarion-demo:page:{self.id}"


@dataclass(frozen=True, slots=True)
class _Outlet:
    slug: str
    name: str
    domain: str
    language: str
    feed_path: str
    pages: tuple[_Page, ...]  # newest first

    @property
    def last_modified(self) -> datetime:
        return self.pages[0].published


def _load_outlets(directory: Path, now: datetime) -> dict[str, _Outlet]:
    records: list[dict[str, Any]] = json.loads((directory / "index.json").read_text("utf-8"))
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        grouped.setdefault(record["outlet_slug"], []).append(record)
    outlets: dict[str, _Outlet] = {}
    for slug, group in sorted(grouped.items()):
        pages = [
            _Page(
                id=r["id"],
                file=directory / r["file"],
                slug=r["slug"],
                title=r["title"],
                description=r["description"],
                author=r["author"],
                language=r["language"],
                original_url=r["original_url"],
                published=now - timedelta(hours=r["published_offset_hours"]),
            )
            for r in group
        ]
        first = group[0]
        outlets[slug] = _Outlet(
            slug=slug,
            name=first["outlet"],
            domain=first["domain"],
            language=first["outlet_language"],
            feed_path=FEED_PATHS[first["feed_format"]],
            pages=tuple(sorted(pages, key=lambda p: p.published, reverse=True)),
        )
    return outlets


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _rss(outlet: _Outlet, base: str) -> bytes:
    # Prefixes written literally: ET.register_namespace would change a process-wide registry.
    rss = ET.Element("rss", {"version": "2.0", "xmlns:dc": DC_NS})
    channel = ET.SubElement(rss, "channel")
    for tag, text in (
        ("title", outlet.name),
        ("link", f"{base}/{outlet.slug}/"),
        ("description", f"Demo feed of {outlet.name} ({outlet.domain}) pages"),
        ("language", outlet.language),
        ("lastBuildDate", format_datetime(outlet.last_modified, usegmt=True)),
    ):
        ET.SubElement(channel, tag).text = text
    for page in outlet.pages:
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = page.title
        ET.SubElement(item, "link").text = f"{base}/{outlet.slug}/{page.slug}.html"
        ET.SubElement(item, "description").text = page.description
        ET.SubElement(item, "pubDate").text = format_datetime(page.published, usegmt=True)
        ET.SubElement(item, "guid", isPermaLink="false").text = page.guid()
        if page.author:
            ET.SubElement(item, "dc:creator").text = page.author
    return bytes(ET.tostring(rss, encoding="utf-8", xml_declaration=True))


def _atom(outlet: _Outlet, base: str) -> bytes:
    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, tag, attrs)
        element.text = text
        return element

    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    sub(feed, "id", f"urn:clarion-demo:outlet:{outlet.slug}")
    sub(feed, "title", outlet.name)
    sub(feed, "updated", _iso(outlet.last_modified))
    sub(feed, "link", href=f"{base}/{outlet.slug}/")
    sub(feed, "link", rel="self", href=f"{base}/{outlet.slug}/atom.xml")
    sub(sub(feed, "author"), "name", outlet.name)
    for page in outlet.pages:
        entry = sub(feed, "entry")
        sub(entry, "id", page.guid())
        sub(entry, "title", page.title)
        sub(entry, "link", rel="alternate", href=f"{base}/{outlet.slug}/{page.slug}.html")
        sub(entry, "published", _iso(page.published))
        sub(entry, "updated", _iso(page.published))
        sub(entry, "summary", page.description)
        if page.author:
            sub(sub(entry, "author"), "name", page.author)
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


def _json_feed(outlet: _Outlet, base: str) -> bytes:
    items = []
    for page in outlet.pages:
        item: dict[str, Any] = {
            "id": page.guid(),
            "url": f"{base}/{outlet.slug}/{page.slug}.html",
            "title": page.title,
            "summary": page.description,
            "content_text": page.description,
            "date_published": _iso(page.published),
            "language": page.language,
        }
        if page.author:
            item["authors"] = [{"name": page.author}]
        items.append(item)
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": outlet.name,
        "home_page_url": f"{base}/{outlet.slug}/",
        "feed_url": f"{base}/{outlet.slug}/feed.json",
        "language": outlet.language,
        "items": items,
    }
    return json.dumps(feed, ensure_ascii=False, indent=1).encode("utf-8")


_RENDERERS: dict[str, Callable[[_Outlet, str], bytes]] = {
    "feed.xml": _rss,
    "atom.xml": _atom,
    "feed.json": _json_feed,
}


def _not_modified(request: Request, etag: str, last_modified: datetime) -> bool:
    """RFC 9110 §13.2.2: If-None-Match wins; If-Modified-Since only without it."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an unparsable date is ignored, as the RFC says
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) <= since


def _index_html(outlets: dict[str, _Outlet]) -> str:
    esc = html.escape
    parts = [
        "<!doctype html><html lang=en><meta charset=utf-8>",
        "<title>Clarion demo publisher</title><h1>Clarion demo publisher</h1>",
        "<p>Real article pages from public extraction benchmarks, served locally with demo ",
        "publication dates. Page contents belong to their publishers.</p>",
    ]
    for outlet in outlets.values():
        parts.append(
            f"<h2>{esc(outlet.name)} <small>({esc(outlet.domain)})</small></h2>"
            f'<p><a href="/{outlet.slug}/feed.xml">RSS</a> · '
            f'<a href="/{outlet.slug}/atom.xml">Atom</a> · '
            f'<a href="/{outlet.slug}/feed.json">JSON Feed</a> '
            f"<small>(the demo source polls {outlet.feed_path})</small></p><ul>"
        )
        for page in outlet.pages:
            parts.append(
                f'<li><a href="/{outlet.slug}/{page.slug}.html">{esc(page.title)}</a> '
                f"<small>{_iso(page.published)} · original: {esc(page.original_url)}</small>"
            )
        parts.append("</ul>")
    return "\n".join(parts) + "\n"


def create_demo_site(*, now: datetime | None = None, directory: Path = DEMO_DIR) -> Starlette:
    """The demo publisher as an ASGI app; feed dates are ``now`` minus each page's offset.

    ``now`` defaults to the current hour (UTC, truncated), so feeds, their ETags and
    Last-Modified stay the same across restarts within the hour. The index is read
    here, once; pages are read from ``directory`` when requested.
    """
    if now is None:
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    elif now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    outlets = _load_outlets(directory, now)
    pages = {(o.slug, p.slug): p for o in outlets.values() for p in o.pages}
    index = _index_html(outlets)

    def outlet_of(request: Request) -> _Outlet:
        outlet = outlets.get(request.path_params["outlet"])
        if outlet is None:
            raise HTTPException(404, "no such outlet")
        return outlet

    async def home(request: Request) -> Response:
        return HTMLResponse(index)

    async def feed(request: Request) -> Response:
        outlet = outlet_of(request)
        name = request.url.path.rsplit("/", 1)[1]
        body = _RENDERERS[name](outlet, str(request.base_url).rstrip("/"))
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {
            "ETag": etag,
            "Last-Modified": format_datetime(outlet.last_modified, usegmt=True),
            "Cache-Control": f"max-age={FEED_MAX_AGE}",
        }
        if _not_modified(request, etag, outlet.last_modified):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=FEED_TYPES[name], headers=headers)

    def article(request: Request) -> Response:  # sync: file I/O runs in the threadpool
        page = pages.get((request.path_params["outlet"], request.path_params["article"]))
        if page is None:
            raise HTTPException(404, "no such article")
        body = gzip.decompress(page.file.read_bytes())
        headers = {"Last-Modified": format_datetime(page.published, usegmt=True)}
        return Response(body, media_type="text/html; charset=utf-8", headers=headers)

    routes = [Route("/", home)]
    routes += [Route(f"/{{outlet}}/{name}", feed) for name in FEED_TYPES]
    routes.append(Route("/{outlet}/{article}.html", article))
    return Starlette(routes=routes)


def demo_config(base_url: str, *, directory: Path = DEMO_DIR) -> dict[str, Any]:
    """The demo's brands and sources as plain data, feeds on ``base_url``.

    The same shape as Clarion's YAML config file: ``{"brands": [...], "sources": [...]}``;
    it is ``clarion-demo.yaml`` with ``{base_url}`` filled in.
    """
    base = base_url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
    text = (directory / "clarion-demo.yaml").read_text("utf-8")
    config: dict[str, Any] = yaml.safe_load(text)
    for source in config["sources"]:
        source["url"] = source["url"].replace(BASE_URL_PLACEHOLDER, base)
    return config
