"""The real app under uvicorn over a seeded store, on SQLite or Elasticsearch.

For module-scoped API test fixtures parametrized with ``BACKENDS``: the store (a
SQLite file in a fresh temp dir, or indices under a fresh prefix on the test
cluster, dropped afterwards) is opened, given to ``seed`` and closed before the app
starts on another store object over the same data.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest

from search import ElasticsearchConfig, ElasticsearchStore, SQLiteStore
from service._app import create_app
from service._settings import Settings
from tests._elasticsearch import drop_indices
from tests._servers import serve_app

__all__ = ["BACKENDS", "seed_store", "seeded_client"]

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("elasticsearch", id="elasticsearch", marks=pytest.mark.elasticsearch),
]

Seed = Callable[[SQLiteStore | ElasticsearchStore], Awaitable[None]]


async def seed_store(store: SQLiteStore | ElasticsearchStore, seed: Seed) -> None:
    """Open ``store``, run ``seed`` on it, close it (also when ``seed`` fails)."""
    await store.open()
    try:
        await seed(store)
    finally:
        await store.close()


@contextlib.contextmanager
def seeded_client(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    *,
    name: str,
    seed: Seed,
) -> Iterator[httpx.Client]:
    """A client of the app over the store ``request.param`` names, after ``seed``
    ran on it; ``name`` names the temp dir and starts the index prefix."""
    data = tmp_path_factory.mktemp(name)
    config: ElasticsearchConfig | None = None
    prefix = f"{name}-{uuid.uuid4().hex[:12]}"
    if request.param == "elasticsearch":
        config = request.getfixturevalue("es_config")

    def make() -> SQLiteStore | ElasticsearchStore:
        if config is None:
            return SQLiteStore(data / "clarion.db")
        return ElasticsearchStore(config, index_prefix=prefix)

    asyncio.run(seed_store(make(), seed))
    settings = Settings(data_dir=data, crawl=False, model_threads=1, extract_workers=1)
    try:
        with (
            serve_app(create_app(settings, store=make())) as base,
            httpx.Client(base_url=base, timeout=60) as http,
        ):
            yield http
    finally:
        if config is not None:
            asyncio.run(drop_indices(config, prefix))
