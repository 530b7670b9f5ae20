"""OPML source lists (OPML 1.0 and 2.0): import and export, without I/O.

``parse_opml`` reads the nested ``<outline>`` tree that feed readers export;
``feed_outlines`` flattens it to the outlines that are feeds (with ``xmlUrl``),
their folder path as categories; ``source_from_outline`` makes a ``Source`` of one.
``write_opml`` writes sources as OPML 2.0 that feed readers import, one folder per
channel, and that ``parse_opml`` reads back to the same sources.

Clarion's fields go where OPML has a place for them (``text``/``title`` = outlet,
``xmlUrl`` = url, ``htmlUrl`` = https://domain/, ``language``, ``category`` =
/channel), and the rest in attributes of Clarion's own namespace, which OPML 2.0
allows and readers ignore::

    xmlns:clarion="https://github.com/clarion-media/clarion/opml"
    clarion:id  clarion:kind  clarion:channel  clarion:tier  clarion:audience
    clarion:country  clarion:domain  clarion:enabled
    clarion:platform  clarion:target           (social sources; their xmlUrl is the API base)

Entities are never resolved and no DTD or network is read (no XXE).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

import lxml.etree

from crawlers._errors import OpmlParseError
from crawlers._types import (
    CHANNELS,
    SOCIAL_PLATFORMS,
    SOURCE_KINDS,
    Channel,
    SocialPlatform,
    Source,
    SourceKind,
)

CLARION_NS = "https://github.com/clarion-media/clarion/opml"
_CLARION_FIELDS = (
    "id", "kind", "channel", "tier", "audience", "country", "domain", "enabled", "platform",
    "target",
)  # fmt: skip
# Source ids are short slugs: what ``source_from_outline`` derives when none is given.
_SLUG = re.compile(r"[^a-z0-9]+")
# Longest derived id: readable in the API and logs, unique enough with the path.
MAX_DERIVED_ID = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class OpmlOutline:
    """One ``<outline>``: a feed when ``xml_url`` is set, else a folder of ``children``.

    ``title`` is the ``title`` attribute, else ``text``. ``categories`` are the
    ``category`` attribute's entries (comma-separated, "/"-paths kept as written).
    ``attributes`` holds every attribute (Clarion's as ``clarion:<name>``).
    """

    title: str
    xml_url: str | None = None
    html_url: str | None = None
    type: str | None = None
    language: str | None = None
    categories: tuple[str, ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)
    children: tuple[OpmlOutline, ...] = ()


def parse_opml(content: bytes, *, url: str = "") -> list[OpmlOutline]:
    """The top-level outlines of the OPML document ``content`` (``url`` names it in errors).

    Attribute names are matched case-insensitively (``xmlUrl``, ``xmlurl``). Raises
    ``OpmlParseError`` when the content is not XML with an ``<opml>`` root and a body.
    """
    parser = lxml.etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
    )
    try:
        root = lxml.etree.fromstring(content, parser=parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise OpmlParseError(f"not XML: {exc}", url=url) from exc
    if root is None or _local(root) != "opml":
        raise OpmlParseError("not OPML: no <opml> root element", url=url)
    body = next((child for child in root if _local(child) == "body"), None)
    if body is None:
        raise OpmlParseError("OPML without a <body>", url=url)
    return [_outline(child) for child in body if _local(child) == "outline"]


def feed_outlines(outlines: Sequence[OpmlOutline]) -> list[OpmlOutline]:
    """Every outline with an ``xmlUrl``, depth first, each with its folder path added
    to its ``categories`` (as "/Folder/Subfolder", the OPML category form)."""
    found: list[OpmlOutline] = []

    def walk(items: Sequence[OpmlOutline], path: str) -> None:
        for item in items:
            if item.xml_url:
                extra = (path,) if path and path not in item.categories else ()
                found.append(_with_categories(item, item.categories + extra))
            walk(item.children, f"{path}/{item.title}" if not item.xml_url else path)

    walk(outlines, "")
    return found


def source_from_outline(outline: OpmlOutline) -> Source:
    """A ``Source`` from a feed outline; Clarion's attributes win over derived values.

    Without ``clarion:channel``, a category naming a channel ("/blog") gives it.
    Unusable values (a tier that is not a number) fall back to the ``Source``
    defaults. Raises ``ValueError`` when the outline has no ``xmlUrl``.
    """
    if not outline.xml_url:
        raise ValueError(f"outline {outline.title!r} has no xmlUrl")
    attrs = outline.attributes
    defaults = Source(id="-", url=outline.xml_url, outlet="-")
    channel = _channel(attrs.get("clarion:channel"), outline.categories)
    kind = _kind(attrs.get("clarion:kind", "feed"))
    platform = _platform(attrs.get("clarion:platform")) if kind == "social" else None
    domain = attrs.get("clarion:domain") or _host(outline.html_url) or _host(outline.xml_url)
    return Source(
        id=attrs.get("clarion:id") or _derived_id(outline.xml_url),
        url=outline.xml_url,
        outlet=outline.title or domain or outline.xml_url,
        domain=domain or "",
        kind=kind,
        channel=channel,
        country=attrs.get("clarion:country") or None,
        language=outline.language or None,
        tier=_int(attrs.get("clarion:tier"), defaults.tier),
        audience=_int(attrs.get("clarion:audience"), defaults.audience),
        enabled=attrs.get("clarion:enabled", "true").lower() != "false",
        platform=platform,
        target=attrs.get("clarion:target", "") if platform else "",
    )


def write_opml(
    sources: Sequence[Source], *, title: str, date_created: datetime | None = None
) -> bytes:
    """OPML 2.0 bytes (UTF-8) listing ``sources``, in one folder per channel.

    ``date_created`` (aware) becomes ``<dateCreated>``; omitted, the document has
    none, so the same sources always give the same bytes.
    """
    nsmap = {"clarion": CLARION_NS}
    root = lxml.etree.Element("opml", nsmap=nsmap)
    root.set("version", "2.0")
    head = lxml.etree.SubElement(root, "head")
    lxml.etree.SubElement(head, "title").text = title
    if date_created is not None:
        lxml.etree.SubElement(head, "dateCreated").text = format_datetime(date_created)
    body = lxml.etree.SubElement(root, "body")
    for channel in CHANNELS:
        members = [s for s in sources if s.channel == channel]
        if not members:
            continue
        folder = lxml.etree.SubElement(body, "outline")
        folder.set("text", channel)
        folder.set("title", channel)
        for source in members:
            _write_source(lxml.etree.SubElement(folder, "outline"), source)
    return bytes(
        lxml.etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    )


def _write_source(element: lxml.etree._Element, source: Source) -> None:
    # A social source's xmlUrl is an API base, not a feed: a type readers skip.
    element.set("type", "clarion-social" if source.kind == "social" else "rss")
    element.set("text", source.outlet)
    element.set("title", source.outlet)
    element.set("xmlUrl", source.url)
    if source.domain:
        element.set("htmlUrl", f"https://{source.domain}/")
    if source.language:
        element.set("language", source.language)
    element.set("category", f"/{source.channel}")
    values = {
        "id": source.id,
        "kind": source.kind,
        "channel": source.channel,
        "tier": str(source.tier),
        "audience": str(source.audience),
        "country": source.country or "",
        "domain": source.domain,
        "enabled": "true" if source.enabled else "false",
        "platform": source.platform or "",
        "target": source.target,
    }
    for name in _CLARION_FIELDS:
        if values[name]:
            element.set(f"{{{CLARION_NS}}}{name}", values[name])


def _outline(element: lxml.etree._Element) -> OpmlOutline:
    attrs: dict[str, str] = {}
    for key, value in element.attrib.items():
        name = str(key)
        if name.startswith(f"{{{CLARION_NS}}}"):
            name = "clarion:" + name.rpartition("}")[2]
        elif name.startswith("{"):
            continue  # another vocabulary's attribute
        attrs[name] = " ".join(str(value).split())
    lowered = {k.lower(): v for k, v in attrs.items()}
    categories = tuple(c.strip() for c in lowered.get("category", "").split(",") if c.strip())
    return OpmlOutline(
        title=lowered.get("title") or lowered.get("text") or "",
        xml_url=lowered.get("xmlurl") or None,
        html_url=lowered.get("htmlurl") or None,
        type=lowered.get("type") or None,
        language=lowered.get("language") or None,
        categories=categories,
        attributes=attrs,
        children=tuple(_outline(child) for child in element if _local(child) == "outline"),
    )


def _with_categories(outline: OpmlOutline, categories: tuple[str, ...]) -> OpmlOutline:
    return OpmlOutline(
        title=outline.title,
        xml_url=outline.xml_url,
        html_url=outline.html_url,
        type=outline.type,
        language=outline.language,
        categories=categories,
        attributes=outline.attributes,
        children=outline.children,
    )


def _channel(explicit: str | None, categories: tuple[str, ...]) -> Channel:
    for candidate in (explicit, *categories):
        if candidate:
            name = candidate.strip("/").rpartition("/")[2].lower().replace(" ", "_")
            for channel in CHANNELS:
                if name == channel:
                    return channel
    return "news"


def _kind(value: str) -> SourceKind:
    for kind in SOURCE_KINDS:
        if value == kind:
            return kind
    return "feed"


def _platform(value: str | None) -> SocialPlatform | None:
    for platform in SOCIAL_PLATFORMS:
        if value == platform:
            return platform
    return None  # unknown: a social source without one is refused where it is validated


def _derived_id(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    slug = _SLUG.sub("-", f"{host}{parts.path}".lower()).strip("-")
    return slug[:MAX_DERIVED_ID].rstrip("-") or "source"


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:  # an unbalanced IPv6 bracket: no domain
        return None
    return host.removeprefix("www.") if host else None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:  # "n/a" and the like: the default, not a failed import
        return default


def _local(element: lxml.etree._Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2].lower() if isinstance(tag, str) else ""
