"""The choke point of the Elasticsearch store: every failure becomes a classified
store error. Against a real local HTTP server that misbehaves on purpose (the
index name picks the failure), through the real client.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from search import ElasticsearchBusy, ElasticsearchConfig, ElasticsearchStore, StoreError
from search._es_client import EsCalls, VersionConflict, bulk_error, connect
from search._store import TemporaryStoreError
from tests._servers import serve_app

# The client refuses a 2xx answer without this header (its product check).
_PRODUCT = [(b"x-elastic-product", b"Elasticsearch")]
_JSON = [(b"content-type", b"application/json")]


def _error(kind: str, reason: str) -> bytes:
    return json.dumps({"error": {"type": kind, "reason": reason}, "status": 0}).encode()


# index name -> (status, extra headers, body)
_BEHAVIOUR: dict[str, tuple[int, list[tuple[bytes, bytes]], bytes]] = {
    "busy": (503, [(b"retry-after", b"7")], _error("unavailable", "no master")),
    "throttled": (429, [], _error("es_rejected_execution_exception", "queue full")),
    "proxy": (502, [], b"<html>bad gateway</html>"),
    "broken": (400, [], _error("parsing_exception", "unknown query [nope]")),
    "taken": (409, [], _error("version_conflict_engine_exception", "[x]: version conflict")),
    "boom": (500, [], _error("illegal_state_exception", "shard failed")),
    "impostor": (200, [], b'{"hits": {"hits": []}}'),  # no product header
    "missing": (404, [], _error("index_not_found_exception", "no such index [missing]")),
}


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    path = scope["path"]
    if "/slow" in path:
        await asyncio.sleep(2)
    status, headers, body = next(
        (found for name, found in _BEHAVIOUR.items() if f"/{name}" in path),
        (200, _PRODUCT, b'{"hits": {"hits": []}}'),
    )
    ctype = _JSON if body.startswith(b"{") else [(b"content-type", b"text/html")]
    await send({"type": "http.response.start", "status": status, "headers": ctype + headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve_app(_app) as base:
        yield base


@pytest.fixture
async def calls(url: str) -> AsyncIterator[EsCalls]:
    client = connect(ElasticsearchConfig(url=url, request_timeout=0.5))
    try:
        yield EsCalls(client)
    finally:
        await client.close()


async def _search(calls: EsCalls, index: str, **options: Any) -> dict[str, Any]:
    return await calls.call("test", calls.client.search, index=index, **options)


async def test_a_healthy_call_returns_the_body(calls: EsCalls) -> None:
    assert await _search(calls, "fine") == {"hits": {"hits": []}}


async def test_503_is_temporary_and_carries_retry_after(calls: EsCalls) -> None:
    with pytest.raises(ElasticsearchBusy) as caught:
        await _search(calls, "busy")
    assert caught.value.retry_after == 7.0
    assert isinstance(caught.value, TemporaryStoreError)
    assert "503" in str(caught.value) and "no master" in str(caught.value)


@pytest.mark.parametrize("index", ["throttled", "proxy"])
async def test_429_and_502_are_temporary(calls: EsCalls, index: str) -> None:
    with pytest.raises(ElasticsearchBusy) as caught:
        await _search(calls, index)
    assert caught.value.retry_after is None


@pytest.mark.parametrize(
    ("index", "words"),
    [("broken", "400 parsing_exception: unknown query"), ("boom", "500 illegal_state_exception")],
)
async def test_other_errors_are_permanent_with_a_clear_message(
    calls: EsCalls, index: str, words: str
) -> None:
    with pytest.raises(StoreError) as caught:
        await _search(calls, index)
    assert not isinstance(caught.value, TemporaryStoreError)
    assert str(caught.value) == f"elasticsearch test: {words}" + str(caught.value).split(words)[1]


async def test_a_conflict_is_a_version_conflict(calls: EsCalls) -> None:
    with pytest.raises(VersionConflict):
        await _search(calls, "taken")


async def test_allowed_statuses_return_their_body(calls: EsCalls) -> None:
    body = await _search(calls, "missing", allow=(404,))
    assert body["error"]["type"] == "index_not_found_exception"


async def test_a_timeout_is_temporary(calls: EsCalls) -> None:
    with pytest.raises(ElasticsearchBusy):
        await _search(calls, "slow")


async def test_a_refused_connection_is_temporary() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the call: nothing listens
    client = connect(ElasticsearchConfig(url=f"http://127.0.0.1:{port}", request_timeout=0.5))
    try:
        with pytest.raises(ElasticsearchBusy):
            await _search(EsCalls(client), "any")
    finally:
        await client.close()


async def test_a_server_that_is_not_elasticsearch_is_a_permanent_error(url: str) -> None:
    client = connect(ElasticsearchConfig(url=url))
    try:
        calls = EsCalls(client)
        with pytest.raises(StoreError, match="not an Elasticsearch cluster") as caught:
            await calls.call("test", calls.client.search, index="impostor")
        assert not isinstance(caught.value, TemporaryStoreError)
    finally:
        await client.close()


async def test_the_store_reports_an_unavailable_cluster_on_open(url: str) -> None:
    store = ElasticsearchStore(ElasticsearchConfig(url=url), index_prefix="busy")
    with pytest.raises(ElasticsearchBusy):
        await store.open()
    with pytest.raises(StoreError):  # still closed
        await store.list_brands()


def _item(op: str, status: int, reason: str = "") -> dict[str, Any]:
    result: dict[str, Any] = {"_id": "x", "status": status}
    if reason:
        result["error"] = {"type": "t", "reason": reason}
    return {op: result}


def test_bulk_errors_are_temporary_only_when_every_failure_is() -> None:
    rejected = bulk_error("b", [_item("index", 201), _item("index", 429, "queue full")])
    assert isinstance(rejected, ElasticsearchBusy)
    mixed = bulk_error("b", [_item("index", 429, "queue full"), _item("index", 400, "mapping")])
    assert not isinstance(mixed, TemporaryStoreError)
    assert "2 item(s) failed" in str(mixed) and "mapping" in str(mixed)


def test_a_missing_document_to_delete_is_not_a_bulk_failure() -> None:
    error = bulk_error("b", [_item("delete", 404), _item("index", 400, "strict")])
    assert "1 item(s) failed" in str(error)
