"""Conversions between Clarion's nouns and SQLite rows, and the paging cursor.

Instants are stored as integer microseconds since the Unix epoch (UTC): exact
round trips, ordering and range filters in plain integer arithmetic, and no
time zone in the database. Brands, sources and feed states are stored as JSON
objects, so that a new optional field needs no migration (missing keys take
the dataclass default, unknown keys are ignored).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from crawlers import Document, FeedState, Source, document_id
from enrichment import Brand, Mention, MessageMatch, Sentiment
from search._store import InvalidCursor, MentionFilter, MentionHit, StoreError

__all__ = [
    "DOCUMENT_COLUMNS",
    "MENTION_COLUMNS",
    "Key",
    "alias_id",
    "brand_from_json",
    "decode_cursor",
    "document_from_row",
    "document_values",
    "encode_cursor",
    "feed_state_from_json",
    "filter_fingerprint",
    "from_us",
    "hit_from_row",
    "mention_values",
    "messages_from_json",
    "messages_json",
    "own_cluster",
    "source_from_json",
    "to_json",
    "to_us",
    "updated_stamp",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)

T = TypeVar("T")


def to_us(ts: datetime) -> int:
    """Microseconds since the epoch; a naive datetime is rejected (``StoreError``)."""
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise StoreError(f"naive datetime {ts.isoformat()}: times must be timezone-aware")
    return (ts - _EPOCH) // _US


def from_us(us: int) -> datetime:
    """The aware UTC datetime of ``to_us``."""
    return _EPOCH + us * _US


# --- configuration: JSON objects -------------------------------------------------


def to_json(obj: Brand | Source | FeedState) -> str:
    """A dataclass as a JSON object: tuples as arrays, datetimes as ISO 8601 (UTC)."""
    out: dict[str, object] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, datetime):
            value = from_us(to_us(value)).isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return json.dumps(out, ensure_ascii=False, sort_keys=True)


def _known(cls: type[T], raw: str) -> dict[str, Any]:
    data = json.loads(raw)
    names = {f.name for f in dataclasses.fields(cast(Any, cls))}
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}


def brand_from_json(raw: str) -> Brand:
    return Brand(**_known(Brand, raw))


def source_from_json(raw: str) -> Source:
    return Source(**_known(Source, raw))


# FeedState's datetime fields (annotations are strings under ``from __future__``), read
# from the class so that a new time field round-trips without a change here.
_FEED_STATE_TIMES = tuple(
    f.name for f in dataclasses.fields(FeedState) if "datetime" in str(f.type)
)


def feed_state_from_json(raw: str) -> FeedState:
    data = _known(FeedState, raw)
    for name in _FEED_STATE_TIMES:
        if data.get(name) is not None:
            data[name] = datetime.fromisoformat(data[name]).astimezone(UTC)
    return FeedState(**data)


# --- documents and mentions ------------------------------------------------------


def alias_id(doc: Document) -> str | None:
    """The id under which ``doc`` is also known: its ``extra["entry_url"]``'s, when that
    differs from ``doc.id`` (see the store contract); None otherwise or when unusable."""
    entry_url = doc.extra.get("entry_url")
    if not entry_url:
        return None
    try:
        alias = document_id(entry_url)
    except ValueError:  # not an http(s) URL: nothing to look it up by
        return None
    return alias if alias != doc.id else None


def updated_stamp(raw: object) -> datetime | None:
    """A stored ``extra["updated_at"]`` as aware UTC; None when absent or unreadable."""
    if not isinstance(raw, str) or not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:  # written by hand or by an older Clarion: no stamp
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


DOCUMENT_COLUMNS = (
    "id, url, source_id, outlet, domain, channel, country, tier, audience, language, "
    "title, text, authors, published_us, fetched_us, counted_us, extra"
)


def document_values(doc: Document) -> tuple[object, ...]:
    """The values of ``DOCUMENT_COLUMNS`` for ``doc`` (``counted_us`` per the contract)."""
    published = to_us(doc.published_at) if doc.published_at is not None else None
    fetched = to_us(doc.fetched_at)
    return (
        doc.id,
        doc.url,
        doc.source_id,
        doc.outlet,
        doc.domain,
        doc.channel,
        doc.country,
        doc.tier,
        doc.audience,
        doc.language,
        doc.title,
        doc.text,
        json.dumps(list(doc.authors), ensure_ascii=False),
        published,
        fetched,
        published if published is not None else fetched,
        json.dumps(doc.extra, ensure_ascii=False, sort_keys=True),
    )


def document_from_row(row: sqlite3.Row) -> Document:
    return Document(
        id=row["id"],
        url=row["url"],
        source_id=row["source_id"],
        outlet=row["outlet"],
        domain=row["domain"],
        channel=row["channel"],
        country=row["country"],
        tier=row["tier"],
        audience=row["audience"],
        language=row["language"],
        title=row["title"],
        text=row["text"],
        authors=tuple(json.loads(row["authors"])),
        published_at=from_us(row["published_us"]) if row["published_us"] is not None else None,
        fetched_at=from_us(row["fetched_us"]),
        extra=json.loads(row["extra"]),
    )


MENTION_COLUMNS = (
    "document_pk, document_id, brand_id, sentiment, score, snippets, in_title, in_lead, "
    "count, spokespeople, counted_us, channel, tier, audience, outlet, country, language, "
    "cluster_id, messages"
)


def messages_json(messages: tuple[MessageMatch, ...]) -> str:
    """A mention's key messages as a JSON array, one entry per (message, stance)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for m in messages:
        if (m.message, m.stance) in seen:
            continue
        seen.add((m.message, m.stance))
        out.append(
            {"message": m.message, "stance": m.stance, "sentence": m.sentence, "score": m.score}
        )
    return json.dumps(out, ensure_ascii=False)


