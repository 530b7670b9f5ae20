"""``GET /v1/mentions`` with ``message`` / ``stance`` and ``collapse=cluster``, on
the real app under uvicorn over a hand-checked SQLite seed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from enrichment import Brand, MessageMatch, Stance
from search import SQLiteStore
from service._app import create_app
from service._settings import Settings
from tests._servers import serve_app
from tests.service.test_api import assert_problem
from tests.store_contract._data import doc, mention, utc

FAST = "Acme ships fast"
MAY = {"brand": "acme", "from": "2026-05-01", "to": "2026-06-01"}
# document, day, cluster, audience, (message stance or None)
DOCS: list[tuple[str, int, str, int, Stance | None]] = [
    ("w1", 1, "w1", 100, "carried"),  # a wire story, first copy
    ("w2", 3, "w1", 900, "carried"),
    ("w3", 4, "w1", 10, None),
    ("x1", 2, "x1", 50, "contradicted"),
    ("y1", 5, "y1", 20, "carried"),
]


async def _seed(path: Path) -> None:
    store = SQLiteStore(path)
    await store.open()
    try:
        await store.put_brand(Brand(id="acme", name="Acme", key_messages=(FAST,)))
        for doc_id, day, cluster, audience, stance in DOCS:
            document = replace(doc(doc_id, published_at=utc(2026, 5, day, 9)), audience=audience)
            matches = (
                ()
                if stance is None
                else (MessageMatch(message=FAST, stance=stance, sentence="s", score=0.9),)
            )
            m = replace(
                mention(doc_id, "acme"),
                cluster_id=None if cluster == doc_id else cluster,
                messages=matches,
            )
            await store.save_document(document, [m])
    finally:
        await store.close()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    data: Path = tmp_path_factory.mktemp("mention-options")
    settings = Settings(data_dir=data, crawl=False, extract_workers=1, model_threads=1)
    asyncio.run(_seed(settings.database_path))
    with serve_app(create_app(settings)) as base, httpx.Client(base_url=base, timeout=60) as c:
        yield c


def _pages(client: httpx.Client, **params: Any) -> list[tuple[str, int | None]]:
    """Every page, as (document, copies)."""
    out: list[tuple[str, int | None]] = []
    cursor: str | None = None
    while True:
        response = client.get(
            "/v1/mentions", params={**MAY, **params, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        out.extend((i["document_id"], i["copies"]) for i in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return out


def test_message_and_stance(client: httpx.Client) -> None:
    assert _pages(client, message=FAST) == [("y1", None), ("w2", None), ("w1", None)]
    assert _pages(client, message=FAST, stance="carried", limit=1) == [
        ("y1", None),
        ("w2", None),
        ("w1", None),
    ]
    assert _pages(client, message=FAST, stance="contradicted") == [("x1", None)]
    assert _pages(client, message="Acme is slow") == []


@pytest.mark.parametrize("limit", [1, 2, 10])
def test_collapse_one_story_per_cluster(client: httpx.Client, limit: int) -> None:
    # newest first: w3 (day 4) leads the wire story of three copies
    assert _pages(client, collapse="cluster", limit=limit) == [
        ("y1", 1),
        ("w3", 3),
        ("x1", 1),
    ]
    # largest reach: w2 (900) leads it
    assert _pages(client, collapse="cluster", sort="reach", limit=limit) == [
        ("w2", 3),
        ("x1", 1),
        ("y1", 1),
    ]
    # one cluster, named by its first copy's document id
    assert _pages(client, cluster="w1", limit=limit) == [("w3", None), ("w2", None), ("w1", None)]
    assert _pages(client, cluster="w1", collapse="cluster", limit=limit) == [("w3", 3)]
    # with the message: w3 carries nothing, so w2 leads two copies
    assert _pages(client, collapse="cluster", message=FAST, limit=limit) == [
        ("y1", 1),
        ("w2", 2),
    ]


def test_cursors_only_continue_their_own_options(client: httpx.Client) -> None:
    first = client.get("/v1/mentions", params={**MAY, "collapse": "cluster", "limit": 1}).json()
    cursor = first["next_cursor"]
    assert cursor is not None
    for other in ({}, {"message": FAST}, {"sort": "reach", "collapse": "cluster"}):
        response = client.get("/v1/mentions", params={**MAY, "limit": 1, "cursor": cursor, **other})
        assert_problem(response, 400)
    by_message = client.get("/v1/mentions", params={**MAY, "message": FAST, "limit": 1}).json()
    assert by_message["next_cursor"] is not None
    response = client.get(
        "/v1/mentions",
        params={
            **MAY,
            "message": FAST,
            "stance": "contradicted",
            "limit": 1,
            "cursor": by_message["next_cursor"],
        },
    )
    assert_problem(response, 400)


def test_bad_options_are_problems(client: httpx.Client) -> None:
    assert_problem(client.get("/v1/mentions", params={**MAY, "stance": "carried"}), 400, "stance")
    assert_problem(
        client.get("/v1/mentions", params={**MAY, "message": FAST, "stance": "maybe"}), 422
    )
    assert_problem(client.get("/v1/mentions", params={**MAY, "collapse": "story"}), 422)
