"""``KeyStore`` on SQLite: the table of ``migrations/0007_api_keys.sql``.

A mixin of ``SQLiteStore``: writes go through the store's writer thread (revoking is
one transaction: read, then update), reads through its reader pool. Contract:
``search._keys_store``.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from search._keys_store import ApiKey, decode_key, encode_key
from search._sqlite_codec import to_us
from search._sqlite_conn import transaction

__all__ = ["SQLiteKeys"]

T = TypeVar("T")
_PUT = (
    "INSERT INTO api_keys (id, json) VALUES (?, ?)"
    " ON CONFLICT (id) DO UPDATE SET json = excluded.json"
)


class SQLiteKeys:
    """The ``KeyStore`` half of ``SQLiteStore`` (see the module docstring)."""

    if TYPE_CHECKING:  # provided by SQLiteStore

        async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
            raise NotImplementedError

        async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
            raise NotImplementedError

    async def put_api_key(self, key: ApiKey) -> None:
        body = encode_key(key)
        await self._write(lambda c: c.execute(_PUT, (key.id, body)))

    async def get_api_key(self, key_id: str) -> ApiKey | None:
        def get(c: sqlite3.Connection) -> ApiKey | None:
            row = c.execute("SELECT json FROM api_keys WHERE id = ?", (key_id,)).fetchone()
            return None if row is None else decode_key(str(row[0]))

        return await self._read(get)

    async def list_api_keys(self) -> list[ApiKey]:
        return await self._read(
            lambda c: [
                decode_key(str(r[0])) for r in c.execute("SELECT json FROM api_keys ORDER BY id")
            ]
        )

    async def revoke_api_key(self, key_id: str, at: datetime) -> ApiKey | None:
        to_us(at)  # a naive time is refused before anything is written

        def revoke(c: sqlite3.Connection) -> ApiKey | None:
            with transaction(c):
                row = c.execute("SELECT json FROM api_keys WHERE id = ?", (key_id,)).fetchone()
                if row is None:
                    return None
                key = decode_key(str(row[0]))
                if key.revoked_at is None:
                    key = decode_key(encode_key(dataclasses.replace(key, revoked_at=at)))
                    c.execute(_PUT, (key.id, encode_key(key)))
                return key

        return await self._write(revoke)
