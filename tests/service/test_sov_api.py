"""Share-of-voice variants, breakdowns, filters and CSV on the real app under
uvicorn, with a real SQLite file seeded before the app starts. Every number is
written out by hand from the seed (the dataset of
``tests/store_contract/test_stats.py``, outlet names aside).
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from enrichment import Brand, SentimentLabel
from search import SQLiteStore
from service._app import create_app
from service._settings import Settings
from tests._servers import serve_app
from tests.service.test_api import assert_problem
from tests.store_contract._data import doc, mention, utc

WIRE = 'The "Wire", Inc'  # a name CSV has to quote
DOCS: list[tuple[str, Any, str, str, int, int, str | None, str | None, str]] = [
    ("d1", utc(2026, 5, 4, 9), "Daily", "news", 1, 1000, "US", "en", "d1"),
    ("d2", utc(2026, 5, 4, 12), WIRE, "news", 2, 200, "GB", "en", "d1"),
    ("d3", utc(2026, 5, 5, 8), "Daily", "news", 1, 1000, "US", "en", "d1"),
    ("d4", utc(2026, 5, 5, 10), "Blog", "blog", 3, 50, None, "fr", "d4"),
    ("d5", utc(2026, 5, 31, 23), "Social", "social", 3, 10, "US", None, "d5"),
]
MENTIONS: dict[str, list[tuple[str, SentimentLabel]]] = {
    "d1": [("acme", "positive"), ("globex", "negative")],
    "d2": [("acme", "positive")],
    "d3": [("acme", "neutral")],
    "d4": [("acme", "negative"), ("globex", "positive")],
    "d5": [("globex", "neutral")],
}
AUTHORS: dict[str, tuple[str, ...]] = {
    "d1": ("Ann", "Bo"),
    "d2": ("Ann",),
    "d3": ("Cy",),
    "d4": (),
    "d5": ("Bo",),
}
MAY = {"brand": "acme", "from": "2026-05-01", "to": "2026-06-01", "interval": "month"}


async def _seed(path: Path) -> None:
    store = SQLiteStore(path)
    await store.open()
    try:
        await store.put_brand(Brand(id="acme", name="Acme", competitors=("globex",)))
        await store.put_brand(Brand(id="globex", name="Globex"))
        for doc_id, at, outlet, channel, tier, audience, country, language, cluster in DOCS:
            document = doc(doc_id, published_at=at).replace(
                outlet=outlet,
                channel=channel,
                tier=tier,
                audience=audience,
                country=country,
                language=language,
                authors=AUTHORS[doc_id],
            )
            await store.save_document(
                document,
                [
                    replace(mention(doc_id, brand, label), cluster_id=cluster)
                    for brand, label in MENTIONS[doc_id]
                ],
            )
    finally:
        await store.close()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    data: Path = tmp_path_factory.mktemp("sov")
    settings = Settings(data_dir=data, crawl=False, extract_workers=1, model_threads=1)
    asyncio.run(_seed(settings.database_path))
    with serve_app(create_app(settings)) as base, httpx.Client(base_url=base, timeout=60) as c:
        yield c


def sov(client: httpx.Client, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/share-of-voice", params={**MAY, **params})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def figures(brands: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    keys = ("mentions", "share", "reach", "reach_share", "positive", "neutral", "negative")
    return {
        b["brand"]: (*(b[k] for k in keys), b["positive_share"], b["net_sentiment"]) for b in brands
    }


def test_every_variant_counting_clusters_once(client: httpx.Client) -> None:
    body = sov(client)
    assert body["count"] == "document"
    # acme: cluster d1 (+, Daily 1000 + Wire 200) and d4 (-, 50); globex: d1, d4, d5.
    assert figures(body["totals"]) == {
        "acme": (2, 0.4, 1250, 0.541126, 1, 0, 1, 0.5, 0.0),
        "globex": (3, 0.6, 1060, 0.458874, 1, 1, 1, 0.5, 0.0),
    }
    assert body["total"] == {
        "mentions": 5,
        "reach": 2310,
        "positive": 2,
        "neutral": 1,
        "negative": 2,
    }
    assert [(b["start"], b["total"], b["reach"]) for b in body["series"]] == [
        ("2026-05-01T00:00:00Z", 5, 2310)
    ]
    assert body["breakdown"] is None


def test_every_variant_counting_every_copy(client: httpx.Client) -> None:
    body = sov(client, count="outlet")
    assert figures(body["totals"]) == {
        "acme": (4, 0.571429, 2250, 0.679758, 2, 1, 1, 0.666667, 0.25),
        "globex": (3, 0.428571, 1060, 0.320242, 1, 1, 1, 0.333333, 0.0),
    }


def test_breakdown_by_channel(client: httpx.Client) -> None:
    body = sov(client, by="channel")
    groups = body["breakdown"]
    # blog and news have 2 units each (ties by name), social 1
    assert [(g["key"], g["total"]["mentions"]) for g in groups] == [
        ("blog", 2),
        ("news", 2),
        ("social", 1),
    ]
    assert figures(groups[1]["brands"]) == {
        "acme": (1, 0.5, 1200, 0.545455, 1, 0, 0, 1.0, 1.0),
        "globex": (1, 0.5, 1000, 0.454545, 0, 0, 1, 0.0, -1.0),
    }
    assert figures(groups[0]["brands"])["acme"][-1] == -1.0
    assert figures(groups[2]["brands"])["acme"][:2] == (0, 0.0)


def test_breakdowns_by_market_tier_outlet_and_language(client: httpx.Client) -> None:
    def keys(by: str) -> list[tuple[Any, int]]:
        return [(g["key"], g["total"]["mentions"]) for g in sov(client, by=by)["breakdown"]]

    assert keys("market") == [("US", 3), (None, 2), ("GB", 1)]  # no market: last of its rank
    assert keys("tier") == [(3, 3), (1, 2), (2, 1)]
    assert keys("outlet") == [("Blog", 2), ("Daily", 2), ("Social", 1), (WIRE, 1)]
    assert keys("language") == [("en", 2), ("fr", 2), (None, 1)]  # cluster d1 once in "en"


def test_filters(client: httpx.Client) -> None:
    def mentions(**params: Any) -> dict[str, int]:
        body = sov(client, count="outlet", **params)
        return {b["brand"]: b["mentions"] for b in body["totals"]}

    assert mentions(channel=["news", "blog"]) == {"acme": 4, "globex": 2}
    assert mentions(market="gb") == {"acme": 1, "globex": 0}
    assert mentions(tier=[1]) == {"acme": 2, "globex": 1}
    assert mentions(language="fr") == {"acme": 1, "globex": 1}
    assert mentions(outlet=[WIRE, "Social"]) == {"acme": 1, "globex": 1}


def test_daily_series_in_the_callers_zone(client: httpx.Client) -> None:
    body = sov(
        client, interval="day", tz="Europe/Paris", **{"from": "2026-05-04", "to": "2026-05-06"}
    )
    assert [
        (b["start"], [(v["brand"], v["mentions"], v["reach"]) for v in b["brands"]])
        for b in body["series"]
    ] == [
        ("2026-05-04T00:00:00+02:00", [("acme", 1, 1200), ("globex", 1, 1000)]),
        ("2026-05-05T00:00:00+02:00", [("acme", 1, 50), ("globex", 1, 50)]),
    ]


def test_csv_by_format_and_by_accept(client: httpx.Client) -> None:
    response = client.get("/v1/share-of-voice", params={**MAY, "by": "outlet", "format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    text = response.text
    assert text.startswith(
        "scope,start,dimension,group,brand,mentions,share,reach,reach_share,"
        "positive,neutral,negative,positive_share,net_sentiment\r\n"
    )
    assert 'group,2026-05-01T00:00:00+00:00,outlet,"The ""Wire"", Inc",acme,1,1.0,200,1.0,' in text
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == 2 + 2 + 4 * 2  # totals, one bucket, four outlets, per brand
    assert [(r["scope"], r["brand"], r["mentions"], r["reach"]) for r in table[:2]] == [
        ("total", "acme", "2", "1250"),
        ("total", "globex", "3", "1060"),
    ]
    accepted = client.get("/v1/share-of-voice", params=MAY, headers={"Accept": "text/csv"})
    assert accepted.headers["content-type"].startswith("text/csv")
    assert accepted.text.splitlines()[1].startswith("total,2026-05-01T00:00:00+00:00,,,acme,2,0.4,")
    as_json = client.get(
        "/v1/share-of-voice", params={**MAY, "format": "json"}, headers={"Accept": "text/csv"}
    )
    assert as_json.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"by": "colour"}, 422, "by"),
        ({"channel": "tv"}, 422, "query.channel.0"),
        ({"tier": "0"}, 422, "query.tier.0"),
        ({"tier": ["1", "top"]}, 422, "query.tier.1"),
        ({"format": "xml"}, 422, "format"),
        ({"count": "story"}, 422, "count"),
        ({"interval": "year"}, 422, "interval"),
        ({"interval": "hour", "from": "2020-01-01"}, 400, "interval"),
        ({"tz": "Mars/Olympus"}, 400, "tz"),
    ],
)
def test_bad_parameters_are_problems_naming_them(
    client: httpx.Client, params: dict[str, Any], status: int, field: str
) -> None:
    assert_problem(client.get("/v1/share-of-voice", params={**MAY, **params}), status, field)
