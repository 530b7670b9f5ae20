"""What copying a store reads (and writes) beyond documents, on SQLite.

A mixin of ``SQLiteStore``: URL aliases (table of ``migrations/0003_url_aliases.sql``)
paged by alias id and written in bulk (``Store.url_aliases_after``,
``Store.put_url_aliases``; ``save_document`` records one alias at a time itself),
and the documents' syndication records (``Store.syndications``, tables of
``migrations/0004_syndication_messages.sql``), which ``save_document`` takes back.
"""

from __future__ import annotations

import json
import sqlite3
import struct
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from enrichment import Syndication
from enrichment._syndication import band_keys
from search._store import StoreError

__all__ = ["MAX_ALIAS_PAGE", "SQLiteExport"]

T = TypeVar("T")

MAX_ALIAS_PAGE = 1000
"""Largest page of ``url_aliases_after``: the copy's batch bound, as for documents."""


class SQLiteExport:
    """The URL-alias paging half of ``SQLiteStore`` (see the module docstring)."""

    if TYPE_CHECKING:  # provided by SQLiteStore

        async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
            raise NotImplementedError

        async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
            raise NotImplementedError

    async def url_aliases_after(self, after: str | None, *, limit: int) -> list[tuple[str, str]]:
        """See ``search.Store.url_aliases_after``."""
        if not 1 <= limit <= MAX_ALIAS_PAGE:
            raise StoreError(f"limit {limit} outside 1..{MAX_ALIAS_PAGE}")

        def read(c: sqlite3.Connection) -> list[tuple[str, str]]:
            rows = c.execute(
                "SELECT alias_id, document_id FROM url_aliases WHERE alias_id > ?"
                " ORDER BY alias_id LIMIT ?",
                ("" if after is None else after, limit),
            )
            return [(str(r[0]), str(r[1])) for r in rows]

        return await self._read(read)

    async def put_url_aliases(self, aliases: Sequence[tuple[str, str]]) -> None:
        """See ``search.Store.put_url_aliases``; one statement for the whole batch."""
        rows = [(str(alias), str(document)) for alias, document in aliases]
        if rows:
            await self._write(
                lambda c: c.executemany(
                    "INSERT OR REPLACE INTO url_aliases (alias_id, document_id) VALUES (?, ?)",
                    rows,
                )
            )

    async def syndications(self, ids: Sequence[str]) -> dict[str, Syndication]:
        """See ``search.Store.syndications``: one query; band keys from the signature
        (``syndication_bands`` keeps them as a set, without their band order)."""
        if not ids:
            return {}
        payload = json.dumps(list(dict.fromkeys(ids)))

        def read(c: sqlite3.Connection) -> list[tuple[str, str, bytes]]:
            rows = c.execute(
                "SELECT d.id, s.cluster_id, s.signature FROM documents d"
                " JOIN syndication s ON s.document_pk = d.pk"
                " WHERE d.id IN (SELECT value FROM json_each(?))",
                (payload,),
            )
            return [(str(r[0]), str(r[1]), bytes(r[2])) for r in rows]

        found: dict[str, Syndication] = {}
        for doc_id, cluster, blob in await self._read(read):
            signature = struct.unpack(f"<{len(blob) // 8}Q", blob)  # as save_syndication packs
            found[doc_id] = Syndication(cluster, signature, band_keys(signature))
        return found
