"""A store for the alert engine's tests, on each backend (SQLite file, Elasticsearch leg)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from enrichment import Brand
from search import ElasticsearchConfig, ElasticsearchStore, SQLiteStore, WebhookSubscription
from tests._elasticsearch import drop_indices

AlertTestStore = SQLiteStore | ElasticsearchStore


async def open_alert_store(
    request: pytest.FixtureRequest, tmp_path: Path, *, now: datetime
) -> AsyncIterator[AlertTestStore]:
    """An opened store with brand ``acme`` and one webhook subscription ``h``."""
    store: AlertTestStore
    prefix = f"al-{uuid.uuid4().hex[:12]}"
    config: ElasticsearchConfig | None = None
    if request.param == "sqlite":
        store = SQLiteStore(tmp_path / "clarion.db")
    else:
        config = request.getfixturevalue("es_config")
        store = ElasticsearchStore(config, index_prefix=prefix)
    await store.open()
    await store.put_brand(Brand(id="acme", name="Acme"))
    await store.put_webhook(
        WebhookSubscription(id="h", url="https://r.example/", secret="k" * 16, created_at=now)
    )
    try:
        yield store
    finally:
        await store.close()
        if config is not None:
            await drop_indices(config, prefix)


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("elasticsearch", id="elasticsearch", marks=pytest.mark.elasticsearch),
]
