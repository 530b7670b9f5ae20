"""The SQLite store's syndication and key-message tables, as blocking functions
of one connection (the store runs them in a worker thread).

- ``save_syndication``: a document's signature and band keys (migration 0004),
  inside ``save_document``'s transaction.
- ``syndication_candidates``: documents sharing band keys, most shared first.
- ``copy_cluster``: the cluster of a stored document with the very same
  signature (a verbatim reprint), found without ranking the candidates.
- ``pull_through``: key-message counts with ``json_each`` over the mentions'
  ``messages`` column, grouped in SQL.
"""

from __future__ import annotations

import json
import sqlite3
import struct
from collections.abc import Sequence

from enrichment import Syndication, SyndicationCandidate
from search._sqlite_filters import filters
from search._store import MAX_SYNDICATION_CANDIDATES, MentionFilter, PullThrough

__all__ = ["copy_cluster", "pull_through", "save_syndication", "syndication_candidates"]


def _pack(signature: Sequence[int]) -> bytes:
    return struct.pack(f"<{len(signature)}Q", *signature)


def _unpack(blob: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(blob) // 8}Q", blob)


def save_syndication(
    c: sqlite3.Connection, pk: int | None, syndication: Syndication | None, *, replace: bool
) -> None:
    """Write (or, on an update, replace) the syndication rows of document ``pk``.

    Documents without a signature (too short, or saved without ``syndication``)
    get no rows: they can never be a candidate."""
    if pk is None:
        raise ValueError("save_syndication needs the document's row id")
    if replace:
        c.execute("DELETE FROM syndication_bands WHERE document_pk = ?", (pk,))
        c.execute("DELETE FROM syndication WHERE document_pk = ?", (pk,))
    if syndication is None or not syndication.signature:
        return
    c.execute(
        "INSERT INTO syndication (document_pk, cluster_id, signature) VALUES (?, ?, ?)",
        (pk, syndication.cluster_id, _pack(syndication.signature)),
    )
    c.executemany(
        "INSERT OR IGNORE INTO syndication_bands (band_key, document_pk) VALUES (?, ?)",
        [(key, pk) for key in syndication.band_keys],
    )


def syndication_candidates(
    c: sqlite3.Connection, keys: Sequence[int]
) -> list[SyndicationCandidate]:
    """``Store.syndication_candidates`` on ``c`` (a key given twice counts once)."""
    if not keys:
        return []
    rows = c.execute(
        "SELECT d.id, s.cluster_id, s.signature FROM ("
        "  SELECT document_pk, COUNT(*) AS shared FROM syndication_bands"
        "  WHERE band_key IN (SELECT value FROM json_each(?)) GROUP BY document_pk"
        ") b JOIN syndication s ON s.document_pk = b.document_pk "
        "JOIN documents d ON d.pk = b.document_pk "
        "ORDER BY b.shared DESC, d.id LIMIT ?",
        (json.dumps(list(dict.fromkeys(keys))), MAX_SYNDICATION_CANDIDATES),
    ).fetchall()
    signatures: dict[bytes, tuple[int, ...]] = {}  # copies often share one: unpacked once
    return [
        SyndicationCandidate(
            str(r[0]), str(r[1]), signatures.get(r[2]) or signatures.setdefault(r[2], _unpack(r[2]))
        )
        for r in rows
    ]


def copy_cluster(
    c: sqlite3.Connection, document_id: str, signature: Sequence[int], keys: Sequence[int]
) -> str | None:
    """The cluster of the first stored document, other than ``document_id``, whose
    signature is ``signature``; ``None`` when there is none (or no signature).

    It is the cluster ``assign_cluster`` would choose from the candidates: a
    signature equal to ours scores 1, the best score, and all stored documents
    with one signature are in one cluster (each joined its copies' cluster when it
    was saved; a document whose text changes is clustered again under its new one).
    Found through the first band key's rows, in the order they were stored, so a
    verbatim reprint of a story with hundreds of copies costs about one row read
    (ranking the candidates reads every copy's band rows: 0.6 ms a document at 50
    copies, ``BENCHMARKS.md``)."""
    if not signature or not keys:
        return None
    row = c.execute(
        "SELECT s.cluster_id FROM syndication_bands b"
        " JOIN syndication s ON s.document_pk = b.document_pk"
        " JOIN documents d ON d.pk = b.document_pk"
        " WHERE b.band_key = ? AND s.signature = ? AND d.id != ?"
        " ORDER BY b.document_pk LIMIT 1",
        (keys[0], _pack(signature), document_id),
    ).fetchone()
    return None if row is None else str(row[0])


def pull_through(c: sqlite3.Connection, where: MentionFilter) -> PullThrough:
    condition, params = filters(where, None)
    c.execute("BEGIN")
    try:
        (total,) = c.execute(
            f"SELECT COUNT(*) FROM mentions m WHERE {condition}", params
        ).fetchone()
        # Only the mentions with messages (the partial index mentions_messages).
        carrying = f"{condition} AND m.messages != '[]'"
        any_carried, any_contradicted = c.execute(
            "SELECT COALESCE(SUM(EXISTS (SELECT 1 FROM json_each(m.messages) j "
            "  WHERE json_extract(j.value, '$.stance') = 'carried')), 0), "
            "COALESCE(SUM(EXISTS (SELECT 1 FROM json_each(m.messages) j "
            "  WHERE json_extract(j.value, '$.stance') = 'contradicted')), 0) "
            f"FROM mentions m WHERE {carrying}",
            params,
        ).fetchone()
        per_message = c.execute(
            "SELECT json_extract(j.value, '$.message'), json_extract(j.value, '$.stance'), "
            f"COUNT(*) FROM mentions m, json_each(m.messages) j WHERE {carrying} "
            "GROUP BY 1, 2",
            params,
        ).fetchall()
    finally:
        c.execute("COMMIT")
    carried: dict[str, int] = {}
    contradicted: dict[str, int] = {}
    for message, stance, n in per_message:
        (carried if stance == "carried" else contradicted)[str(message)] = int(n)
    return PullThrough(int(total), carried, contradicted, int(any_carried), int(any_contradicted))
