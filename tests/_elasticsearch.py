"""Elasticsearch for tests: ``CLARION_TEST_ES_URL`` when set, else a local osmem-server.

Where osmem differs from Elasticsearch, see ``tests/store_contract/conftest.py``.
The media-type workaround lives here, in the tests, never in product code.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from elastic_transport import HttpHeaders, HttpxAsyncHttpNode
from elastic_transport._node import NodeApiResponse

from search import ElasticsearchConfig
from search._es_client import connect

_VERSIONED = re.compile(r"application/vnd\.elasticsearch\+([a-z-]+); ?compatible-with=\d+")


class PlainJsonNode(HttpxAsyncHttpNode):
    """The httpx node, sending plain JSON media types (osmem answers 406 to versioned ones)."""

    async def perform_request(  # type: ignore[override]
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        **options: Any,
    ) -> NodeApiResponse:
        plain = HttpHeaders(headers or {})
        for name in ("accept", "content-type"):
            if name in plain:
                plain[name] = _VERSIONED.sub(r"application/\1", plain[name])
        return await super().perform_request(method, target, body=body, headers=plain, **options)


@pytest.fixture(scope="session")
def es_config() -> Iterator[ElasticsearchConfig]:
    """The cluster of the Elasticsearch leg: ``CLARION_TEST_ES_URL``, or a local osmem."""
    url = os.environ.get("CLARION_TEST_ES_URL")
    if url:
        yield ElasticsearchConfig(url=url)
        return
    from osmem_server import OsmemServer

    server = OsmemServer.start(japanese=False)
    try:
        yield ElasticsearchConfig(url=server.url, client_options={"node_class": PlainJsonNode})
    finally:
        server.close()
        if server.process.stdout is not None:  # OsmemServer.close leaves its pipe open
            server.process.stdout.close()


async def drop_indices(config: ElasticsearchConfig, prefix: str) -> None:
    """Delete a test's indices and templates, by name (clusters refuse wildcard deletes)."""
    client = connect(config)
    try:
        found = await client.indices.get(index=f"{prefix}-*", allow_no_indices=True)
        for name in found.body:
            await client.options(ignore_status=404).indices.delete(index=name)
        for kind in ("documents", "mentions"):
            await client.options(ignore_status=404).indices.delete_index_template(
                name=f"{prefix}-{kind}"
            )
    finally:
        await client.close()
