"""``GET /v1/executive-visibility`` on both stores through the real app under uvicorn.

Hand-checked dataset. Brands: ``acme`` (spokespeople Ann Lee, Bob Ray, Cy Dee;
competitor ``globex``) and ``globex`` (Gia Moe). "Old Exec" is named in an acme
mention but no longer in acme's configuration. Documents (id, time, outlet,
channel, audience, cluster; mentions as brand: sentiment [spokespeople named]):

- e1 05-04 09:00 Daily news 1000 e1; acme + [Ann], globex − [Gia]
- e2 05-04 12:00 Wire news 200, a copy of e1; acme + [Ann]
- e3 05-05 08:00 Blog blog 50 e3; acme − [Ann, Bob]
- e4 05-05 10:00 Daily news 1000 e4; acme 0 [], globex + [Gia]
- e5 05-06 10:00 Social social 10 e5; acme + [Old Exec]
- e6 05-06 11:00 Daily news 1000 e6; globex 0 []

``count=document``: Ann = clusters e1 (+, reach Daily 1000 + Wire 200) and e3 (−, 50):
2 mentions, reach 1250, net 0; Bob = e3: 1, 50, −1; Old Exec = e5: 1, 10, +1; Gia =
e1 (−, 1000) and e4 (+, 1000): 2, 2000, 0; Cy: 0. The set's spokespeople: 6 mentions,
reach 3310. acme has 4 units (e1, e3, e4, e5), globex 3 (e1, e4, e6).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from crawlers import Document
from enrichment import Brand, Mention, Sentiment, SentimentLabel
from search import ElasticsearchStore, SQLiteStore
from tests.service._seeded_app import BACKENDS, seeded_client
from tests.service.test_api import assert_problem
from tests.store_contract._data import utc

ANN, BOB, CY, GIA, OLD = "Ann Lee", "Bob Ray", "Cy Dee", "Gia Moe", "Old Exec"
BRANDS = [
    Brand(id="acme", name="Acme", competitors=("globex",), spokespeople=(ANN, BOB, CY)),
    Brand(id="globex", name="Globex", spokespeople=(GIA,)),
]
Said = tuple[str, SentimentLabel, tuple[str, ...]]
DOCS: list[tuple[str, Any, str, str, int, str, list[Said]]] = [
    ("e1", utc(2026, 5, 4, 9), "Daily", "news", 1000, "e1",
     [("acme", "positive", (ANN,)), ("globex", "negative", (GIA,))]),
    ("e2", utc(2026, 5, 4, 12), "Wire", "news", 200, "e1", [("acme", "positive", (ANN,))]),
    ("e3", utc(2026, 5, 5, 8), "Blog", "blog", 50, "e3", [("acme", "negative", (ANN, BOB))]),
    ("e4", utc(2026, 5, 5, 10), "Daily", "news", 1000, "e4",
     [("acme", "neutral", ()), ("globex", "positive", (GIA,))]),
    ("e5", utc(2026, 5, 6, 10), "Social", "social", 10, "e5", [("acme", "positive", (OLD,))]),
    ("e6", utc(2026, 5, 6, 11), "Daily", "news", 1000, "e6", [("globex", "neutral", ())]),
]  # fmt: skip
WINDOW = {"from": "2026-05-01", "to": "2026-06-01"}


@pytest.fixture(scope="module", params=BACKENDS)
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    async def seed(store: SQLiteStore | ElasticsearchStore) -> None:
        for brand in BRANDS:
            await store.put_brand(brand)
        for doc_id, at, outlet, channel, audience, cluster, said in DOCS:
            document = Document(
                id=doc_id,
                url=f"https://{outlet.lower()}.example/{doc_id}",
                source_id=outlet.lower(),
                outlet=outlet,
                domain=f"{outlet.lower()}.example",
                title=f"Story {doc_id}",
                text="Text.",
                fetched_at=at + timedelta(minutes=5),
                published_at=at,
                channel=channel,  # type: ignore[arg-type]
                audience=audience,
            )
            mentions = [
                Mention(
                    document_id=doc_id,
                    brand_id=brand,
                    sentiment=Sentiment(label, 0.9),
                    spokespeople=names,
                    cluster_id=cluster,
                )
                for brand, label, names in said
            ]
            await store.save_document(document, mentions)

    with seeded_client(request, tmp_path_factory, name="exv", seed=seed) as http:
        yield http


def visibility(client: httpx.Client, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/executive-visibility", params={**WINDOW, **params})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def rows(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    keys = ("brand", "mentions", "share", "reach", "reach_share", "positive", "neutral",
            "negative", "net_sentiment", "brand_mentions", "brand_share")  # fmt: skip
    return [(i["spokesperson"], *(i[k] for k in keys)) for i in body["items"]]


def test_each_spokesperson_of_the_set(client: httpx.Client) -> None:
    body = visibility(client, brand="acme")
    assert body["brands"] == ["acme", "globex"] and body["count"] == "document"
    assert (body["mentions"], body["reach"], body["series"]) == (6, 3310, None)
    assert rows(body) == [
        (GIA, "globex", 2, 0.333333, 2000, 0.60423, 1, 0, 1, 0.0, 3, 0.666667),
        (ANN, "acme", 2, 0.333333, 1250, 0.377644, 1, 0, 1, 0.0, 4, 0.5),
        (BOB, "acme", 1, 0.166667, 50, 0.015106, 0, 0, 1, -1.0, 4, 0.25),
        (OLD, "acme", 1, 0.166667, 10, 0.003021, 1, 0, 0, 1.0, 4, 0.25),
        (CY, "acme", 0, 0.0, 0, 0.0, 0, 0, 0, 0.0, 4, 0.0),
    ]


def test_every_copy_and_filters(client: httpx.Client) -> None:
    outlet = visibility(client, brand="acme", count="outlet")
    # Ann: e1, e2 (+) and e3 (−); acme's mentions: e1..e5 = 5
    assert rows(outlet)[0] == (ANN, "acme", 3, 0.428571, 1250, 0.377644, 2, 0, 1,
                               0.333333, 5, 0.6)  # fmt: skip
    assert outlet["mentions"] == 7
    news = visibility(client, brand="acme", channel="news")
    assert [(i["spokesperson"], i["mentions"], i["share"]) for i in news["items"]][:2] == [
        (GIA, 2, 0.666667),
        (ANN, 1, 0.333333),
    ]
    alone = visibility(client, brands="globex")
    assert rows(alone) == [(GIA, "globex", 2, 1.0, 2000, 1.0, 1, 0, 1, 0.0, 3, 0.666667)]
    everyone = visibility(client)
    assert everyone["brands"] == ["acme", "globex"] and everyone["mentions"] == 6


def test_daily_series(client: httpx.Client) -> None:
    body = visibility(
        client, brand="acme", interval="day", **{"from": "2026-05-04", "to": "2026-05-07"}
    )
    assert [
        (b["start"][:10], b["mentions"], [(p["mentions"], p["share"], p["reach"])
                                          for p in b["items"]])
        for b in body["series"]
    ] == [
        # order of the totals: Gia, Ann, Bob, Old Exec, Cy
        ("2026-05-04", 2, [(1, 0.5, 1000), (1, 0.5, 1200), (0, 0.0, 0), (0, 0.0, 0), (0, 0.0, 0)]),
        ("2026-05-05", 3, [(1, 0.333333, 1000), (1, 0.333333, 50), (1, 0.333333, 50),
                           (0, 0.0, 0), (0, 0.0, 0)]),
        ("2026-05-06", 1, [(0, 0.0, 0), (0, 0.0, 0), (0, 0.0, 0), (1, 1.0, 10), (0, 0.0, 0)]),
    ]  # fmt: skip


def test_csv(client: httpx.Client) -> None:
    response = client.get(
        "/v1/executive-visibility",
        params={"brand": "acme", "interval": "week", "format": "csv", **WINDOW},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.text)))
    totals = [r for r in table if r["scope"] == "total"]
    assert [(r["spokesperson"], r["mentions"], r["share"]) for r in totals] == [
        (GIA, "2", "0.333333"),
        (ANN, "2", "0.333333"),
        (BOB, "1", "0.166667"),
        (OLD, "1", "0.166667"),
        (CY, "0", "0.0"),
    ]
    buckets = [r for r in table if r["scope"] == "bucket"]
    assert len(buckets) == 5 * 5  # five weeks touch May (Mondays 04-27 to 05-25), 5 people
    assert sum(int(r["mentions"]) for r in buckets) == 6
    accepted = client.get(
        "/v1/executive-visibility", params={"brand": "acme", **WINDOW},
        headers={"Accept": "text/csv"},
    )  # fmt: skip
    assert accepted.headers["content-type"].startswith("text/csv")


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"brand": "nobody"}, 404, None),
        ({"brands": "acme,nobody"}, 404, None),
        ({"brand": "acme", "brands": "globex"}, 400, "brands"),
        ({"brand": "acme", "interval": "year"}, 422, "interval"),
        ({"brand": "acme", "format": "xml"}, 422, "format"),
        ({"brand": "acme", "from": "2026-06-02"}, 400, "from"),
        ({"brand": "acme", "tz": "Nowhere/Land"}, 400, "tz"),
        ({"brand": "acme", "interval": "hour", "from": "2020-01-01"}, 400, "interval"),
        ({"brand": "acme", "count": "page"}, 422, "count"),
    ],
)
def test_bad_input_is_a_problem(
    client: httpx.Client, params: dict[str, str], status: int, field: str | None
) -> None:
    response = client.get("/v1/executive-visibility", params={**WINDOW, **params})
    assert_problem(response, status, field)
