"""The store contract suite: every test runs against every backend.

``make_store`` builds a store on the backend's storage for this test (a fresh
SQLite file in ``tmp_path``, a fresh index prefix on Elasticsearch); calling
it again gives a second store on the same storage, which is how restart tests
reopen. ``store`` is one opened store.

The Elasticsearch leg (marker ``elasticsearch``; run it alone with
``pytest -m elasticsearch tests/store_contract``) runs against the cluster at
``CLARION_TEST_ES_URL`` when that is set (credentials may be in the URL), and
otherwise against one ``osmem-server`` process started for the session (an
in-memory OpenSearch-compatible server from PyPI). Each test gets its own
index prefix, deleted afterwards.

Where osmem differs from Elasticsearch (written down here, not worked around
in the store):

- it refuses the client's versioned media types
  (``application/vnd.elasticsearch+json; compatible-with=9``) with 406: the
  client talks to it through ``PlainJsonNode``, which sends plain
  ``application/json`` / ``application/x-ndjson``;
- it has no ``_pit`` endpoint (the store pages with ``search_after`` on a
  total sort and needs none) and no scripted updates (the store uses none);
- documents are visible to search before a refresh, so the suite cannot catch
  a missing ``refresh`` there; run it against a real cluster for that;
- it reports itself as OpenSearch 3.x (the client does not object).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from enrichment._tokens import words
from search import ElasticsearchConfig, ElasticsearchStore, SQLiteStore, Store, StoreError
from tests._elasticsearch import PlainJsonNode, drop_indices

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("elasticsearch", id="elasticsearch", marks=pytest.mark.elasticsearch),
]

StoreFactory = Callable[[], Store]


def _known_osmem_gaps(request: pytest.FixtureRequest) -> None:
    """Mark the cases osmem cannot serve as strict xfails (they pass on Elasticsearch).

    osmem rejects a ``span_near`` nested inside another ``span_near`` (400
    ``[span_near] query is not supported by osmem``), which is how the store
    compiles a NEAR whose side is a phrase of two or more words. In the
    contract suite only the nasty-text test builds one (``Near(Phrase((word,)),
    ...)`` where ``word`` cuts into several words, e.g. ``"a\\tb\\nc"``).
    """
    callspec = getattr(request.node, "callspec", None)
    word = callspec.params.get("word") if callspec is not None else None
    if (
        request.node.name.startswith("test_nasty_query_text_never_breaks_the_store")
        and isinstance(word, str)
        and len(words(word)) >= 2
    ):
        request.applymarker(
            pytest.mark.xfail(
                reason="osmem: no span_near nested in span_near (NEAR over a multi-word phrase)",
                raises=StoreError,
                strict=True,
            )
        )


@pytest.fixture(params=BACKENDS)
async def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    if request.param == "sqlite":
        path = tmp_path / "clarion.sqlite3"
        yield lambda: SQLiteStore(path)
        return
    if request.param == "elasticsearch":
        config: ElasticsearchConfig = request.getfixturevalue("es_config")
        if config.client_options.get("node_class") is PlainJsonNode:
            _known_osmem_gaps(request)
        prefix = f"ct-{uuid.uuid4().hex[:12]}"
        yield lambda: ElasticsearchStore(config, index_prefix=prefix)
        await drop_indices(config, prefix)
        return
    raise AssertionError(f"no factory for backend {request.param!r}")


@pytest.fixture
async def store(make_store: StoreFactory) -> AsyncIterator[Store]:
    opened = make_store()
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()
