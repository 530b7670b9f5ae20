"""``KeyStore`` on Elasticsearch: one small plain index ``{prefix}-api-keys``.

A mixin of ``ElasticsearchStore``; mapping in ``mappings/api_keys.json``. The index
is created on the first key call after ``open()`` (idempotently), like the alert
indices. Every write passes the store's ``refresh`` (read your writes). Revoking is
a read, then a write (Elasticsearch has no transaction): two revocations racing may
each write their own ``revoked_at``; either way the key ends revoked. Contract:
``search._keys_store``.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Any

from search._es_alerts import list_bodies
from search._es_client import EsCalls
from search._es_schema import create_index, mapping
from search._keys_store import ApiKey, decode_key, encode_key
from search._sqlite_codec import to_us

__all__ = ["ElasticsearchKeys"]


class ElasticsearchKeys:
    """The ``KeyStore`` half of ``ElasticsearchStore`` (see the module docstring)."""

    prefix: str
    refresh: Any
    _keys_installed_for: EsCalls | None = None

    if TYPE_CHECKING:  # provided by ElasticsearchStore

        def _opened(self) -> EsCalls:
            raise NotImplementedError

    def _keys_index(self) -> str:
        return f"{self.prefix}-api-keys"

    async def _keys_calls(self) -> EsCalls:
        calls = self._opened()
        if self._keys_installed_for is calls:
            return calls
        await create_index(calls, self._keys_index(), mapping("api_keys"), what="api keys")
        self._keys_installed_for = calls
        return calls

    async def put_api_key(self, key: ApiKey) -> None:
        calls = await self._keys_calls()
        await calls.call(
            "put api key",
            calls.client.index,
            index=self._keys_index(),
            id=key.id,
            document={"id": key.id, "body": encode_key(key)},
            refresh=self.refresh,
        )

    async def get_api_key(self, key_id: str) -> ApiKey | None:
        calls = await self._keys_calls()
        found = await calls.call(
            "get api key", calls.client.get, index=self._keys_index(), id=key_id, allow=(404,)
        )
        return decode_key(str(found["_source"]["body"])) if found.get("found") else None

    async def list_api_keys(self) -> list[ApiKey]:
        calls = await self._keys_calls()
        return [decode_key(b) for b in await list_bodies(calls, "api keys", self._keys_index())]

    async def revoke_api_key(self, key_id: str, at: datetime) -> ApiKey | None:
        to_us(at)  # a naive time is refused before anything is written
        key = await self.get_api_key(key_id)
        if key is None or key.revoked_at is not None:
            return key
        revoked = decode_key(encode_key(dataclasses.replace(key, revoked_at=at)))
        await self.put_api_key(revoked)
        return revoked
