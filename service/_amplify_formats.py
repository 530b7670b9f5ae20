"""``/v1/amplify`` as CSV, RSS 2.0 and Atom 1.0, built from the JSON body.

CSV: RFC 4180 (CRLF, quoted where needed), a row per candidate in rank order, lists
joined with ``"; "``; cells a spreadsheet would run as a formula (``= + - @`` first)
get a leading apostrophe, since titles and outlet names come from the open web.

Feeds: written with the standard library's ElementTree (no dependency to keep up),
one item / entry per candidate in rank order. An item's identity is stable across
refreshes (``urn:uuid`` derived from the brand and the document), so a feed reader
or a marketing tool shows a story once however often it polls; its link is the
story's URL, its time the story's publication time, its text the score and reasons
(with the outlet's name; in Atom the outlet is also the entry's author).
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from service._schemas_amplify import AmplifyCandidate, AmplifyList

__all__ = ["CSV_COLUMNS", "amplify_atom", "amplify_csv", "amplify_rss", "item_id"]

CSV_COLUMNS = (
    "rank",
    "score",
    "title",
    "url",
    "outlet",
    "channel",
    "tier",
    "audience",
    "published_at",
    "sentiment",
    "sentiment_score",
    "carried",
    "contradicted",
    "also_in",
    "reasons",
    "sentiment_component",
    "reach_component",
    "tier_component",
    "messages_component",
    "engagement_component",
    "freshness_component",
    "document_id",
    "cluster_id",
)
ATOM = "http://www.w3.org/2005/Atom"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def amplify_csv(body: AmplifyList) -> str:
    """The candidates as one CSV table (see the module docstring)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for c in body.items:
        k = c.components
        row: list[object] = [
            c.rank,
            c.score,
            c.title,
            c.url,
            c.outlet,
            c.channel,
            c.tier,
            c.audience,
            c.published_at.isoformat(),
            c.sentiment.label,
            c.sentiment.score,
            "; ".join(c.carried),
            "; ".join(c.contradicted),
            "; ".join(c.also_in),
            "; ".join(c.reasons),
            k.sentiment,
            k.reach,
            k.tier,
            k.messages,
            "" if k.engagement is None else k.engagement,
            k.freshness,
            c.document_id,
            c.cluster_id,
        ]
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def item_id(brand: str, c: AmplifyCandidate) -> str:
    """The stable identity of a candidate's feed item."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"clarion:amplify:{brand}:{c.document_id}").urn


def _title(body: AmplifyList) -> str:
    return f"Amplification candidates: {body.brand_name}"


def _summary(c: AmplifyCandidate) -> str:
    return f"#{c.rank}, score {c.score:.3f} ({c.outlet}): " + "; ".join(c.reasons) + "."


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    element.text = text
    return element


def _serialize(root: ET.Element) -> bytes:
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml


def amplify_rss(body: AmplifyList, *, self_url: str, built_at: datetime) -> bytes:
    """The candidates as an RSS 2.0 channel (UTF-8 bytes)."""
    ET.register_namespace("atom", ATOM)  # process-wide and idempotent: the prefix it writes
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    _text(channel, "title", _title(body))
    _text(channel, "link", self_url)
    _text(
        channel,
        "description",
        f"Recent earned coverage of {body.brand_name} ranked for paid amplification "
        f"(last {body.days} days), by Clarion.",
    )
    ET.SubElement(
        channel, f"{{{ATOM}}}link", {"href": self_url, "rel": "self", "type": "application/rss+xml"}
    )
    _text(channel, "lastBuildDate", format_datetime(built_at))
    _text(channel, "generator", "Clarion")
    for c in body.items:
        item = ET.SubElement(channel, "item")
        _text(item, "title", c.title or c.url)
        _text(item, "link", c.url)
        _text(item, "guid", item_id(body.brand, c), isPermaLink="false")
        _text(item, "pubDate", format_datetime(c.published_at))
        _text(item, "description", _summary(c))
        _text(item, "category", c.channel)
    return _serialize(rss)


def amplify_atom(body: AmplifyList, *, self_url: str, built_at: datetime) -> bytes:
    """The candidates as an Atom 1.0 feed (UTF-8 bytes)."""

    # Unqualified names under a root ``xmlns``: every element is in Atom's namespace.
    feed = ET.Element("feed", {"xmlns": ATOM})
    _text(feed, "id", uuid.uuid5(uuid.NAMESPACE_URL, f"clarion:amplify:{body.brand}").urn)
    _text(feed, "title", _title(body))
    _text(feed, "updated", built_at.isoformat())
    ET.SubElement(feed, "link", {"href": self_url, "rel": "self"})
    author = ET.SubElement(feed, "author")
    _text(author, "name", "Clarion")
    _text(feed, "generator", "Clarion")
    for c in body.items:
        entry = ET.SubElement(feed, "entry")
        _text(entry, "id", item_id(body.brand, c))
        _text(entry, "title", c.title or c.url)
        ET.SubElement(entry, "link", {"href": c.url, "rel": "alternate"})
        _text(entry, "published", c.published_at.isoformat())
        _text(entry, "updated", c.published_at.isoformat())
        _text(entry, "summary", _summary(c))
        ET.SubElement(entry, "category", {"term": c.channel})
        outlet = ET.SubElement(entry, "author")  # the story's outlet, not Clarion
        _text(outlet, "name", c.outlet)
    return _serialize(feed)
