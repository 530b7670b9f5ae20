"""``CLARION_ES_REQUEST_TIMEOUT`` and ``CLARION_ES_REFRESH`` reach the store and its requests.

The cluster here is a small recording HTTP server on 127.0.0.1 that answers
like Elasticsearch (``X-Elastic-Product`` header, JSON bodies), optionally
after a delay: what is observed is what the store really sends.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import pytest
from pydantic import ValidationError

from enrichment import Brand
from search import ElasticsearchBusy, ElasticsearchStore
from service._runtime import make_store
from service._settings import Settings
from tests._servers import serve_app

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class RecordingCluster:
    """Answers every request with ``{}`` (200) after ``delay`` seconds; records them."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.requests: list[tuple[str, str, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        self.requests.append((scope["method"], scope["path"], scope["query_string"].decode()))
        await asyncio.sleep(self.delay)
        body = json.dumps({"result": "created", "_id": "x"}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"x-elastic-product", b"Elasticsearch"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _store(monkeypatch: pytest.MonkeyPatch, url: str, **env: str) -> ElasticsearchStore:
    monkeypatch.setenv("CLARION_STORE", "elasticsearch")
    monkeypatch.setenv("CLARION_ES_URL", url)
    for name, value in env.items():
        monkeypatch.setenv(f"CLARION_{name}", value)
    store = make_store(Settings(_env_file=None))  # type: ignore[call-arg]
    assert isinstance(store, ElasticsearchStore)
    return store


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store(monkeypatch, "http://127.0.0.1:9")
    assert store.config.request_timeout == 30.0 and store.refresh == "wait_for"


async def test_request_timeout_bounds_every_request(monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = RecordingCluster(delay=1.0)
    with serve_app(cluster) as url:
        short = _store(monkeypatch, url, ES_REQUEST_TIMEOUT="0.1")
        with pytest.raises(ElasticsearchBusy, match=r"(?i)timed? ?out"):
            await short.open()
        long = _store(monkeypatch, url, ES_REQUEST_TIMEOUT="20")
        await long.open()  # waits the second out and gets its answers
        await long.close()
    assert short.config.request_timeout == 0.1 and long.config.request_timeout == 20.0


@pytest.mark.parametrize("policy", ["wait_for", "true"])
async def test_refresh_policy_is_sent_with_writes(
    monkeypatch: pytest.MonkeyPatch, policy: str
) -> None:
    cluster = RecordingCluster()
    with serve_app(cluster) as url:
        store = _store(monkeypatch, url, ES_REFRESH=policy)
        await store.open()
        try:
            await store.put_brand(Brand(id="acme", name="Acme"))
        finally:
            await store.close()
    writes = [r for r in cluster.requests if r[1] == "/clarion-brands/_doc/acme"]
    assert len(writes) == 1 and f"refresh={policy}" in writes[0][2]


def test_a_bad_refresh_policy_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="es_refresh"):
        _store(monkeypatch, "http://127.0.0.1:9", ES_REFRESH="false")
