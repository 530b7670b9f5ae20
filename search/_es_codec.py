"""Conversions between Clarion's nouns and Elasticsearch ``_source`` documents,
and the names of the indices they live in.

Indices (``prefix`` is the store's ``index_prefix``):

- ``{prefix}-documents-YYYY.MM`` and ``{prefix}-mentions-YYYY.MM``: one index
  per month of *counted time* (``published_at``, else ``fetched_at``), created
  on first write from the index templates in ``search/mappings``, and read
  through the patterns ``{prefix}-documents-*`` / ``{prefix}-mentions-*``
  (the templates also put every month behind the aliases ``{prefix}-documents``
  and ``{prefix}-mentions`` for people and dashboards). Why months by counted
  time rather than rollover behind a write alias: retention is "drop the
  months before X", exact in the time the metrics count in, with no ILM
  policy to keep in step; a document's index follows from its own fields, so
  an idempotent write (same ``_id``) always lands on the same index, which a
  rollover write alias cannot promise once it has rolled; and a query window
  touches only the months it covers. A month of mentions stays well under
  the ~50 GB a shard should hold up to tens of millions of mentions.
- ``{prefix}-brands``, ``{prefix}-sources``, ``{prefix}-feed-states``: small
  plain indices, keyed by id, the object stored as JSON (``body``) exactly as
  SQLite stores it (``search._sqlite_codec.to_json``).

Instants are stored as integer microseconds (``*_us``, ``long``): exact round
trips, ordering and range filters; ``counted_at`` (epoch milliseconds, floor)
only feeds ``date_histogram``, which needs a date field. Truncating to the
millisecond never moves an instant across a bucket boundary: every boundary
falls on a whole second.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from crawlers import Document
from enrichment import Mention, Sentiment, Syndication
from search._fts import index_text
from search._sqlite_codec import from_us, messages_from_json, messages_json, own_cluster, to_us
from search._store import MentionHit, StoreError

__all__ = [
    "CONFIG_KINDS",
    "checked_us",
    "config_index",
    "counted_us",
    "document_from_source",
    "document_source",
    "hit_from_source",
    "index_pattern",
    "mention_id",
    "mention_source",
    "month_index",
    "month_suffix",
]

# "url-aliases": the id of another URL a document is known by -> the document's id
# (``body``), written by ``save_document`` (see ``search.Store``).
CONFIG_KINDS = ("brands", "sources", "feed-states", "url-aliases")


def month_suffix(us: int) -> str:
    """``YYYY.MM`` of the UTC month holding ``us``; suffixes sort like their months."""
    ts = from_us(us)
    return f"{ts.year:04d}.{ts.month:02d}"


def month_index(prefix: str, kind: str, counted_us: int) -> str:
    """The monthly index of ``kind`` (``documents`` / ``mentions``) holding ``counted_us``."""
    return f"{prefix}-{kind}-{month_suffix(counted_us)}"


def index_pattern(prefix: str, kind: str) -> str:
    return f"{prefix}-{kind}-*"


def config_index(prefix: str, kind: str) -> str:
    return f"{prefix}-{kind}"


def mention_id(document_id: str, brand_id: str) -> str:
    return f"{document_id}:{brand_id}"


def counted_us(doc: Document) -> int:
    return to_us(doc.published_at if doc.published_at is not None else doc.fetched_at)


def _millis(us: int) -> int:
    return us // 1000


def document_source(
    doc: Document,
    brand_ids: list[str],
    syndication: Syndication | None = None,
    *,
    text_words: str | None = None,
) -> dict[str, Any]:
    """The ``_source`` of ``doc``; ``brand_ids`` are its mentions' brands (to replace
    them); with ``syndication``, its cluster, signature and band keys; ``text_words``:
    ``index_text(doc.text)`` when the caller has it (``search.SketchedDocument``)."""
    published = to_us(doc.published_at) if doc.published_at is not None else None
    counted = counted_us(doc)
    return {
        "id": doc.id,
        "url": doc.url,
        "source_id": doc.source_id,
        "outlet": doc.outlet,
        "domain": doc.domain,
        "channel": doc.channel,
        "country": doc.country,
        "tier": doc.tier,
        "audience": doc.audience,
        "language": doc.language,
        "title": doc.title,
        "text": doc.text,
        "title_words": index_text(doc.title),
        "text_words": index_text(doc.text) if text_words is None else text_words,
        "authors": list(doc.authors),
        "published_us": published,
        "fetched_us": to_us(doc.fetched_at),
        "counted_us": counted,
        "counted_at": _millis(counted),
        "brand_ids": brand_ids,
        "extra": dict(doc.extra),
        "cluster_id": syndication.cluster_id if syndication is not None else doc.id,
        "minhash": list(syndication.signature) if syndication is not None else [],
        "minhash_bands": list(syndication.band_keys) if syndication is not None else [],
    }


def document_from_source(src: dict[str, Any]) -> Document:
    published = src.get("published_us")
    return Document(
        id=src["id"],
        url=src["url"],
        source_id=src["source_id"],
        outlet=src["outlet"],
        domain=src["domain"],
        channel=src["channel"],
        country=src.get("country"),
        tier=src["tier"],
        audience=src["audience"],
        language=src.get("language"),
        title=src["title"],
        text=src["text"],
        authors=tuple(src.get("authors") or ()),
        published_at=from_us(published) if published is not None else None,
        fetched_at=from_us(src["fetched_us"]),
        extra=dict(src.get("extra") or {}),
    )


def mention_source(
    doc: Document, m: Mention, words: tuple[str, str], *, cluster_id: str | None = None
) -> dict[str, Any]:
    """A mention's ``_source``, with the document fields copied in; ``words`` are
    the document's ``(title_words, text_words)``; the cluster as in SQLite
    (``search._sqlite_codec.mention_values``)."""
    if m.document_id != doc.id:
        raise StoreError(f"mention of document {m.document_id!r} saved with document {doc.id!r}")
    counted = counted_us(doc)
    return {
        "document_id": doc.id,
        "brand_id": m.brand_id,
        "sentiment": m.sentiment.label,
        "score": m.sentiment.score,
        "snippets": list(m.snippets),
        "in_title": m.in_title,
        "in_lead": m.in_lead,
        "count": m.count,
        "spokespeople": list(m.spokespeople),
        "counted_us": counted,
        "counted_at": _millis(counted),
        "url": doc.url,
        "title": doc.title,
        "outlet": doc.outlet,
        "domain": doc.domain,
        "channel": doc.channel,
        "country": doc.country,
        "tier": doc.tier,
        "audience": doc.audience,
        "language": doc.language,
        "authors": list(doc.authors),
        "title_words": words[0],
        "text_words": words[1],
        "cluster_id": m.cluster_id or cluster_id or doc.id,
        "messages": json.loads(messages_json(m.messages)),
        "messages_carried": sorted({x.message for x in m.messages if x.stance == "carried"}),
        "messages_contradicted": sorted(
            {x.message for x in m.messages if x.stance == "contradicted"}
        ),
    }


def hit_from_source(src: dict[str, Any]) -> MentionHit:
    mention = Mention(
        document_id=src["document_id"],
        brand_id=src["brand_id"],
        sentiment=Sentiment(src["sentiment"], float(src["score"])),
        snippets=tuple(src.get("snippets") or ()),
        in_title=bool(src["in_title"]),
        in_lead=bool(src["in_lead"]),
        count=int(src["count"]),
        spokespeople=tuple(src.get("spokespeople") or ()),
        cluster_id=own_cluster(src["document_id"], src.get("cluster_id")),
        messages=messages_from_json(src.get("messages") or []),
    )
    return MentionHit(
        mention=mention,
        url=src["url"],
        title=src["title"],
        outlet=src["outlet"],
        domain=src["domain"],
        channel=src["channel"],
        tier=int(src["tier"]),
        audience=int(src["audience"]),
        language=src.get("language"),
        published_at=from_us(int(src["counted_us"])),
    )


def checked_us(ts: datetime | None) -> int | None:
    """``to_us`` of an optional instant (naive instants raise ``StoreError``)."""
    return None if ts is None else to_us(ts)
