"""The store contract suite: every test runs against every backend.

``make_store`` builds a store on the backend's storage for this test (a fresh
SQLite file in ``tmp_path``); calling it again gives a second store on the same
storage, which is how restart tests reopen. ``store`` is one opened store.

To add a backend, add a ``pytest.param`` to ``BACKENDS`` with a mark (for
Elasticsearch: ``pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)``)
and a branch in ``_factory`` that returns stores on a fresh index prefix.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from search import SQLiteStore, Store

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
]

StoreFactory = Callable[[], Store]


def _factory(backend: str, tmp_path: Path) -> StoreFactory:
    if backend == "sqlite":
        path = tmp_path / "clarion.sqlite3"
        return lambda: SQLiteStore(path)
    raise AssertionError(f"no factory for backend {backend!r}")


@pytest.fixture(params=BACKENDS)
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    return _factory(request.param, tmp_path)


@pytest.fixture
async def store(make_store: StoreFactory) -> AsyncIterator[Store]:
    opened = make_store()
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()
