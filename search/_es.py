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
  stale ones: those the stored document lists and, found by one search, any
  other mention of the document, left by a save that stopped before its
  document was written), the document last, with optimistic concurrency
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
from enrichment import Brand, Mention, Syndication, SyndicationCandidate
from search import _es_codec as esc
from search import _sqlite_codec as codec
from search._checks import check_counting
from search._es_alerts import ElasticsearchAlerts, list_bodies
from search._es_audit import ElasticsearchAudit
from search._es_campaigns import ElasticsearchCampaigns
from search._es_client import ElasticsearchConfig, EsCalls, VersionConflict, connect
from search._es_clusters import ElasticsearchClusters
from search._es_export import ElasticsearchExport
from search._es_keys import ElasticsearchKeys
from search._es_maintenance import delete_before, documents_after, stray_mentions
from search._es_queries import MAX_PAGE_SIZE, mention_counts, search_mentions
from search._es_schema import drop_months_before, install
from search._es_stats import mention_stats
from search._es_syndication import pull_through, syndication_candidates
from search._es_traffic import ElasticsearchTraffic
from search._store import (
    SORT_PREFIX,
    BucketCount,
    Collapse,
    CountBy,
    Dimension,
    Interval,
    MentionFilter,
    MentionPage,
    MentionSort,
    PullThrough,
    SaveOutcome,
    StatRow,
    StatTop,
    StoredVersion,
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
# Ids looked up per request by existing_document_ids: below the default
# max_result_window (10 000) and a modest request body.
_IDS_CHUNK = 1000


class ElasticsearchStore(
    ElasticsearchAlerts,
    ElasticsearchTraffic,
    ElasticsearchKeys,
    ElasticsearchAudit,
    ElasticsearchCampaigns,
    ElasticsearchExport,
    ElasticsearchClusters,
):
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
        return await list_bodies(self._opened(), kind, esc.config_index(self.prefix, kind))

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

    async def save_document(
        self,
        document: Document,
        mentions: Sequence[Mention],
        *,
        syndication: Syndication | None = None,
        replace: bool = False,
    ) -> SaveOutcome:
        """Write ``document`` and its mentions (see the module docstring and the contract).

        ``"unchanged"`` when the stored copy has the same title, text and ``updated_at``
        (unless ``replace``).
        """
        calls = self._opened()
        brand_ids = sorted({m.brand_id for m in mentions})
        source = esc.document_source(document, brand_ids, syndication)
        cluster = syndication.cluster_id if syndication is not None else None
        words = (source["title_words"], source["text_words"])
        bodies = [  # validates first
            esc.mention_source(document, m, words, cluster_id=cluster) for m in mentions
        ]
        index = esc.month_index(self.prefix, "documents", source["counted_us"])
        alias = codec.alias_id(document)
        if alias is not None:  # before the document: a crash leaves an alias of nothing
            await self._put("url-aliases", alias, document.id)
        for _ in range(_SAVE_ATTEMPTS):
            old = await self._stored(calls, document.id, index)
            if old is not None and not replace and _same_version(old["_source"], document):
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
        stale: set[tuple[str, str]] = set()
        if old is not None:
            old_index = esc.month_index(self.prefix, "mentions", old["_source"]["counted_us"])
            old_brands = old["_source"].get("brand_ids") or ()
            stale.update((old_index, esc.mention_id(doc_id, b)) for b in old_brands)
        # Mentions the stored document does not list: left by a save that stopped
        # before its document was written (a crash), or by a document never written.
        keep = {body["brand_id"] for body in bodies}
        stale.update(
            await stray_mentions(calls, self.prefix, doc_id, keep=keep, counted_us=counted)
        )
        for old_index, mid in sorted(stale - new_ids):
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

    async def stored_versions(self, ids: Sequence[str]) -> dict[str, StoredVersion]:
        """Per chunk of ids: one search of the documents, one of the aliases for the ids
        not found, one of the documents those aliases name (see ``search.Store``)."""
        calls = self._opened()
        unique = list(dict.fromkeys(ids))
        found: dict[str, StoredVersion] = {}
        for i in range(0, len(unique), _IDS_CHUNK):
            chunk = unique[i : i + _IDS_CHUNK]
            direct = await self._versions(calls, chunk)
            found.update(direct)
            missing = [doc_id for doc_id in chunk if doc_id not in direct]
            if not missing:
                continue
            page = await calls.call(
                "stored_versions: aliases",
                calls.client.search,
                index=esc.config_index(self.prefix, "url-aliases"),
                query={"ids": {"values": missing}},
                size=len(missing),
            )
            targets = {str(h["_id"]): str(h["_source"]["body"]) for h in page["hits"]["hits"]}
            if not targets:
                continue
            versions = await self._versions(calls, sorted(set(targets.values())))
            for asked, target in targets.items():
                if target in versions:
                    found[asked] = versions[target]
        return found

    async def _versions(self, calls: EsCalls, ids: list[str]) -> dict[str, StoredVersion]:
        page = await calls.call(
            "stored_versions",
            calls.client.search,
            index=esc.index_pattern(self.prefix, "documents"),
            query={"ids": {"values": ids}},
            source=["extra"],
            size=len(ids),
        )
        found: dict[str, StoredVersion] = {}
        for hit in page["hits"]["hits"]:
            extra = (hit.get("_source") or {}).get("extra") or {}
            found[str(hit["_id"])] = StoredVersion(
                str(hit["_id"]), codec.updated_stamp(extra.get("updated_at"))
            )
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

    async def documents_after(
        self, after: str | None, *, limit: int
    ) -> list[tuple[Document, list[Mention]]]:
        """Up to ``limit`` (1 to ``MAX_PAGE_SIZE``) documents with ids above ``after``,
        ascending, each with its mentions (see ``search.Store``)."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise StoreError(f"limit {limit} outside 1..{MAX_PAGE_SIZE}")
        return await documents_after(self._opened(), self.prefix, after, limit=limit)

    async def delete_before(self, cutoff: datetime) -> int:
        """Retention: delete what is counted before ``cutoff``; the documents deleted.

        Whole months go as indices, the partial month by query
        (``search._es_maintenance``).
        """
        codec.to_us(cutoff)  # naive instants raise StoreError before anything is deleted
        return await delete_before(self._opened(), self.prefix, cutoff)

    # --- queries --------------------------------------------------------------------

    async def mention_counts(
        self,
        where: MentionFilter,
        *,
        interval: Interval,
        tz: ZoneInfo,
        count: CountBy = "outlet",
    ) -> list[BucketCount]:
        """Counts per (bucket, brand), sorted by bucket, then brand (``search._es_queries``)."""
        check_counting(interval, count)
        return await mention_counts(
            self._opened(), self.prefix, where, interval=interval, tz=tz, count=count
        )

    async def mention_stats(
        self,
        where: MentionFilter,
        *,
        group_by: tuple[Dimension, ...],
        interval: Interval | None = None,
        tz: ZoneInfo,
        count: CountBy = "outlet",
        top: StatTop | None = None,
    ) -> list[StatRow]:
        """See ``search.Store.mention_stats``; how: ``search._es_stats``."""
        check_counting(interval, count)
        return await mention_stats(
            self._opened(),
            self.prefix,
            where,
            group_by=group_by,
            interval=interval,
            tz=tz,
            count=count,
            top=top,
        )

    async def syndication_candidates(self, band_keys: Sequence[int]) -> list[SyndicationCandidate]:
        """See ``search.Store`` and ``search._es_syndication``."""
        if not band_keys:
            return []
        return await syndication_candidates(self._opened(), self.prefix, list(band_keys))

    async def pull_through(self, where: MentionFilter) -> PullThrough:
        """Key-message counts by terms aggregations (``search._es_syndication``)."""
        if where.query is not None:
            raise StoreError("pull_through does not take a query filter")
        return await pull_through(self._opened(), self.prefix, where)

    async def search_mentions(
        self,
        where: MentionFilter,
        *,
        limit: int,
        cursor: str | None = None,
        sort: MentionSort = "time",
        collapse: Collapse | None = None,
    ) -> MentionPage:
        """Mentions in ``sort`` order (``search.MentionSort``; default newest first);
        ties by document id, then brand id, both descending. ``collapse``: see
        ``search.Collapse``.

        ``limit`` is 1 to ``MAX_PAGE_SIZE`` (else ``StoreError``). A cursor is only
        valid with the filter, sort and collapse that issued it (else ``InvalidCursor``).
        """
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise StoreError(f"limit {limit} outside 1..{MAX_PAGE_SIZE}")
        calls = self._opened()
        if sort not in SORT_PREFIX:
            raise StoreError(f"unknown sort {sort!r}: expected time, reach or prominence")
        if collapse not in (None, "cluster"):
            raise StoreError(f"unknown collapse {collapse!r}: expected cluster")
        fingerprint = codec.filter_fingerprint(where, sort, collapse=collapse)
        after = (
            None
            if cursor is None
            else codec.decode_cursor(cursor, fingerprint, prefix=SORT_PREFIX[sort])
        )
        hits, last = await search_mentions(
            calls,
            self.prefix,
            where,
            limit=limit,
            after=after,
            sort=sort,
            collapse=collapse is not None,
        )
        next_cursor = None if last is None else codec.encode_cursor(last, fingerprint)
        return MentionPage(hits, next_cursor)


def _same_version(stored: dict[str, Any], document: Document) -> bool:
    """Title, text and ``extra["updated_at"]`` as stored: a save changes nothing."""
    extra = stored.get("extra") or {}
    return (stored["title"], stored["text"], extra.get("updated_at")) == (
        document.title,
        document.text,
        document.extra.get("updated_at"),
    )
