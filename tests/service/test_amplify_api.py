"""``GET /v1/amplify`` on both stores through the real app under uvicorn, on the
hand-checked dataset of ``_amplify_data`` (every number is worked out there):
JSON, CSV, RSS and Atom (parsed back with feedparser), filters and bad input."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import feedparser
import httpx
import pytest

from search import ElasticsearchStore, SQLiteStore
from tests.service._amplify_data import ACME, EXPECTED, GLOBEX, NOW, dataset
from tests.service._seeded_app import BACKENDS, seeded_client
from tests.service.test_api import assert_problem

AT = {"brand": "acme", "at": NOW.isoformat()}


@pytest.fixture(scope="module", params=BACKENDS)
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    async def seed(store: SQLiteStore | ElasticsearchStore) -> None:
        await store.put_brand(ACME)
        await store.put_brand(GLOBEX)
        for document, mentions in dataset():
            await store.save_document(document, mentions)

    with seeded_client(request, tmp_path_factory, name="amp", seed=seed) as http:
        yield http


def ranked(client: httpx.Client, **params: Any) -> list[tuple[str, float]]:
    response = client.get("/v1/amplify", params={**AT, **params})
    assert response.status_code == 200, response.text
    return [(i["document_id"], i["score"]) for i in response.json()["items"]]


def expected(*ids: str) -> list[tuple[str, float]]:
    return [(i, EXPECTED[i]) for i in ids]


def test_ranked_as_worked_out(client: httpx.Client) -> None:
    body = client.get("/v1/amplify", params=AT).json()
    assert (body["brand"], body["brand_name"], body["days"]) == ("acme", "Acme", 7)
    assert (body["from"], body["to"]) == ("2026-05-03T12:00:00Z", "2026-05-10T12:00:00Z")
    assert body["sentiment"] == ["positive"] and body["half_life_hours"] == 48.0
    assert [(i["rank"], i["document_id"], i["score"]) for i in body["items"]] == [
        (1, "a1", EXPECTED["a1"]),
        (2, "a9", EXPECTED["a9"]),
        (3, "a3", EXPECTED["a3"]),
        (4, "a5", EXPECTED["a5"]),
    ]
    a1 = body["items"][0]
    assert (a1["cluster_id"], a1["also_in"], a1["outlet"]) == ("a2", ["Wire"], "Daily")
    assert a1["components"] == {
        "sentiment": 0.9,
        "reach": 0.75,
        "tier": 1.0,
        "messages": 0.5,
        "engagement": None,
        "freshness": 0.917004,
    }
    assert a1["reasons"] == [
        "positive toward Acme (p=0.90)",
        "tier 1 outlet",
        "reach 1M",
        "carries 'Fast delivery'",
        "published 6 h ago",
        "also in 1 other outlet(s)",
    ]
    a5 = body["items"][3]
    assert a5["engagement"] == {"likes": 900, "reposts": 90, "replies": 9, "views": 100}
    assert a5["components"]["engagement"] == 0.7501
    assert body["items"][1]["contradicted"] == ["Green energy"]


def test_options_and_filters(client: httpx.Client) -> None:
    assert ranked(client, min_sentiment="neutral") == expected("a1", "a9", "a3", "a5", "a6")
    assert ranked(client, days=10) == expected("a1", "a9", "a3", "a8", "a5")
    assert ranked(client, limit=2) == expected("a1", "a9")
    assert ranked(client, channel="social") == expected("a5")
    # tier 1 only: a2 (Wire, tier 2) is not read, so a1 is alone in its cluster
    body = client.get("/v1/amplify", params={**AT, "tier": 1}).json()
    assert [(i["document_id"], i["also_in"]) for i in body["items"]] == [("a1", []), ("a9", [])]
    assert ranked(client, outlet="Wire") == [("a2", 0.706199)]
    assert ranked(client, market="gb") == []
    assert ranked(client, language="en", tz="Europe/Paris") == expected("a1", "a9", "a3", "a5")
    # at a naive local time: 14:00 in Paris is NOW
    naive = client.get(
        "/v1/amplify", params={"brand": "acme", "at": "2026-05-10T14:00:00", "tz": "Europe/Paris"}
    ).json()
    assert naive["to"] == "2026-05-10T14:00:00+02:00"
    assert [i["score"] for i in naive["items"]][:1] == [EXPECTED["a1"]]
    assert naive["items"][0]["published_at"] == "2026-05-10T08:00:00+02:00"
    # globex's own mention of a1: (.225 + .15 + .15 + 0 + .137551) / .9
    assert ranked(client, brand="globex") == [("a1", 0.736167)]


def test_csv(client: httpx.Client) -> None:
    response = client.get("/v1/amplify", params={**AT, "format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.startswith("rank,score,title,url,outlet,")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["rank"], r["document_id"], r["score"]) for r in table] == [
        ("1", "a1", "0.819501"),
        ("2", "a9", "0.737372"),
        ("3", "a3", "0.689712"),
        ("4", "a5", "0.506077"),
    ]
    assert table[0]["also_in"] == "Wire" and table[0]["engagement_component"] == ""
    assert table[2]["carried"] == "Fast delivery; Green energy"
    assert table[0]["reasons"].startswith("positive toward Acme (p=0.90); tier 1 outlet;")
    accepted = client.get("/v1/amplify", params=AT, headers={"Accept": "text/csv"})
    assert accepted.headers["content-type"].startswith("text/csv")


def test_rss_feed_parses(client: httpx.Client) -> None:
    response = client.get("/v1/amplify", params={**AT, "format": "rss"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/rss+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20"
    assert feed.feed.title == "Amplification candidates: Acme"
    assert [e.link for e in feed.entries] == [
        "https://daily.example/a1",
        "https://daily.example/a9",
        "https://blog.example/a3",
        "https://social.example/a5",
    ]
    first = feed.entries[0]
    assert first.title == "Acme story a1"
    assert first.summary.startswith("#1, score 0.820 (Daily): positive toward Acme")
    assert first.published_parsed[:5] == (2026, 5, 10, 6, 0)
    assert first.id.startswith("urn:uuid:") and first.guidislink is False
    again = feedparser.parse(client.get("/v1/amplify", params={**AT, "format": "rss"}).content)
    assert [e.id for e in again.entries] == [e.id for e in feed.entries]  # stable identities
    assert len({e.id for e in feed.entries}) == 4


def test_atom_feed_parses(client: httpx.Client) -> None:
    response = client.get("/v1/amplify", params={**AT, "format": "atom", "limit": 3})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "Amplification candidates: Acme"
    assert feed.feed.updated_parsed[:4] == (2026, 5, 10, 12)
    assert [(e.link, e.title) for e in feed.entries] == [
        ("https://daily.example/a1", "Acme story a1"),
        ("https://daily.example/a9", "Acme story a9"),
        ("https://blog.example/a3", "Acme story a3"),
    ]
    assert "contradicts 'Green energy'" in feed.entries[1].summary
    assert feed.entries[0].id.startswith("urn:uuid:")
    assert [e.author for e in feed.entries] == ["Daily", "Daily", "Blog"]


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"brand": "nobody"}, 404, None),
        ({"format": "pdf"}, 422, "format"),
        ({"days": "0"}, 422, "days"),
        ({"days": "32"}, 422, "days"),
        ({"limit": "101"}, 422, "limit"),
        ({"min_sentiment": "negative"}, 422, "min_sentiment"),
        ({"tz": "Mars/Olympus"}, 400, "tz"),
        ({"at": "yesterday"}, 422, "at"),
        ({"tier": "x"}, 422, "query.tier.0"),
    ],
)
def test_bad_input_is_a_problem(
    client: httpx.Client, params: dict[str, str], status: int, field: str | None
) -> None:
    response = client.get("/v1/amplify", params={**AT, **params})
    body = assert_problem(response, status, field)
    if status == 404:
        assert "nobody" in body["title"]


def test_brand_is_required(client: httpx.Client) -> None:
    assert_problem(client.get("/v1/amplify"), 422, "brand")
