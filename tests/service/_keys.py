"""API keys for the access tests: made in a store, their texts by name."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from search import SQLiteStore, Store, key_store
from service._keys import Scope, create_key

__all__ = ["KeySpec", "create_keys", "seed_keys"]

# (scopes, brands or None for all, optionally a rate limit per minute)
KeySpec = (
    tuple[tuple[str, ...], tuple[str, ...] | None]
    | tuple[tuple[str, ...], tuple[str, ...] | None, int | None]
)


async def create_keys(store: Store, keys: Mapping[str, KeySpec]) -> dict[str, str]:
    """Make one key per entry of ``keys`` in the open ``store``; each one's full text."""
    texts = {}
    for name, (scopes, brands, *limit) in keys.items():
        scoped: tuple[Scope, ...] = scopes  # type: ignore[assignment]
        _, texts[name] = await create_key(
            key_store(store),
            name=name,
            scopes=scoped,
            brands=brands,
            rate_limit_per_minute=limit[0] if limit else None,
        )
    return texts


async def seed_keys(path: Path, keys: Mapping[str, KeySpec]) -> dict[str, str]:
    """``create_keys`` in the SQLite store at ``path`` (opened and closed here)."""
    store = SQLiteStore(path)
    await store.open()
    try:
        return await create_keys(store, keys)
    finally:
        await store.close()