def messages_from_json(raw: str | list[Any] | None) -> tuple[MessageMatch, ...]:
    items = json.loads(raw) if isinstance(raw, str) else raw or []
    return tuple(
        MessageMatch(
            message=str(i["message"]),
            stance=i["stance"],
            sentence=str(i["sentence"]),
            score=float(i["score"]),
        )
        for i in items
    )


def mention_values(
    doc: Document, m: Mention, *, cluster_id: str | None = None
) -> tuple[object, ...]:
    """A ``mentions`` row but its first column (``document_pk``), with the document
    fields that metrics filter on copied in. The cluster is the mention's own,
    else ``cluster_id``, else the document id (see ``Store.save_document``)."""
    if m.document_id != doc.id:
        raise StoreError(f"mention of document {m.document_id!r} saved with document {doc.id!r}")
    counted = to_us(doc.published_at if doc.published_at is not None else doc.fetched_at)
    return (
        doc.id,
        m.brand_id,
        m.sentiment.label,
        m.sentiment.score,
        json.dumps(list(m.snippets), ensure_ascii=False),
        int(m.in_title),
        int(m.in_lead),
        m.count,
        json.dumps(list(m.spokespeople), ensure_ascii=False),
        counted,
        doc.channel,
        doc.tier,
        doc.audience,
        doc.outlet,
        doc.country,
        doc.language,
        m.cluster_id or cluster_id or doc.id,
        messages_json(m.messages),
    )


def own_cluster(document_id: str, cluster_id: str | None) -> str | None:
    """A stored cluster id as ``Mention.cluster_id``: ``None`` for the document's own."""
    return None if cluster_id in (None, document_id) else cluster_id


def hit_from_row(row: sqlite3.Row) -> MentionHit:
    """A ``MentionHit`` from a mentions ⋈ documents row (see ``_sqlite_queries``)."""
    mention = Mention(
        document_id=row["document_id"],
        brand_id=row["brand_id"],
        sentiment=Sentiment(row["sentiment"], row["score"]),
        snippets=tuple(json.loads(row["snippets"])),
        in_title=bool(row["in_title"]),
        in_lead=bool(row["in_lead"]),
        count=row["count"],
        spokespeople=tuple(json.loads(row["spokespeople"])),
        cluster_id=own_cluster(row["document_id"], row["cluster_id"]),
        messages=messages_from_json(row["messages"]),
    )
    return MentionHit(
        mention=mention,
        url=row["url"],
        title=row["title"],
        outlet=row["outlet"],
        domain=row["domain"],
        channel=row["channel"],
        tier=row["tier"],
        audience=row["audience"],
        language=row["language"],
        published_at=from_us(row["counted_us"]),
    )


