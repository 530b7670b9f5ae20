"""Coverage rankings (top outlets, top stories) on the real app under uvicorn,
on the hand-checked seed of ``test_sov_api``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service._app import create_app
from service._settings import Settings
from tests._servers import serve_app
from tests.service.test_api import assert_problem
from tests.service.test_sov_api import WIRE, _seed

MAY = {"brand": "acme", "from": "2026-05-01", "to": "2026-06-01"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    data: Path = tmp_path_factory.mktemp("coverage")
    settings = Settings(data_dir=data, crawl=False, extract_workers=1, model_threads=1)
    asyncio.run(_seed(settings.database_path))
    with serve_app(create_app(settings)) as base, httpx.Client(base_url=base, timeout=60) as c:
        yield c


def get(client: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/v1/coverage/{path}", params={**MAY, **params})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_top_outlets_with_sentiment_toward_the_brand(client: httpx.Client) -> None:
    def ranked(**params: Any) -> list[tuple[Any, ...]]:
        items = get(client, "top-outlets", **params)["items"]
        return [
            (
                i["outlet"],
                i["mentions"],
                i["reach"],
                i["positive"],
                i["negative"],
                i["net_sentiment"],
            )
            for i in items
        ]

    # count=document: d1 and d3 are one story in Daily (first copy d1, positive)
    assert ranked() == [
        ("Daily", 1, 1000, 1, 0, 1.0),
        (WIRE, 1, 200, 1, 0, 1.0),
        ("Blog", 1, 50, 0, 1, -1.0),
    ]
    assert ranked(count="outlet") == [
        ("Daily", 2, 2000, 1, 0, 0.5),
        (WIRE, 1, 200, 1, 0, 1.0),
        ("Blog", 1, 50, 0, 1, -1.0),
    ]
    assert [r[0] for r in ranked(count="outlet", sort="reach", limit=2)] == ["Daily", WIRE]
    assert ranked(channel="blog") == [("Blog", 1, 50, 0, 1, -1.0)]


def test_top_authors_with_sentiment_toward_the_brand(client: httpx.Client) -> None:
    def ranked(**params: Any) -> tuple[list[tuple[Any, ...]], int]:
        body = get(client, "top-authors", **params)
        items = [
            (i["author"], i["mentions"], i["reach"], i["positive"], i["neutral"], i["negative"])
            for i in body["items"]
        ]
        return items, body["unattributed"]

    # d1: Ann and Bo, d2: Ann, d3: Cy, d4: nobody; cluster d1 once per author
    assert ranked() == (
        [("Ann", 1, 1200, 1, 0, 0), ("Bo", 1, 1000, 1, 0, 0), ("Cy", 1, 1000, 0, 1, 0)],
        1,
    )
    assert ranked(count="outlet") == (
        [("Ann", 2, 1200, 2, 0, 0), ("Bo", 1, 1000, 1, 0, 0), ("Cy", 1, 1000, 0, 1, 0)],
        1,
    )
    globex = get(client, "top-authors", brand="globex")
    assert [(i["author"], i["mentions"], i["net_sentiment"]) for i in globex["items"]] == [
        ("Bo", 2, -0.5),
        ("Ann", 1, -1.0),
    ]
    assert globex["unattributed"] == 1


def test_top_stories_are_clusters_with_their_outlets(client: httpx.Client) -> None:
    items = get(client, "top-stories")["items"]
    assert items == [
        {
            "cluster_id": "d1",
            "title": "A title",
            "url": "https://news.example/d1",
            "copies": 3,
            "outlets": [{"outlet": "Daily", "copies": 2}, {"outlet": WIRE, "copies": 1}],
            "reach": 1200,
            "sentiment": "positive",
        },
        {
            "cluster_id": "d4",
            "title": "A title",
            "url": "https://news.example/d4",
            "copies": 1,
            "outlets": [{"outlet": "Blog", "copies": 1}],
            "reach": 50,
            "sentiment": "negative",
        },
    ]
    globex = get(client, "top-stories", brand="globex", limit=2)["items"]
    assert [(s["cluster_id"], s["copies"], s["reach"]) for s in globex] == [
        ("d1", 1, 1000),
        ("d4", 1, 50),
    ]


@pytest.mark.parametrize("path", ["top-outlets", "top-authors", "top-stories"])
@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"brand": "nobody"}, 400, "brand"),
        ({"limit": "0"}, 422, "limit"),
        ({"limit": "101"}, 422, "limit"),
        ({"tier": "x"}, 422, "query.tier.0"),
        ({"from": "2026-06-02"}, 400, "from"),
    ],
)
def test_bad_parameters(
    client: httpx.Client, path: str, params: dict[str, str], status: int, field: str
) -> None:
    response = client.get(f"/v1/coverage/{path}", params={**MAY, **params})
    assert_problem(response, status, field)


def test_missing_brand_and_bad_sort(client: httpx.Client) -> None:
    assert_problem(client.get("/v1/coverage/top-outlets"), 422, "brand")
    response = client.get("/v1/coverage/top-outlets", params={**MAY, "sort": "fame"})
    assert_problem(response, 422, "sort")


def pages(client: httpx.Client, sort: str, limit: int) -> list[tuple[str, str]]:
    served: list[tuple[str, str]] = []
    params: dict[str, Any] = {"from": "2026-05-01", "to": "2026-06-01", "sort": sort}
    for _ in range(20):
        body = client.get("/v1/mentions", params={**params, "limit": limit}).json()
        served += [(i["document_id"], i["brand"]) for i in body["items"]]
        if body["next_cursor"] is None:
            return served
        params["cursor"] = body["next_cursor"]
    raise AssertionError("paging did not end")


def test_mentions_sorted_and_paged_without_duplicates_or_gaps(client: httpx.Client) -> None:
    by_time = [
        ("d5", "globex"),
        ("d4", "globex"),
        ("d4", "acme"),
        ("d3", "acme"),
        ("d2", "acme"),
        ("d1", "globex"),
        ("d1", "acme"),
    ]
    by_reach = [
        ("d3", "acme"),  # 1000, newest first
        ("d1", "globex"),
        ("d1", "acme"),
        ("d2", "acme"),  # 200
        ("d4", "globex"),  # 50
        ("d4", "acme"),
        ("d5", "globex"),  # 10
    ]
    for limit in (1, 2, 3, 7):
        assert pages(client, "time", limit) == by_time
        assert pages(client, "reach", limit) == by_reach
        # every mention is in the title (the seed's), so prominence falls back to time
        assert pages(client, "prominence", limit) == by_time


def test_mentions_sort_filters_and_bad_cursor(client: httpx.Client) -> None:
    window = {"from": "2026-05-01", "to": "2026-06-01"}
    first = client.get("/v1/mentions", params={**window, "sort": "reach", "limit": 2}).json()
    other = client.get(
        "/v1/mentions", params={**window, "sort": "time", "cursor": first["next_cursor"]}
    )
    assert_problem(other, 400, "cursor")
    assert_problem(client.get("/v1/mentions", params={"sort": "loudness"}), 422, "sort")
    news = client.get("/v1/mentions", params={**window, "channel": "blog", "market": "us"})
    assert news.json()["items"] == []
    blog = client.get("/v1/mentions", params={**window, "channel": "blog", "sort": "reach"})
    assert [(i["document_id"], i["brand"]) for i in blog.json()["items"]] == [
        ("d4", "globex"),
        ("d4", "acme"),
    ]
