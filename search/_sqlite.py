"""The embedded store: one SQLite file, for a single Clarion process.

``SQLiteStore`` implements ``search.Store`` and its written contract. Design:

- **Off the event loop.** Every SQLite call runs in a worker thread. Writes go
  to one dedicated writer connection on a single-thread executor, which
  serializes them (SQLite allows one writer at a time anyway; queueing them in
  one thread replaces a lock and never busy-waits). Reads go to a small pool of
  reader connections on their own executor; in WAL mode they never wait for
  the writer. A coroutine cancelled while its call runs in a thread does not
  cancel the call: a write that was started is finished (and committed) or
  rolled back as a whole, never left half-done.
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

import asyncio
import json
import queue
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from crawlers import Document, FeedState, Source
from enrichment import Brand, Mention, Syndication, SyndicationCandidate
from search import _sqlite_codec as codec
from search._checks import check_counting
from search._fts import FtsQuery, compile_query, index_text
from search._sqlite_alerts import SQLiteAlerts
from search._sqlite_audit import SQLiteAudit
from search._sqlite_campaigns import SQLiteCampaigns
from search._sqlite_clusters import SQLiteClusters
from search._sqlite_conn import (
    BUSY_TIMEOUT,
    Synchronous,
    connect,
    guarded,
    open_writer,
    transaction,
    translate,
)
from search._sqlite_export import SQLiteExport
from search._sqlite_keys import SQLiteKeys
from search._sqlite_maintenance import delete_chunk_before, documents_after
from search._sqlite_queries import mention_counts, search_mentions
from search._sqlite_rollup import Tracked, pairs_of_documents
from search._sqlite_stats import mention_stats
from search._sqlite_syndication import pull_through, save_syndication, syndication_candidates
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
    SaveOutcome,
    StatRow,
    StatTop,
    StoredVersion,
    StoreError,
)

__all__ = ["BUSY_TIMEOUT", "MAX_PAGE_SIZE", "READERS", "SQLiteStore"]

# Reader connections (and threads). Reads are short indexed queries; two keep a
# slow query (a year of hourly counts) from queueing the API behind it without
# taking more than the two cores Clarion is sized for.
READERS = 2
# The largest page ``search_mentions`` serves: a page is built in memory with
# its snippets; the API asks for at most 200.
MAX_PAGE_SIZE = 1000
# Each asked id as a document id (rank 0), then as an alias of one (rank 1).
_STORED_VERSIONS = """
SELECT asked, id, updated FROM (
    SELECT q.value AS asked, d.id AS id, json_extract(d.extra, '$.updated_at') AS updated,
           0 AS rank
    FROM json_each(?) AS q JOIN documents AS d ON d.id = q.value
    UNION ALL
    SELECT q.value, d.id, json_extract(d.extra, '$.updated_at'), 1
    FROM json_each(?) AS q
    JOIN url_aliases AS a ON a.alias_id = q.value
    JOIN documents AS d ON d.id = a.document_id
) ORDER BY rank
"""
_MENTION_SLOTS = ", ".join("?" * len(codec.MENTION_COLUMNS.split(",")))

T = TypeVar("T")


@dataclass(slots=True)
class _Open:
    """What an open store holds."""

    writer: sqlite3.Connection
    writer_pool: ThreadPoolExecutor
    readers: queue.SimpleQueue[sqlite3.Connection]
    reader_conns: list[sqlite3.Connection]
    reader_pool: ThreadPoolExecutor


class SQLiteStore(
    SQLiteAlerts,
    SQLiteTraffic,
    SQLiteKeys,
    SQLiteAudit,
    SQLiteCampaigns,
    SQLiteExport,
    SQLiteClusters,
):
    """``search.Store`` in one SQLite file (see the module docstring)."""

    def __init__(
        self,
        path: str | Path,
        *,
        readers: int = READERS,
        busy_timeout: float = BUSY_TIMEOUT,
        synchronous: Synchronous = "NORMAL",
    ) -> None:
        if str(path) in ("", ":memory:") or str(path).startswith("file:"):
            raise StoreError(f"SQLiteStore needs a file path, not {str(path)!r}")
        if readers < 1:
            raise StoreError("SQLiteStore needs at least one reader connection")
        self.path = Path(path)
        self._readers = readers
        self._busy_timeout = busy_timeout
        self._synchronous = synchronous
        self._state: _Open | None = None
        self._opening = asyncio.Lock()

    # --- lifecycle ----------------------------------------------------------------

    async def open(self) -> None:
        """Open the file (creating it), switch to WAL and migrate the schema.

        Idempotent; a store can be opened again after ``close()``.
        """
        async with self._opening:
            if self._state is None:
                self._state = await self._open()

    async def _open(self) -> _Open:
        writer_pool = ThreadPoolExecutor(1, thread_name_prefix="clarion-sqlite-writer")
        reader_pool = ThreadPoolExecutor(self._readers, thread_name_prefix="clarion-sqlite-reader")
        loop = asyncio.get_running_loop()
        writer: sqlite3.Connection | None = None
        try:
            writer = await loop.run_in_executor(writer_pool, self._open_writer)
            conns = await loop.run_in_executor(reader_pool, self._open_readers)
        except BaseException:
            if writer is not None:
                writer.close()
            writer_pool.shutdown(wait=False)
            reader_pool.shutdown(wait=False)
            raise
        readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        for conn in conns:
            readers.put(conn)
        return _Open(writer, writer_pool, readers, conns, reader_pool)

    async def close(self) -> None:
        """Wait for calls in flight, then close every connection. Idempotent."""
        state, self._state = self._state, None
        if state is not None:
            await asyncio.to_thread(self._shutdown, state)

    def _open_writer(self) -> sqlite3.Connection:
        return open_writer(
            self.path, busy_timeout=self._busy_timeout, synchronous=self._synchronous
        )

    def _open_readers(self) -> list[sqlite3.Connection]:
        conns: list[sqlite3.Connection] = []
        try:
            for _ in range(self._readers):
                conns.append(
                    connect(
                        self.path,
                        busy_timeout=self._busy_timeout,
                        synchronous=self._synchronous,
                        query_only=True,
                    )
                )
        except BaseException:
            for conn in conns:
                conn.close()
            raise
        return conns

    @staticmethod
    def _shutdown(state: _Open) -> None:
        state.writer_pool.shutdown(wait=True)
        state.reader_pool.shutdown(wait=True)
        try:
            state.writer.execute("PRAGMA optimize")  # refresh planner statistics, cheap
        except sqlite3.Error as exc:
            raise translate(exc) from exc
        finally:
            for conn in (state.writer, *state.reader_conns):
                conn.close()

    # --- running calls in threads ------------------------------------------------

    def _opened(self) -> _Open:
        if self._state is None:
            raise StoreError("the store is not open: call open() first")
        return self._state

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        state = self._opened()
        return await self._submit(state.writer_pool, partial(guarded, fn, state.writer))

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        state = self._opened()

        def call() -> T:
            # Never blocks: the pool has as many threads as there are connections.
            conn = state.readers.get()
            try:
                return guarded(fn, conn)
            finally:
                state.readers.put(conn)

        return await self._submit(state.reader_pool, call)

    @staticmethod
    async def _submit(pool: ThreadPoolExecutor, call: Callable[[], T]) -> T:
        try:
            future = asyncio.get_running_loop().run_in_executor(pool, call)
        except RuntimeError:  # the pool was shut down by close()
            raise StoreError("the store is closed") from None
        return await future

    # --- configuration -------------------------------------------------------------

    async def _put_json(self, table: str, column: str, key: str, value: str) -> None:
        await self._write(
            lambda c: c.execute(
                f"INSERT INTO {table} VALUES (?, ?) "
                f"ON CONFLICT ({column}) DO UPDATE SET json = excluded.json",
                (key, value),
            )
        )

    async def _get_json(self, table: str, column: str, key: str) -> str | None:
        def get(c: sqlite3.Connection) -> str | None:
            row = c.execute(f"SELECT json FROM {table} WHERE {column} = ?", (key,)).fetchone()
            return None if row is None else str(row[0])

        return await self._read(get)

    async def _list_json(self, table: str) -> list[str]:
        return await self._read(
            lambda c: [str(r[0]) for r in c.execute(f"SELECT json FROM {table} ORDER BY id")]
        )

    async def _delete(self, table: str, key: str) -> bool:
        cursor = await self._write(lambda c: c.execute(f"DELETE FROM {table} WHERE id = ?", (key,)))
        return cursor.rowcount > 0

    async def put_brand(self, brand: Brand) -> None:
        await self._put_json("brands", "id", brand.id, codec.to_json(brand))

    async def get_brand(self, brand_id: str) -> Brand | None:
        raw = await self._get_json("brands", "id", brand_id)
        return None if raw is None else codec.brand_from_json(raw)

    async def list_brands(self) -> list[Brand]:
        return [codec.brand_from_json(raw) for raw in await self._list_json("brands")]

    async def delete_brand(self, brand_id: str) -> bool:
        """Forget the brand; its mentions stay (history is not rewritten)."""
        return await self._delete("brands", brand_id)

    async def put_source(self, source: Source) -> None:
        await self._put_json("sources", "id", source.id, codec.to_json(source))

    async def get_source(self, source_id: str) -> Source | None:
        raw = await self._get_json("sources", "id", source_id)
        return None if raw is None else codec.source_from_json(raw)

    async def list_sources(self) -> list[Source]:
        return [codec.source_from_json(raw) for raw in await self._list_json("sources")]

    async def delete_source(self, source_id: str) -> bool:
        """Forget the source; its documents and feed state stay."""
        return await self._delete("sources", source_id)

    async def get_feed_state(self, source_id: str) -> FeedState | None:
        raw = await self._get_json("feed_states", "source_id", source_id)
        return None if raw is None else codec.feed_state_from_json(raw)

    async def put_feed_state(self, state: FeedState) -> None:
        await self._put_json("feed_states", "source_id", state.source_id, codec.to_json(state))

    # --- documents -------------------------------------------------------------------

    async def save_document(
        self,
        document: Document,
        mentions: Sequence[Mention],
        *,
        syndication: Syndication | None = None,
        replace: bool = False,
    ) -> SaveOutcome:
        """Write ``document`` and its mentions in one transaction (see the contract).

        The outcome is decided by comparing title, text and ``extra["updated_at"]``
        with the stored copy: equal means ``"unchanged"`` and nothing is written
        (but the alias of ``extra["entry_url"]``, see the contract), unless ``replace``.
        """
        values = codec.document_values(document)
        cluster = syndication.cluster_id if syndication is not None else None
        rows = [codec.mention_values(document, m, cluster_id=cluster) for m in mentions]
        fts_title, fts_text = index_text(document.title), index_text(document.text)
        placeholders = ", ".join("?" * len(values))
        alias = codec.alias_id(document)

        def save(c: sqlite3.Connection) -> SaveOutcome:
            with transaction(c):
                if alias is not None:
                    c.execute(
                        "INSERT OR REPLACE INTO url_aliases (alias_id, document_id) VALUES (?, ?)",
                        (alias, document.id),
                    )
                old = c.execute(
                    "SELECT pk, title, text, json_extract(extra, '$.updated_at') AS updated_at"
                    " FROM documents WHERE id = ?",
                    (document.id,),
                ).fetchone()
                if (
                    old is not None
                    and not replace
                    and (old["title"], old["text"], old["updated_at"])
                    == (
                        document.title,
                        document.text,
                        document.extra.get("updated_at"),
                    )
                ):
                    return "unchanged"
                pairs = {(str(row[1]), str(row[-2])) for row in rows}
                if old is not None:
                    pairs |= pairs_of_documents(c, [old["pk"]])
                tracked = Tracked(c, pairs)
                if old is None:
                    cursor = c.execute(
                        f"INSERT INTO documents ({codec.DOCUMENT_COLUMNS}) VALUES ({placeholders})",
                        values,
                    )
                    pk = cursor.lastrowid
                else:
                    pk = old["pk"]
                    assignments = ", ".join(
                        f"{name.strip()} = ?" for name in codec.DOCUMENT_COLUMNS.split(",")
                    )
                    c.execute(f"UPDATE documents SET {assignments} WHERE pk = ?", (*values, pk))
                    c.execute("DELETE FROM documents_fts WHERE rowid = ?", (pk,))
                    c.execute("DELETE FROM mentions WHERE document_pk = ?", (pk,))
                c.execute(
                    "INSERT INTO documents_fts (rowid, title, text) VALUES (?, ?, ?)",
                    (pk, fts_title, fts_text),
                )
                c.executemany(
                    f"INSERT INTO mentions ({codec.MENTION_COLUMNS}) VALUES ({_MENTION_SLOTS})",
                    [(pk, *row) for row in rows],
                )
                save_syndication(c, pk, syndication, replace=old is not None)
                tracked.apply()
                return "created" if old is None else "updated"

        return await self._write(save)

    async def existing_document_ids(self, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        payload = json.dumps(list(ids))
        return await self._read(
            lambda c: {
                str(r[0])
                for r in c.execute(
                    "SELECT id FROM documents WHERE id IN (SELECT value FROM json_each(?))",
                    (payload,),
                )
            }
        )

    async def stored_versions(self, ids: Sequence[str]) -> dict[str, StoredVersion]:
        """One query: each id as a document id, then as an alias (see ``search.Store``)."""
        if not ids:
            return {}
        payload = json.dumps(list(dict.fromkeys(ids)))

        def read(c: sqlite3.Connection) -> dict[str, StoredVersion]:
            rows = c.execute(_STORED_VERSIONS, (payload, payload)).fetchall()
            found: dict[str, StoredVersion] = {}
            for asked, doc_id, updated in rows:  # direct hits sort first and win
                found.setdefault(
                    str(asked), StoredVersion(str(doc_id), codec.updated_stamp(updated))
                )
            return found

        return await self._read(read)

    async def get_document(self, document_id: str) -> Document | None:
        def get(c: sqlite3.Connection) -> Document | None:
            row = c.execute(
                f"SELECT {codec.DOCUMENT_COLUMNS} FROM documents WHERE id = ?", (document_id,)
            ).fetchone()
            return None if row is None else codec.document_from_row(row)

        return await self._read(get)

    async def count_documents(self) -> int:
        def count(c: sqlite3.Connection) -> int:
            return int(c.execute("SELECT COUNT(*) FROM documents").fetchone()[0])

        return await self._read(count)

    async def documents_after(
        self, after: str | None, *, limit: int
    ) -> list[tuple[Document, list[Mention]]]:
        """Up to ``limit`` (1 to ``MAX_PAGE_SIZE``) documents with ids above ``after``,
        ascending, each with its mentions (see ``search.Store``)."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise StoreError(f"limit {limit} outside 1..{MAX_PAGE_SIZE}")
        return await self._read(lambda c: documents_after(c, after, limit=limit))

    async def delete_before(self, cutoff: datetime) -> int:
        """Retention: delete what is counted before ``cutoff``; the documents deleted.

        In transactions of ``RETENTION_CHUNK`` documents, so writes interleave.
        """
        cutoff_us = codec.to_us(cutoff)
        deleted = 0
        while True:
            chunk = await self._write(lambda c: delete_chunk_before(c, cutoff_us))
            deleted += chunk
            if chunk == 0:
                return deleted

    # --- queries ---------------------------------------------------------------------

    async def mention_counts(
        self,
        where: MentionFilter,
        *,
        interval: Interval,
        tz: ZoneInfo,
        count: CountBy = "outlet",
    ) -> list[BucketCount]:
        """Counts per (bucket, brand), sorted by bucket, then brand.

        How buckets are computed: see ``search._sqlite_queries``.
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
        keys = list(dict.fromkeys(band_keys))
        return await self._read(lambda c: syndication_candidates(c, keys))

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
