"""``POST /v1/queries/validate`` on the real app under uvicorn, over a real SQLite
store holding documents: explanation, matches with spans and snippets, totals,
and 422 problems that name the position."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from crawlers import Document
from enrichment import Mention, Sentiment
from search import SQLiteStore
from service._app import create_app
from service._settings import Settings
from tests._servers import serve_app

NOW = datetime.now(UTC).replace(microsecond=0)

# (id, hours ago, domain, language, title, text)
DOCS = [
    ("v1", 5, "bbc.co.uk", "en", "Apple unveils a phone", "Apple said the phone ships in May."),
    ("v2", 4, "food.example", "en", "Recipes", "Bake an apple pie. Apple fans queue for phones."),
    ("v3", 3, "lemonde.fr", "fr", "Apple en France", "Apple ouvre une boutique à Paris."),
    ("v4", 2, "news.bbc.co.uk", "en", "Markets", "Shares of Globex fell; nothing on phones."),
    ("v5", 1, "food.example", "en", "Pie season", "An apple pie and a pear tart."),
]  # fmt: skip


def _save(path: Path) -> None:
    async def run() -> None:
        store = SQLiteStore(path)
        await store.open()
        try:
            for doc_id, hours, domain, language, title, text in DOCS:
                document = Document(
                    id=doc_id, url=f"https://{domain}/{doc_id}", source_id="s", outlet=domain,
                    domain=domain, title=title, text=text, language=language,
                    fetched_at=NOW, published_at=NOW - timedelta(hours=hours),
                )  # fmt: skip
                mention = Mention(
                    document_id=doc_id, brand_id="any", sentiment=Sentiment("neutral", 1.0)
                )
                await store.save_document(document, [mention])
        finally:
            await store.close()

    asyncio.run(run())


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    data: Path = tmp_path_factory.mktemp("validate")
    _save(data / "seeded.db")
    settings = Settings(data_dir=data, crawl=False, extract_workers=1, model_threads=1)
    app = create_app(settings, store=SQLiteStore(data / "seeded.db"))
    with serve_app(app) as base, httpx.Client(base_url=base, timeout=60) as c:
        yield c


def test_a_valid_query_is_explained_and_shows_its_matches(client: httpx.Client) -> None:
    response = client.post(
        "/v1/queries/validate", json={"query": 'apple  NOT "apple pie" lang:EN', "limit": 5}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid"] is True
    explanation = body["explanation"]
    assert explanation["query"] == 'apple AND NOT "apple pie" AND lang:en'
    assert explanation["tree"]["type"] == "and"
    assert [c["type"] for c in explanation["tree"]["children"]] == ["phrase", "not", "value"]
    assert explanation["outline"][0] == "ALL of:"
    assert any("language en" in line for line in explanation["outline"])
    matches = body["matches"]
    assert matches == {**matches, "total": 1, "complete": True}  # v2 has "apple pie"; v3 is fr
    [item] = matches["items"]
    assert item["document_id"] == "v1"
    spans = [(s["field"], s["text"]) for s in item["spans"]]
    assert spans == [("title", "Apple"), ("text", "Apple")]
    assert item["snippets"][0] == "Apple unveils a phone"


def test_matches_are_newest_first_and_limited(client: httpx.Client) -> None:
    body = client.post("/v1/queries/validate", json={"query": "apple", "limit": 2}).json()
    assert body["matches"]["total"] == 4
    assert [m["document_id"] for m in body["matches"]["items"]] == ["v5", "v3"]
    site = client.post("/v1/queries/validate", json={"query": "site:bbc.co.uk"}).json()
    assert [m["document_id"] for m in site["matches"]["items"]] == ["v4", "v1"]
    assert site["matches"]["items"][0]["spans"] == []  # a metadata match has no spans
    none = client.post("/v1/queries/validate", json={"query": "initech", "limit": 0}).json()
    assert none["matches"] == {"total": 0, "complete": True, "items": []}


@pytest.mark.parametrize(
    ("query", "position"),
    [("apple AND", 9), ('"apple pie', 0), ("apple NEAR/0 pie", 11), ("lang:english", 5)],
)
def test_an_invalid_query_is_a_422_naming_the_position(
    client: httpx.Client, query: str, position: int
) -> None:
    response = client.post("/v1/queries/validate", json={"query": query})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    [error] = body["errors"]
    assert error["field"] == "body.query"
    assert error["position"] == position
    assert f"position {position}" in body["detail"]


@pytest.mark.parametrize(
    "payload", [{}, {"query": ""}, {"query": "a", "limit": 51}, {"query": "a", "extra": 1}]
)
def test_bad_bodies_are_422_problems(client: httpx.Client, payload: dict[str, object]) -> None:
    response = client.post("/v1/queries/validate", json=payload)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_brand_exclusions_are_validated_and_kept(client: httpx.Client) -> None:
    brand = {"id": "apple", "name": "Apple", "exclusions": ["apple pie", '"Big Apple"']}
    created = client.post("/v1/brands", json=brand)
    assert created.status_code == 201, created.text
    assert client.get("/v1/brands/apple").json()["exclusions"] == ["apple pie", '"Big Apple"']
    bad = client.post("/v1/brands", json={"id": "b", "name": "B", "exclusions": ["apple -pie"]})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"].endswith("exclusions.0")
    assert "not a phrase" in bad.json()["errors"][0]["message"]
    assert client.delete("/v1/brands/apple").status_code == 204


def test_analyze_applies_exclusions(client: httpx.Client) -> None:
    body = {
        "title": "Pie season",
        "text": "An apple pie recipe. Apple stores stay open.",
        "brands": [{"name": "Apple", "exclusions": ["apple pie"]}],
    }
    response = client.post("/v1/analyze", json=body)
    assert response.status_code == 200, response.text
    [mention] = response.json()["mentions"]
    assert mention["count"] == 1
    assert mention["snippets"] == ["Apple stores stay open."]
