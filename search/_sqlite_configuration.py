"""Brands, sources and feed states on SQLite: one JSON document per row, keyed
by its id (the tables of ``migrations/0001_configuration.sql``).

A mixin of ``SQLiteStore``: it runs its statements through the store's writer
and reader pool (``search._sqlite_threads``). Contract: ``search.Store``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from crawlers import FeedState, Source
from enrichment import Brand
from search import _sqlite_codec as codec
from search._sqlite_conn import transaction

__all__ = ["SQLiteConfiguration"]

T = TypeVar("T")

# Create or replace one row of a (key, json) table.
_PUT = "INSERT INTO {table} VALUES (?, ?) ON CONFLICT ({column}) DO UPDATE SET json = excluded.json"


def _get(c: sqlite3.Connection, table: str, column: str, key: str) -> str | None:
    """The json of the row of ``table`` whose ``column`` is ``key``, or None."""
    row = c.execute(f"SELECT json FROM {table} WHERE {column} = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


class SQLiteConfiguration:
    """The brands, sources and feed states of ``SQLiteStore`` (see the module docstring)."""

    if TYPE_CHECKING:  # provided by SQLiteStore

        async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
            raise NotImplementedError

        async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
            raise NotImplementedError

    async def _put_json(self, table: str, column: str, key: str, value: str) -> None:
        await self._write(
            lambda c: c.execute(_PUT.format(table=table, column=column), (key, value))
        )

    async def _get_json(self, table: str, column: str, key: str) -> str | None:
        return await self._read(lambda c: _get(c, table, column, key))

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

    async def update_feed_state(
        self, source_id: str, change: Callable[[FeedState | None], FeedState | None]
    ) -> FeedState | None:
        """One call on the writer: read, ``change`` and write in one transaction."""

        def update(c: sqlite3.Connection) -> FeedState | None:
            with transaction(c):
                raw = _get(c, "feed_states", "source_id", source_id)
                state = change(None if raw is None else codec.feed_state_from_json(raw))
                if state is not None:
                    c.execute(
                        _PUT.format(table="feed_states", column="source_id"),
                        (state.source_id, codec.to_json(state)),
                    )
            return state

        return await self._write(update)
