"""The cluster store: ``search.Store`` on Elasticsearch.

``ElasticsearchStore`` implements the store contract (``search._store``) with
the same observable behaviour as ``SQLiteStore``; the contract suite runs on
both. Where things live: see ``search._es_codec``; how queries are answered:
``search._es_queries``; every request goes through ``search._es_client``.

- **open()** puts the index templates (``search/mappings/*.json``) and creates
  the configuration indices; the monthly indices are created by the first
  write into them.
- **Read your writes.** Every write passes ``refresh`` (``"wait_for"`` by
  default): the call returns once its changes are visible to searches. That
  keeps the contract without forcing a refresh per write (``"true"``), which
  would make a segment per document and slow bulk ingest to a crawl; the
  price is up to one ``refresh_interval`` (1 s by default) of latency per
  write, paid concurrently by every write in flight.
- **Saving a document** (no multi-document transactions in Elasticsearch):
  its mentions are written first (one bulk: index the new ones, delete the
  stale ones), the document last, with optimistic concurrency
  (``op_type=create`` for a new one, ``if_seq_no`` for an update). The
  document is the commit point: "unchanged" is only ever answered by a stored
  document, so a save that failed half-way is completed by the next save of
  the same document. A lost race (409) re-reads and decides again.
- **Durability.** A write returns after the cluster acknowledged it, which
  (translog ``request`` durability, the default) means it is fsynced on every
  copy of the shard.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from elasticsearch import AsyncElasticsearch

from crawlers import Document, FeedState, Source
from enrichment import Brand, Mention
from search import _es_codec as esc
from search import _sqlite_codec as codec
from search._es_client import ElasticsearchConfig, EsCalls, VersionConflict, connect
from search._es_queries import MAX_PAGE_SIZE, mention_counts, search_mentions
from search._es_schema import drop_months_before, install
from search._store import (
    BucketCount,
    Interval,
    MentionFilter,
    MentionPage,
    SaveOutcome,
    StoreError,
    TemporaryStoreError,
)

__all__ = ["DEFAULT_INDEX_PREFIX", "ElasticsearchStore", "Refresh"]

Refresh = Literal["wait_for", "true"]

# The prefix of every index name; one cluster can host several Clarions.
DEFAULT_INDEX_PREFIX = "clarion"
# Attempts of save_document when it keeps losing optimistic-concurrency races;
# each lost race means another writer saved the same document in between, so
# three rounds settle any realistic burst of duplicate deliveries.
_SAVE_ATTEMPTS = 5
# Page size for listing brands and sources (search_after by id).
_LIST_PAGE = 1000
# Ids looked up per request by existing_document_ids: below the default
# max_result_window (10 000) and a modest request body.
_IDS_CHUNK = 1000
_INTERVALS = frozenset({"hour", "day", "week"})


class ElasticsearchStore:
    """``search.Store`` on an Elasticsearch cluster (see the module docstring)."""

    def __init__(
        self,
        config: ElasticsearchConfig,
        *,
        index_prefix: str = DEFAULT_INDEX_PREFIX,
        refresh: Refresh = "wait_for",
    ) -> None:
        if not index_prefix or index_prefix != index_prefix.lower() or "*" in index_prefix:
            raise StoreError(f"index prefix {index_prefix!r}: must be non-empty lower case")
        self.config = config
        self.prefix = index_prefix
        self.refresh = refresh
        self._calls: EsCalls | None = None

    # --- lifecycle ------------------------------------------------------------------

    async def open(self) -> None:
        """Connect, put the index templates, create the configuration indices. Idempotent."""
        if self._calls is not None:
            return
        calls = EsCalls(connect(self.config))
        try:
            await install(calls, self.prefix)
        except BaseException:
            await calls.client.close()
            raise
        self._calls = calls

    async def close(self) -> None:
        """Close the client. Idempotent; the store can be opened again."""
        calls, self._calls = self._calls, None
        if calls is not None:
            await calls.client.close()

    def _opened(self) -> EsCalls:
        if self._calls is None:
            raise StoreError("the store is not open: call open() first")
        return self._calls

    async def drop_months_before(self, cutoff: datetime) -> list[str]:
        """Retention: delete the months of documents and mentions that end by ``cutoff``.

        Returns the names of the deleted indices. Not part of the Store
        protocol: SQLite has no cheap equivalent yet.
        """
        return await drop_months_before(self._opened(), self.prefix, cutoff)

    @property
    def client(self) -> AsyncElasticsearch:
        """The client of the open store (for administration and tests)."""
        return self._opened().client

    # --- configuration --------------------------------------------------------------

    async def _put(self, kind: str, key: str, body: str) -> None:
        calls = self._opened()
        await calls.call(
            f"put {kind}",
            calls.client.index,
            index=esc.config_index(self.prefix, kind),
            id=key,
            document={"id": key, "body": body},
            refresh=self.refresh,
        )

    async def _get(self, kind: str, key: str) -> str | None:
        calls = self._opened()
        found = await calls.call(
            f"get {kind}",
            calls.client.get,
            index=esc.config_index(self.prefix, kind),
            id=key,
            allow=(404,),
        )
        return str(found["_source"]["body"]) if found.get("found") else None

    async def _list(self, kind: str) -> list[str]:
        calls = self._opened()
        bodies: list[str] = []
        after: list[Any] | None = None
        while True:
            page = await calls.call(
                f"list {kind}",
                calls.client.search,
                index=esc.config_index(self.prefix, kind),
                size=_LIST_PAGE,
                sort=[{"id": "asc"}],
                query={"match_all": {}},
                **({"search_after": after} if after is not None else {}),
            )
            hits = page["hits"]["hits"]
            bodies.extend(str(h["_source"]["body"]) for h in hits)
            if len(hits) < _LIST_PAGE:
                return bodies
            after = hits[-1]["sort"]

    async def _delete(self, kind: str, key: str) -> bool:
        calls = self._opened()
        result = await calls.call(
            f"delete {kind}",
            calls.client.delete,
            index=esc.config_index(self.prefix, kind),
            id=key,
            refresh=self.refresh,
            allow=(404,),
        )
        return result.get("result") == "deleted"

    async def put_brand(self, brand: Brand) -> None:
        await self._put("brands", brand.id, codec.to_json(brand))

    async def get_brand(self, brand_id: str) -> Brand | None:
        raw = await self._get("brands", brand_id)
        return None if raw is None else codec.brand_from_json(raw)

    async def list_brands(self) -> list[Brand]:
        return [codec.brand_from_json(raw) for raw in await self._list("brands")]

    async def delete_brand(self, brand_id: str) -> bool:
        """Forget the brand; its mentions stay (history is not rewritten)."""
        return await self._delete("brands", brand_id)

    async def put_source(self, source: Source) -> None:
        await self._put("sources", source.id, codec.to_json(source))

    async def get_source(self, source_id: str) -> Source | None:
        raw = await self._get("sources", source_id)
        return None if raw is None else codec.source_from_json(raw)

    async def list_sources(self) -> list[Source]:
        return [codec.source_from_json(raw) for raw in await self._list("sources")]

    async def delete_source(self, source_id: str) -> bool:
        """Forget the source; its documents and feed state stay."""
        return await self._delete("sources", source_id)

    async def get_feed_state(self, source_id: str) -> FeedState | None:
        raw = await self._get("feed-states", source_id)
        return None if raw is None else codec.feed_state_from_json(raw)

    async def put_feed_state(self, state: FeedState) -> None:
        await self._put("feed-states", state.source_id, codec.to_json(state))

    # --- documents ------------------------------------------------------------------

    async def save_document(self, document: Document, mentions: Sequence[Mention]) -> SaveOutcome:
        """Write ``document`` and its mentions (see the module docstring and the contract).

        ``"unchanged"`` when the stored copy has the same title and text.
        """
        calls = self._opened()
        brand_ids = sorted({m.brand_id for m in mentions})
        source = esc.document_source(document, brand_ids)
        words = (source["title_words"], source["text_words"])
        bodies = [esc.mention_source(document, m, words) for m in mentions]  # validates first
        index = esc.month_index(self.prefix, "documents", source["counted_us"])
        for _ in range(_SAVE_ATTEMPTS):
            old = await self._stored(calls, document.id, index)
            if old is not None and (old["_source"]["title"], old["_source"]["text"]) == (
                document.title,
                document.text,
            ):
                return "unchanged"
            await self._write_mentions(calls, document.id, source["counted_us"], bodies, old)
            try:
                await self._write_document(calls, index, source, old)
            except VersionConflict:
                continue  # another writer saved this document in between: decide again
            return "created" if old is None else "updated"
        raise TemporaryStoreError(
            f"save_document {document.id!r}: lost {_SAVE_ATTEMPTS} concurrent-write races"
        )

    async def _stored(self, calls: EsCalls, doc_id: str, index: str) -> dict[str, Any] | None:
        """The stored copy, with ``_index``, ``_seq_no``, ``_primary_term``; or ``None``.

        A realtime GET on the index the document belongs in (it sees writes
        that a search may not yet), then a search over every month, for a
        document whose counted time changed.
        """
        got = await calls.call(
            "save_document: get", calls.client.get, index=index, id=doc_id, allow=(404,)
        )
        if got.get("found"):
            return got
        found = await calls.call(
            "save_document: find",
            calls.client.search,
            index=esc.index_pattern(self.prefix, "documents"),
            query={"ids": {"values": [doc_id]}},
            seq_no_primary_term=True,
            size=1,
        )
        hits: list[dict[str, Any]] = found["hits"]["hits"]
        return hits[0] if hits else None

    async def _write_mentions(
        self,
        calls: EsCalls,
        doc_id: str,
        counted: int,
        bodies: list[dict[str, Any]],
        old: dict[str, Any] | None,
    ) -> None:
        index = esc.month_index(self.prefix, "mentions", counted)
        operations: list[dict[str, Any]] = []
        new_ids = set()
        for body in bodies:
            mid = esc.mention_id(doc_id, body["brand_id"])
            new_ids.add((index, mid))
            operations += [{"index": {"_index": index, "_id": mid}}, body]
        if old is not None:
            old_index = esc.month_index(self.prefix, "mentions", old["_source"]["counted_us"])
            for brand_id in old["_source"].get("brand_ids") or ():
                mid = esc.mention_id(doc_id, brand_id)
                if (old_index, mid) not in new_ids:
                    operations.append({"delete": {"_index": old_index, "_id": mid}})
        await calls.bulk("save_document: mentions", operations, refresh=self.refresh)

    async def _write_document(
        self, calls: EsCalls, index: str, source: dict[str, Any], old: dict[str, Any] | None
    ) -> None:
        doc_id = source["id"]
        if old is not None and old["_index"] == index:
            await calls.call(
                "save_document: update",
                calls.client.index,
                index=index,
                id=doc_id,
                document=source,
                if_seq_no=old["_seq_no"],
                if_primary_term=old["_primary_term"],
                refresh=self.refresh,
            )
            return
        await calls.call(
            "save_document: create",
            calls.client.index,
            index=index,
            id=doc_id,
            document=source,
            op_type="create",
            refresh=self.refresh,
        )
        if old is not None:  # moved to another month
            await calls.call(
                "save_document: move",
                calls.client.delete,
                index=old["_index"],
                id=doc_id,
                if_seq_no=old["_seq_no"],
                if_primary_term=old["_primary_term"],
                refresh=self.refresh,
                allow=(404,),
            )

    async def existing_document_ids(self, ids: Sequence[str]) -> set[str]:
        calls = self._opened()
        unique = list(dict.fromkeys(ids))
        found: set[str] = set()
        for i in range(0, len(unique), _IDS_CHUNK):
            chunk = unique[i : i + _IDS_CHUNK]
            page = await calls.call(
                "existing_document_ids",
                calls.client.search,
                index=esc.index_pattern(self.prefix, "documents"),
                query={"ids": {"values": chunk}},
                source=False,
                size=len(chunk),
            )
            found.update(str(h["_id"]) for h in page["hits"]["hits"])
        return found

    async def get_document(self, document_id: str) -> Document | None:
        calls = self._opened()
        page = await calls.call(
            "get_document",
            calls.client.search,
            index=esc.index_pattern(self.prefix, "documents"),
            query={"ids": {"values": [document_id]}},
            size=1,
        )
        hits = page["hits"]["hits"]
        return esc.document_from_source(hits[0]["_source"]) if hits else None

    async def count_documents(self) -> int:
        calls = self._opened()
        body = await calls.call(
            "count_documents",
            calls.client.count,
            index=esc.index_pattern(self.prefix, "documents"),
        )
        return int(body["count"])

    # --- queries --------------------------------------------------------------------

    async def mention_counts(
        self, where: MentionFilter, *, interval: Interval, tz: ZoneInfo
    ) -> list[BucketCount]:
        """Counts per (bucket, brand), sorted by bucket, then brand (``search._es_queries``)."""
        if interval not in _INTERVALS:
            raise StoreError(f"unknown interval {interval!r}: expected hour, day or week")
        return await mention_counts(self._opened(), self.prefix, where, interval=interval, tz=tz)

    async def search_mentions(
        self, where: MentionFilter, *, limit: int, cursor: str | None = None
    ) -> MentionPage:
        """Mentions newest first; ties by document id, then brand id, both descending.

        ``limit`` is 1 to ``MAX_PAGE_SIZE`` (else ``StoreError``). A cursor is only
        valid with the filter that issued it (else ``InvalidCursor``).
        """
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise StoreError(f"limit {limit} outside 1..{MAX_PAGE_SIZE}")
        calls = self._opened()
        fingerprint = codec.filter_fingerprint(where)
        after = None if cursor is None else codec.decode_cursor(cursor, fingerprint)
        hits, last = await search_mentions(calls, self.prefix, where, limit=limit, after=after)
        next_cursor = None if last is None else codec.encode_cursor(last, fingerprint)
        return MentionPage(hits, next_cursor)
