"""The cluster store: ``search.Store`` on Elasticsearch.

``ElasticsearchStore`` implements the store contract (``search._store``) with
the same observable behaviour as ``SQLiteStore``; the contract suite runs on
both. Where things live: see ``search._es_codec``; how queries are answered:
``search._es_queries``; every request goes through ``search._es_client``.
The store is this class (lifecycle and queries) and its mixins, one per part
of the contract: brands, sources and feed states (``search._es_configuration``),
documents (``search._es_documents``), alerts, traffic, keys, audit, campaigns,
export and clusters (``search._es_alerts`` and so on).

- **open()** puts the index templates (``search/mappings/*.json``) and creates
  the configuration indices; the monthly indices are created by the first
  write into them.
- **Read your writes.** Every write passes ``refresh`` (``"wait_for"`` by
  default): the call returns once its changes are visible to searches. That
  keeps the contract without forcing a refresh per write (``"true"``), which
  would make a segment per document and slow bulk ingest to a crawl; the
  price is up to one ``refresh_interval`` (1 s by default) of latency per
  write, paid concurrently by every write in flight.
- **Saving a document** writes its mentions first and the document last (the
  commit point), with optimistic concurrency: ``search._es_documents``.
- **Durability.** A write returns after the cluster acknowledged it, which
  (translog ``request`` durability, the default) means it is fsynced on every
  copy of the shard.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from elasticsearch import AsyncElasticsearch

from enrichment import Syndication, SyndicationCandidate
from enrichment._syndication import assign_cluster
from search import _sqlite_codec as codec
from search._checks import check_counting
from search._es_alerts import ElasticsearchAlerts
from search._es_audit import ElasticsearchAudit
from search._es_campaigns import ElasticsearchCampaigns
from search._es_client import ElasticsearchConfig, EsCalls, connect
from search._es_clusters import ElasticsearchClusters
from search._es_configuration import ElasticsearchConfiguration
from search._es_documents import ElasticsearchDocuments
from search._es_export import ElasticsearchExport
from search._es_keys import ElasticsearchKeys
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
    SketchedDocument,
    StatRow,
    StatTop,
    StoreError,
)

__all__ = ["DEFAULT_INDEX_PREFIX", "ElasticsearchStore", "Refresh"]

Refresh = Literal["wait_for", "true"]

# The prefix of every index name; one cluster can host several Clarions.
DEFAULT_INDEX_PREFIX = "clarion"


class ElasticsearchStore(
    ElasticsearchConfiguration,
    ElasticsearchDocuments,
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

    async def save_sketched(self, batch: Sequence[SketchedDocument]) -> list[SaveOutcome]:
        """See ``search.Store``: one document at a time, each after its candidates."""
        outcomes: list[SaveOutcome] = []
        for item in batch:
            found = await self.syndication_candidates(item.keys)
            cluster = assign_cluster(item.document.id, item.signature, found)
            syndication = Syndication(cluster, item.signature, item.keys)
            outcomes.append(
                await self._save_document(
                    item.document, item.mentions, syndication, text_words=item.text_words
                )
            )
        return outcomes

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