# --- cursors ---------------------------------------------------------------------

# The sort values of the last hit served: the sort's leading values (none for
# "time"; audience for "reach"; in_title, in_lead, count for "prominence"), then
# (counted_us, document_id, brand_id).
Key = tuple[int | str, ...]

_CURSOR_VERSION = 1
# The MAC makes a cursor tamper-evident, not secret: its key is public, so
# anyone can forge one, but a forged cursor only starts a page where the caller
# could have paged to anyway. What it catches is corruption, truncation, hand
# edits and cursors from another query or another version of this format.
_CURSOR_MAC_KEY = b"clarion.search.sqlite.cursor"
_MAC_BYTES = 8


def filter_fingerprint(
    where: MentionFilter, sort: str = "time", *, collapse: str | None = None
) -> str:
    """A short digest of a filter and sort: a cursor is only valid for the query
    (and the order) that issued it."""
    start = to_us(where.start) if where.start is not None else None
    end = to_us(where.end) if where.end is not None else None
    narrowing = [where.channels, where.countries, where.languages, where.outlets, where.tiers]
    # Only a narrowed filter adds them, so cursors issued before these existed stay valid.
    extra: list[object] = [[list(v) for v in narrowing]] if any(narrowing) else []
    if sort != "time":  # the newest-first cursors issued before sorts existed stay valid
        extra.append(sort)
    if where.clusters:  # likewise
        extra.append(["clusters", list(where.clusters)])
    if where.message is not None:  # likewise
        extra.append(["message", where.message, where.message_stance])
    if collapse is not None:  # likewise
        extra.append(["collapse", collapse])
    body = json.dumps(
        [list(where.brand_ids), start, end, where.sentiment, repr(where.query), *extra]
    )
    return hashlib.blake2b(body.encode(), digest_size=_MAC_BYTES).hexdigest()


def encode_cursor(key: Key, fingerprint: str) -> str:
    body = json.dumps([_CURSOR_VERSION, fingerprint, *key], separators=(",", ":")).encode()
    mac = hmac.new(_CURSOR_MAC_KEY, body, hashlib.blake2b).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(mac + body).decode().rstrip("=")


def decode_cursor(cursor: str, fingerprint: str, *, prefix: int = 0) -> Key:
    """The key of ``encode_cursor``, with ``prefix`` leading integer sort values;
    ``InvalidCursor`` if it was altered, is for another query or another sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise InvalidCursor("the cursor is not valid base64") from None
    mac, body = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
    expected = hmac.new(_CURSOR_MAC_KEY, body, hashlib.blake2b).digest()[:_MAC_BYTES]
    if not hmac.compare_digest(mac, expected):
        raise InvalidCursor("the cursor was not issued by this store, or was altered")
    try:
        version, issued_for, *key = json.loads(body)
    except (ValueError, TypeError):
        raise InvalidCursor("the cursor is malformed") from None
    if version != _CURSOR_VERSION:
        raise InvalidCursor(f"cursor version {version!r} is not {_CURSOR_VERSION}")
    if issued_for != fingerprint:
        raise InvalidCursor("the cursor was issued for another query")
    if len(key) != prefix + 3:
        raise InvalidCursor("the cursor is malformed")
    *lead, counted, doc_id, brand_id = key
    if not (
        all(isinstance(v, int) for v in lead)
        and isinstance(counted, int)
        and isinstance(doc_id, str)
        and isinstance(brand_id, str)
    ):
        raise InvalidCursor("the cursor is malformed")
    return (*lead, counted, doc_id, brand_id)
