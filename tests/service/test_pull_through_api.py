"""Pull-through, syndication-aware share of voice and key messages in
``/v1/analyze``, on the real app under uvicorn with a real SQLite file.

The store is seeded before the app starts (the same file), so every number
below is written out by hand from the seed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from enrichment import Brand, MessageMatch, Syndication
from search import SQLiteStore
from service._app import create_app
from service._settings import Settings
from tests._servers import serve_app
from tests.store_contract._data import doc, mention, utc

JOBS = "Acme is creating jobs in Europe."
GREEN = "Acme runs on renewable energy."
WINDOW = {"from": "2026-05-01", "to": "2026-05-10"}


def _match(message: str, stance: str) -> MessageMatch:
    return MessageMatch(message=message, stance=stance, sentence="…", score=0.7)  # type: ignore[arg-type]


async def _seed(path: Path) -> None:
    store = SQLiteStore(path)
    await store.open()
    try:
        await store.put_brand(
            Brand(id="acme", name="Acme", competitors=("globex",), key_messages=(JOBS, GREEN))
        )
        await store.put_brand(Brand(id="globex", name="Globex"))
        # a1 and its copy a2 are one story (cluster a1); b1 is another.
        rows = [
            ("a1", 1, "a1", [_match(JOBS, "carried")]),
            ("a2", 2, "a1", [_match(JOBS, "carried"), _match(GREEN, "contradicted")]),
            ("b1", 3, "b1", [_match(JOBS, "contradicted")]),
            ("c1", 4, "c1", []),
        ]
        for doc_id, day, cluster, messages in rows:
            await store.save_document(
                doc(doc_id, published_at=utc(2026, 5, day)),
                [
                    replace(mention(doc_id, "acme"), messages=tuple(messages)),
                    *([mention(doc_id, "globex")] if doc_id in ("a1", "a2") else []),
                ],
                syndication=Syndication(cluster, (), ()),
            )
    finally:
        await store.close()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    data: Path = tmp_path_factory.mktemp("pull-through")
    settings = Settings(data_dir=data, crawl=False, extract_workers=1, model_threads=1)
    asyncio.run(_seed(settings.database_path))
    with serve_app(create_app(settings)) as base, httpx.Client(base_url=base, timeout=60) as c:
        yield c


def test_pull_through_per_message_and_overall(client: httpx.Client) -> None:
    body = client.get("/v1/pull-through", params={"brand": "acme", **WINDOW}).json()
    assert body["mentions"] == 4
    assert body["overall"] == {
        "message": None,
        "carried": 2,
        "carried_share": 0.5,
        "contradicted": 2,
        "contradicted_share": 0.5,
    }
    assert [(m["message"], m["carried"], m["contradicted"]) for m in body["messages"]] == [
        (JOBS, 2, 1),
        (GREEN, 0, 1),
    ]
    narrow = client.get(
        "/v1/pull-through", params={"brand": "acme", "from": "2026-05-03", "to": "2026-05-10"}
    ).json()
    assert (narrow["mentions"], narrow["overall"]["carried"]) == (2, 0)


def test_pull_through_bad_input(client: httpx.Client) -> None:
    for params, field in (({"brand": "nobody"}, "brand"), ({}, "brand")):
        response = client.get("/v1/pull-through", params=params)
        assert 400 <= response.status_code < 500
        assert response.headers["content-type"].startswith("application/problem+json")
        assert any(e["field"].endswith(field) for e in response.json()["errors"])


def test_share_of_voice_counts_a_story_once_by_default(client: httpx.Client) -> None:
    def totals(**params: str) -> dict[str, int]:
        body = client.get("/v1/share-of-voice", params={"brand": "acme", **WINDOW, **params})
        assert body.status_code == 200, body.text
        return {t["brand"]: t["mentions"] for t in body.json()["totals"]}

    assert totals() == {"acme": 3, "globex": 1}
    assert totals(count="document") == {"acme": 3, "globex": 1}
    assert totals(count="outlet") == {"acme": 4, "globex": 2}
    bad = client.get("/v1/share-of-voice", params={"brand": "acme", "count": "story"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")


def test_mentions_list_shows_key_messages_and_cluster(client: httpx.Client) -> None:
    items = client.get("/v1/mentions", params={"brand": "acme", **WINDOW}).json()["items"]
    a2 = next(i for i in items if i["document_id"] == "a2")
    assert a2["cluster_id"] == "a1"
    assert [m["message"] for m in a2["key_messages"]["carried"]] == [JOBS]
    assert [m["message"] for m in a2["key_messages"]["contradicted"]] == [GREEN]


def test_analyze_reports_carried_and_contradicted(client: httpx.Client) -> None:
    text = (
        "WeWork had reached an agreement with JLL to accept close to 1,000 maintenance and "
        "cleaning workers.\nThe group added that WeWork is not following through on its "
        "promise to treat employees with dignity and respect during this restructuring."
    )
    brand = {
        "name": "WeWork",
        "key_messages": [
            "WeWork treats its employees with dignity and respect.",
            "WeWork found new employers for its cleaning and maintenance staff.",
        ],
    }
    response = client.post("/v1/analyze", json={"text": text, "brands": [brand]})
    assert response.status_code == 200, response.text
    [found] = response.json()["mentions"]
    messages = found["key_messages"]
    assert [m["message"] for m in messages["carried"]] == [brand["key_messages"][1]]
    assert [m["message"] for m in messages["contradicted"]] == [brand["key_messages"][0]]
    assert messages["contradicted"][0]["sentence"].startswith("The group added")
