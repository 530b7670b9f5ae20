"""``ClusterStore`` on SQLite: one indexed read per cluster (``mentions_cluster``,
migration 0011), all in one read transaction. Contract: ``search._clusters_store``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from search._clusters_store import check_cluster_call
from search._sqlite_codec import hit_from_row
from search._store import MentionHit

__all__ = ["SQLiteClusters"]

T = TypeVar("T")

_COPIES = (
    "SELECT m.document_pk, m.document_id, m.brand_id, m.sentiment, m.score, m.snippets, "
    "m.in_title, m.in_lead, m.count, m.spokespeople, m.counted_us, m.cluster_id, m.messages, "
    "d.url, d.title, d.outlet, d.domain, d.channel, d.tier, d.audience, d.language "
    "FROM mentions m JOIN documents d ON d.pk = m.document_pk "
    "WHERE m.brand_id = ? AND m.cluster_id = ? "
    "ORDER BY m.counted_us, m.document_id LIMIT ?"
)


class SQLiteClusters:
    """The ``ClusterStore`` part of ``SQLiteStore`` (see the module docstring)."""

    if TYPE_CHECKING:  # provided by SQLiteStore

        async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
            raise NotImplementedError

    async def cluster_copies(
        self, brand_id: str, cluster_ids: Sequence[str], *, limit: int
    ) -> dict[str, list[MentionHit]]:
        ids = check_cluster_call(cluster_ids, limit)

        def read(c: sqlite3.Connection) -> dict[str, list[MentionHit]]:
            c.execute("BEGIN")
            try:
                found = {
                    cid: [hit_from_row(r) for r in c.execute(_COPIES, (brand_id, cid, limit))]
                    for cid in ids
                }
            finally:
                c.execute("COMMIT")
            return {cid: hits for cid, hits in found.items() if hits}

        return await self._read(read) if ids else {}
