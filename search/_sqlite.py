"""The embedded store: one SQLite file, for a single Clarion process.

``SQLiteStore`` implements ``search.Store`` and its written contract: the
queries here (their SQL in ``search._sqlite_counts``, ``search._sqlite_stats``,
``search._sqlite_queries``), each other part in a mixin of its own module
(``search._sqlite_configuration``, ``search._sqlite_documents``,
``search._sqlite_alerts``...). Design:

- **Off the event loop.** Every SQLite call runs in a worker thread: writes
  serialized on one writer connection, reads on a small pool of reader
  connections (``search._sqlite_threads``, the store's base class).
- **Durability.** WAL journal with ``synchronous=NORMAL``: a committed
  transaction survives a crash of the process (it is in the WAL file, which the
  OS holds); only a power loss or OS crash can roll back the last few commits,
  and never corrupts the database. ``FULL`` would fsync on every commit, which
  costs more than the whole write of a document on ordinary disks; pass
  ``synchronous="FULL"`` when power-loss durability matters more.
- **Schema.** Numbered migrations (``search/migrations``), applied by ``open()``.
- **Errors.** ``sqlite3`` errors are re-raised as ``TemporaryStoreError`` when
  the database is busy or locked (another process holds it longer than the
  busy timeout) and as ``StoreError`` otherwise.

The path must name a file: ``:memory:`` would give each connection its own
empty database.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from enrichment import SyndicationCandidate
from search import _sqlite_codec as codec
from search._checks import check_counting
from search._fts import FtsQuery, compile_query
from search._sqlite_alerts import SQLiteAlerts
from search._sqlite_audit import SQLiteAudit
from search._sqlite_campaigns import SQLiteCampaigns
from search._sqlite_clusters import SQLiteClusters
from search._sqlite_configuration import SQLiteConfiguration
from search._sqlite_counts import mention_counts
from search._sqlite_documents import SQLiteDocuments
from search._sqlite_export import SQLiteExport
from search._sqlite_keys import SQLiteKeys
from search._sqlite_queries import MAX_PAGE_SIZE, search_mentions
from search._sqlite_stats import mention_stats
from search._sqlite_syndication import pull_through, syndication_candidates
from search._sqlite_threads import SQLiteThreads
from search._sqlite_traffic import SQLiteTraffic
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
    StatRow,
    StatTop,
    StoreError,
)

__all__ = ["SQLiteStore"]


class SQLiteStore(
    SQLiteThreads,
    SQLiteConfiguration,
    SQLiteDocuments,
    SQLiteAlerts,
    SQLiteTraffic,
    SQLiteKeys,
    SQLiteAudit,
    SQLiteCampaigns,
    SQLiteExport,
    SQLiteClusters,
):
    """``search.Store`` in one SQLite file (see the module docstring)."""

    async def mention_counts(
        self,
        where: MentionFilter,
        *,
        interval: Interval,
        tz: ZoneInfo,
        count: CountBy = "outlet",
    ) -> list[BucketCount]:
        """Counts per (bucket, brand), sorted by bucket, then brand.

        How buckets are computed: see ``search._sqlite_counts``.
        """
        check_counting(interval, count)
        fts = _compiled(where)
        return await self._read(
            lambda c: mention_counts(c, where, fts, interval=interval, tz=tz, count=count)
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
        """See ``search.Store.mention_stats``; how: ``search._sqlite_stats``."""
        check_counting(interval, count)
        fts = _compiled(where)
        return await self._read(
            lambda c: mention_stats(
                c, where, fts, group_by=group_by, interval=interval, tz=tz, count=count, top=top
            )
        )

    async def syndication_candidates(self, band_keys: Sequence[int]) -> list[SyndicationCandidate]:
        """See ``search.Store``: one indexed lookup per key, grouped in SQL."""
        if not band_keys:
            return []
        return await self._read(lambda c: syndication_candidates(c, band_keys))

    async def pull_through(self, where: MentionFilter) -> PullThrough:
        """Key-message counts in SQL (``search._sqlite_syndication``)."""
        if where.query is not None:
            raise StoreError("pull_through does not take a query filter")
        return await self._read(lambda c: pull_through(c, where))

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
        fts = _compiled(where)
        hits, last = await self._read(
            lambda c: search_mentions(
                c, where, fts, limit=limit, after=after, sort=sort, collapse=collapse is not None
            )
        )
        next_cursor = None if last is None else codec.encode_cursor(last, fingerprint)
        return MentionPage(hits, next_cursor)


def _compiled(where: MentionFilter) -> FtsQuery | None:
    return None if where.query is None else compile_query(where.query)
