"""The API key store contract: who may call the API, with which scopes and brands.

``KeyStore`` is implemented by both stores (``SQLiteStore``, ``ElasticsearchStore``)
next to ``search.Store``; ``tests/store_contract/test_keys.py`` checks it. Contract,
in addition to ``search.Store``'s (aware times in and UTC out, ``StoreError``, read
your writes):

- The store holds ``ApiKey`` records, never a key's secret: ``secret_hash`` is the
  SHA-256 of the secret, computed by the caller (``service._keys``).
- ``put_api_key`` creates or replaces a key by id; ``get_api_key`` answers it or
  ``None``; ``list_api_keys`` lists every key, revoked ones too, in id order.
- ``revoke_api_key(key_id, at)`` sets ``revoked_at`` to ``at`` and answers the key as
  stored now; a key already revoked keeps its first ``revoked_at`` (revoking is
  idempotent); ``None`` when no key has that id. Revoked keys are kept, not deleted,
  so that an audit log can still name them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from search._sqlite_codec import from_us, to_us
from search._store import StoreError

__all__ = [
    "SCOPES",
    "ApiKey",
    "KeyStore",
    "Scope",
    "decode_key",
    "encode_key",
    "key_store",
]

Scope = Literal["read", "write", "admin"]
SCOPES: tuple[Scope, ...] = ("read", "write", "admin")
"""Every scope; ``admin`` grants the other two as well."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKey:
    """One API key as stored.

    ``id`` is the key's public prefix (it appears in the key text and in logs);
    ``secret_hash`` the SHA-256 (hex) of its secret. ``brands`` is ``None`` for a
    key that may see every brand, else the brand ids it may see (possibly ones not
    created yet). ``rate_limit_per_minute`` is ``None`` for the deployment's default.
    """

    id: str
    name: str
    secret_hash: str
    scopes: tuple[Scope, ...]
    brands: tuple[str, ...] | None = None
    rate_limit_per_minute: int | None = None
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@runtime_checkable
class KeyStore(Protocol):
    """See the module docstring for the contract."""

    async def put_api_key(self, key: ApiKey) -> None: ...
    async def get_api_key(self, key_id: str) -> ApiKey | None: ...
    async def list_api_keys(self) -> list[ApiKey]: ...
    async def revoke_api_key(self, key_id: str, at: datetime) -> ApiKey | None: ...


def key_store(store: object) -> KeyStore:
    """``store`` as a ``KeyStore``; ``StoreError`` for a store without API keys."""
    if not isinstance(store, KeyStore):
        raise StoreError(f"{type(store).__name__} does not store API keys")
    return store


def encode_key(key: ApiKey) -> str:
    """``key`` as JSON; times as microseconds since the epoch (UTC)."""
    out = asdict(key)
    out["created_at"] = to_us(key.created_at)
    out["revoked_at"] = None if key.revoked_at is None else to_us(key.revoked_at)
    return json.dumps(out, sort_keys=True, separators=(",", ":"))


def decode_key(raw: str) -> ApiKey:
    """The key ``encode_key`` wrote as ``raw``; unknown fields are ignored."""
    data: dict[str, Any] = json.loads(raw)
    values = {k: v for k, v in data.items() if k in ApiKey.__dataclass_fields__}
    values["created_at"] = from_us(int(values["created_at"]))
    if values.get("revoked_at") is not None:
        values["revoked_at"] = from_us(int(values["revoked_at"]))
    values["scopes"] = tuple(values["scopes"])
    if values.get("brands") is not None:
        values["brands"] = tuple(values["brands"])
    return ApiKey(**values)
