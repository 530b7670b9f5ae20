"""Documents and their mentions on SQLite: saving, reading, retention.

A mixin of ``SQLiteStore``: it runs its statements through the store's writer
and reader pool (``search._sqlite_threads``). A save is one transaction on the
writer: the URL alias, the document and its full-text row (``documents_fts``),
its mentions, its syndication (``search._sqlite_syndication``) and the change
of the rollups (``search._sqlite_rollup``'s ``Tracked``). ``update_engagement``
rewrites only the ``extra`` column of the rows whose counts changed, in one
transaction. Retention deletes in chunks of documents
(``search._sqlite_maintenance``), so writes interleave.
Contract: ``search.Store``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from crawlers import Document
from crawlers.social import with_engagement
from enrichment import Mention, Syndication
from enrichment._syndication import assign_cluster
from search import _sqlite_codec as codec
from search._engagement import checked_counts
from search._fts import index_text
from search._sqlite_conn import transaction
from search._sqlite_maintenance import delete_chunk_before, documents_after
from search._sqlite_queries import MAX_PAGE_SIZE
from search._sqlite_rollup import Tracked, pairs_of_documents
from search._sqlite_syndication import copy_cluster, save_syndication, syndication_candidates
from search._store import SaveOutcome, SketchedDocument, StoredVersion, StoreError

__all__ = ["SQLiteDocuments"]

T = TypeVar("T")

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


class SQLiteDocuments:
    """The documents of ``SQLiteStore`` (see the module docstring)."""

    if TYPE_CHECKING:  # provided by SQLiteStore

        async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
            raise NotImplementedError

        async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
            raise NotImplementedError

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

        def save(c: sqlite3.Connection) -> SaveOutcome:
            with transaction(c):
                return _save(c, document, mentions, syndication, replace=replace)

        return await self._write(save)

    async def save_sketched(self, batch: Sequence[SketchedDocument]) -> list[SaveOutcome]:
        """See ``search.Store``: the whole batch in one transaction and one call on
        the writer, each document's candidates read inside it (so they include the
        copies saved before it in the batch). A verbatim copy of a stored document
        takes its cluster without the candidates being ranked (``copy_cluster``)."""

        def save_all(c: sqlite3.Connection) -> list[SaveOutcome]:
            outcomes: list[SaveOutcome] = []
            with transaction(c):
                for item in batch:
                    doc_id = item.document.id
                    cluster = copy_cluster(c, doc_id, item.signature, item.keys)
                    if cluster is None:
                        found = syndication_candidates(c, item.keys)
                        cluster = assign_cluster(doc_id, item.signature, found)
                    syndication = Syndication(cluster, item.signature, item.keys)
                    outcomes.append(
                        _save(
                            c,
                            item.document,
                            item.mentions,
                            syndication,
                            text_words=item.text_words,
                        )
                    )
            return outcomes

        return await self._write(save_all) if batch else []

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

    async def get_documents(self, ids: Sequence[str]) -> dict[str, Document]:
        """One query for every id (see ``search.Store``)."""
        if not ids:
            return {}
        payload = json.dumps(list(dict.fromkeys(ids)))

        def get(c: sqlite3.Connection) -> dict[str, Document]:
            rows = c.execute(
                f"SELECT {codec.DOCUMENT_COLUMNS} FROM documents"
                " WHERE id IN (SELECT value FROM json_each(?))",
                (payload,),
            ).fetchall()
            return {row["id"]: codec.document_from_row(row) for row in rows}

        return await self._read(get)

    async def update_engagement(self, counts: Mapping[str, Mapping[str, int]]) -> int:
        """One write transaction: read each document's ``extra``, write back those whose
        counts changed (see ``search.Store``); the full-text row, mentions and rollups
        are not touched."""
        wanted = checked_counts(counts)
        if not wanted:
            return 0
        payload = json.dumps(list(wanted))

        def update(c: sqlite3.Connection) -> int:
            with transaction(c):
                rows = c.execute(
                    "SELECT pk, id, extra FROM documents"
                    " WHERE id IN (SELECT value FROM json_each(?))",
                    (payload,),
                ).fetchall()
                changed: list[tuple[str, int]] = []
                for pk, doc_id, stored in rows:
                    extra = json.loads(stored)
                    new = with_engagement(extra, wanted[doc_id])
                    if new != extra:
                        changed.append((json.dumps(new, ensure_ascii=False, sort_keys=True), pk))
                c.executemany("UPDATE documents SET extra = ? WHERE pk = ?", changed)
                return len(changed)

        return await self._write(update)

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


def _save(
    c: sqlite3.Connection,
    document: Document,
    mentions: Sequence[Mention],
    syndication: Syndication | None,
    *,
    replace: bool = False,
    text_words: str | None = None,
) -> SaveOutcome:
    """``save_document``'s writes, inside the caller's transaction; ``text_words``:
    ``index_text(document.text)`` when the caller has it (``SketchedDocument``)."""
    values = codec.document_values(document)
    cluster = syndication.cluster_id if syndication is not None else None
    rows = [codec.mention_values(document, m, cluster_id=cluster) for m in mentions]
    placeholders = ", ".join("?" * len(values))
    alias = codec.alias_id(document)
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
        assignments = ", ".join(f"{name.strip()} = ?" for name in codec.DOCUMENT_COLUMNS.split(","))
        c.execute(f"UPDATE documents SET {assignments} WHERE pk = ?", (*values, pk))
        c.execute("DELETE FROM documents_fts WHERE rowid = ?", (pk,))
        c.execute("DELETE FROM mentions WHERE document_pk = ?", (pk,))
    if text_words is None:
        text_words = index_text(document.text)
    c.execute(
        "INSERT INTO documents_fts (rowid, title, text) VALUES (?, ?, ?)",
        (pk, index_text(document.title), text_words),
    )
    c.executemany(
        f"INSERT INTO mentions ({codec.MENTION_COLUMNS}) VALUES ({_MENTION_SLOTS})",
        [(pk, *row) for row in rows],
    )
    save_syndication(c, pk, syndication, replace=old is not None)
    tracked.apply()
    return "created" if old is None else "updated"
