"""Bulk reads and deletes of the SQLite store: copying out and retention.

Plain functions of a connection; ``SQLiteStore`` runs them on its reader or
writer threads.
"""

from __future__ import annotations

import json
import sqlite3

from crawlers import Document
from enrichment import Mention
from search import _sqlite_codec as codec
from search._sqlite_conn import transaction
from search._sqlite_rollup import Tracked, pairs_of_documents

__all__ = ["RETENTION_CHUNK", "delete_chunk_before", "documents_after"]

# Documents deleted per write transaction by retention: small enough that the
# writer lock is held for milliseconds (ingest interleaves), large enough that a
# year of history goes in a few hundred transactions.
RETENTION_CHUNK = 2000


def documents_after(
    c: sqlite3.Connection, after: str | None, *, limit: int
) -> list[tuple[Document, list[Mention]]]:
    """Up to ``limit`` documents with ``id > after`` in ascending id order, with their
    mentions (ascending brand id). One read transaction: a consistent snapshot."""
    c.execute("BEGIN")
    try:
        rows = c.execute(
            f"SELECT pk, {codec.DOCUMENT_COLUMNS} FROM documents WHERE id > ? ORDER BY id LIMIT ?",
            (after if after is not None else "", limit),
        ).fetchall()
        pks = json.dumps([row["pk"] for row in rows])
        mentions: dict[str, list[Mention]] = {row["id"]: [] for row in rows}
        # every mention column (decoded by the same code as query hits, so a new
        # mention field is copied too) and the document fields a hit carries
        for m in c.execute(
            "SELECT m.*, d.url, d.title, d.domain FROM mentions m "
            "JOIN documents d ON d.pk = m.document_pk "
            "WHERE m.document_pk IN (SELECT value FROM json_each(?)) "
            "ORDER BY m.document_id, m.brand_id",
            (pks,),
        ):
            mentions[m["document_id"]].append(codec.hit_from_row(m).mention)
    finally:
        c.execute("COMMIT")
    return [(codec.document_from_row(row), mentions[row["id"]]) for row in rows]


def delete_chunk_before(c: sqlite3.Connection, cutoff_us: int) -> int:
    """Delete up to ``RETENTION_CHUNK`` documents counted before ``cutoff_us``, with
    their mentions and full-text rows, in one transaction; how many were deleted."""
    with transaction(c):
        pks = json.dumps(
            [
                row[0]
                for row in c.execute(
                    "SELECT pk FROM documents WHERE counted_us < ? LIMIT ?",
                    (cutoff_us, RETENTION_CHUNK),
                )
            ]
        )
        in_chunk = "IN (SELECT value FROM json_each(?))"
        tracked = Tracked(c, pairs_of_documents(c, json.loads(pks)))
        c.execute(f"DELETE FROM mentions WHERE document_pk {in_chunk}", (pks,))
        tracked.apply()
        c.execute(f"DELETE FROM documents_fts WHERE rowid {in_chunk}", (pks,))
        return c.execute(f"DELETE FROM documents WHERE pk {in_chunk}", (pks,)).rowcount
