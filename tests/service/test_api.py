"""The API on a real uvicorn server: configuration CRUD, analysis, and bad input.

Bad input always gets a 4xx problem body that names the field, never a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service._app import create_app
from service._settings import Settings
from tests._servers import serve_app

ACME = {
    "id": "acme",
    "name": "Acme",
    "query": '"Acme" NOT "Acme Hardware"',
    "competitors": ["globex"],
}
GLOBEX = {"id": "globex", "name": "Globex"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    data: Path = tmp_path_factory.mktemp("api")
    settings = Settings(data_dir=data, crawl=False, extract_workers=1, model_threads=2)
    with serve_app(create_app(settings)) as base, httpx.Client(base_url=base) as c:
        yield c


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"]
    if field is not None:
        fields = [e["field"] for e in body.get("errors") or []]
        assert any(f.endswith(field) for f in fields), (field, body)
    return body


def test_health_and_readiness(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["crawling"] is False


def test_brand_crud(client: httpx.Client) -> None:
    assert client.put("/v1/brands/globex", json=GLOBEX).status_code == 200
    created = client.post("/v1/brands", json=ACME)
    assert created.status_code == 201, created.text
    assert_problem(client.post("/v1/brands", json=ACME), 409)
    assert client.get("/v1/brands/acme").json()["competitors"] == ["globex"]
    assert [b["id"] for b in client.get("/v1/brands").json()["items"]] == ["acme", "globex"]
    changed = {**ACME, "aliases": ["Acme Corp"]}
    assert client.put("/v1/brands/acme", json=changed).json()["aliases"] == ["Acme Corp"]
    assert client.delete("/v1/brands/acme").status_code == 204
    assert_problem(client.delete("/v1/brands/acme"), 404)
    assert_problem(client.get("/v1/brands/acme"), 404)


def test_a_bad_query_is_refused_with_its_position(client: httpx.Client) -> None:
    body = assert_problem(
        client.post("/v1/brands", json={"id": "bad", "name": "Bad", "query": '"Acme" AND ('}),
        422,
        "query",
    )
    assert "position" in body["detail"] or "position" in str(body["errors"])


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"id": "Not A Slug", "name": "x"}, "id"),
        ({"id": "x"}, "name"),
        ({"id": "x", "name": "x", "competitors": ["NO WAY"]}, "competitors.0"),
        ({"id": "x", "name": "x", "owned_domains": ["not a domain"]}, "owned_domains.0"),
        ({"id": "x", "name": "x", "surprise": 1}, "surprise"),
    ],
)
def test_bad_brands_name_the_field(client: httpx.Client, payload: dict, field: str) -> None:
    assert_problem(client.post("/v1/brands", json=payload), 422, field)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"id": "s", "url": "ftp://example.com/feed", "outlet": "X"}, "url"),
        ({"id": "s", "url": "https://example.com/feed", "outlet": "X", "tier": 0}, "tier"),
        ({"id": "s", "url": "https://example.com/feed", "outlet": "X", "channel": "tv"}, "channel"),
        ({"id": "s", "url": "https://example.com/feed", "outlet": "X", "audience": -1}, "audience"),
    ],
)
def test_bad_sources_name_the_field(client: httpx.Client, payload: dict, field: str) -> None:
    assert_problem(client.post("/v1/sources", json=payload), 422, field)


def test_source_crud(client: httpx.Client) -> None:
    source = {"id": "wire", "url": "https://www.example.com/rss", "outlet": "Example Wire"}
    created = client.post("/v1/sources", json=source).json()
    assert created["domain"] == "example.com" and created["tier"] == 3
    assert_problem(client.put("/v1/sources/other", json=source), 422)
    assert client.delete("/v1/sources/wire").status_code == 204


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"brands": "acme", "tz": "Mars/Olympus"}, 400, "tz"),
        ({"brands": "acme", "from": "2026-02-01", "to": "2026-01-01"}, 400, "from"),
        ({"brands": "acme", "from": "yesterday"}, 422, "from"),
        ({"brands": "acme", "interval": "fortnight"}, 422, "interval"),
        ({"brands": "nobody"}, 400, "brands"),
        ({"brand": "acme", "brands": "acme"}, 400, "brands"),
        ({"brands": "acme", "interval": "hour", "from": "2000-01-01"}, 400, "interval"),
    ],
)
def test_share_of_voice_bad_input(
    client: httpx.Client, params: dict, status: int, field: str
) -> None:
    client.put("/v1/brands/acme", json=ACME)
    assert_problem(client.get("/v1/share-of-voice", params=params), status, field)


def test_share_of_voice_of_a_quiet_set_is_zero_not_an_error(client: httpx.Client) -> None:
    client.put("/v1/brands/acme", json=ACME)
    client.put("/v1/brands/globex", json=GLOBEX)
    body = client.get(
        "/v1/share-of-voice",
        params={"brand": "acme", "from": "2026-11-01", "to": "2026-11-08", "tz": "Europe/Paris"},
    ).json()
    assert body["brands"] == ["acme", "globex"]
    assert len(body["series"]) == 7
    assert body["series"][0]["start"] == "2026-11-01T00:00:00+01:00"
    assert [t["share"] for t in body["totals"]] == [0.0, 0.0]


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"cursor": "not-a-cursor"}, 400, "cursor"),
        ({"sentiment": "ecstatic"}, 422, "sentiment"),
        ({"q": "Acme AND (Globex"}, 400, "q"),
        ({"limit": 0}, 422, "limit"),
        ({"limit": 10_000}, 422, "limit"),
    ],
)
def test_mentions_bad_input(client: httpx.Client, params: dict, status: int, field: str) -> None:
    assert_problem(client.get("/v1/mentions", params=params), status, field)


def test_analyze_finds_each_brand_with_its_own_sentiment(client: httpx.Client) -> None:
    text = (
        "Acme beat Globex in the quarter as its sales soared. "
        "Globex shares fell after the company cut its forecast again."
    )
    body = client.post(
        "/v1/analyze",
        json={"text": text, "brands": [{"name": "Acme"}, {"name": "Globex"}, {"name": "Initech"}]},
    ).json()
    found = {m["brand"]: m for m in body["mentions"]}
    assert set(found) == {"Acme", "Globex"}
    assert found["Globex"]["count"] == 2
    assert body["language"] == "en"
    for m in found.values():
        assert m["sentiment"]["label"] in {"negative", "neutral", "positive"}
        assert 0.0 <= m["sentiment"]["score"] <= 1.0
        assert m["snippets"]


def test_analyze_html_runs_extraction(client: httpx.Client) -> None:
    paragraph = "Acme opened a new factory in Ohio, adding hundreds of jobs to the region. " * 6
    html = (
        "<html><head><title>Acme expands</title></head><body><nav>Home News</nav>"
        f"<article><h1>Acme expands in Ohio</h1><p>{paragraph}</p></article></body></html>"
    )
    body = client.post("/v1/analyze", json={"html": html, "brands": [{"name": "Acme"}]}).json()
    assert "factory in Ohio" in body["text"] and "Home News" not in body["text"]
    assert [m["brand"] for m in body["mentions"]] == ["Acme"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"brands": [{"name": "Acme"}]}, "body"),
        ({"text": "x", "brands": []}, "brands"),
        ({"text": "x", "brands": [{"name": "Acme", "query": "Acme AND"}]}, "brands.0.query"),
        ({"text": "x"}, "brands"),
        ({"text": "x", "url": "0", "brands": [{"name": "Acme"}]}, "url"),  # found by fuzzing
    ],
)
def test_analyze_bad_input(client: httpx.Client, payload: dict, field: str) -> None:
    response = client.post("/v1/analyze", json=payload)
    assert response.status_code in (400, 422), response.text
    assert_problem(response, response.status_code, field)


def test_malformed_json_is_a_4xx(client: httpx.Client) -> None:
    response = client.post(
        "/v1/brands", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(response, 422)


def test_openapi_docs_are_served(client: httpx.Client) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    for path in ("/v1/share-of-voice", "/v1/mentions", "/v1/analyze", "/v1/brands", "/readyz"):
        assert path in spec["paths"]
