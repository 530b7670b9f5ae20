"""Earned traffic end to end, on both stores: a hand-checked dataset through the real app.

Coverage (documents with mentions) is stored through the real store API; traffic is
posted to the real app under uvicorn. Every expected number is worked out in the
comments next to the events.

Brands: ``acme`` owns ``acme.example``, ``beta`` owns ``beta.example``. Documents:
D1 ``https://news.example/acme-launch`` mentions acme (2026-05-01 08:00 UTC); D2
``https://blog.example/beta-review`` mentions beta only (05-01 09:00); D3
``https://daily.example/acme-old`` mentions acme (04-01, outside the 7-day window).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest

from crawlers import Document, document_id
from enrichment import Brand, Mention, Sentiment
from search import ElasticsearchConfig, ElasticsearchStore, SQLiteStore
from service._app import create_app
from service._settings import Settings
from tests._elasticsearch import drop_indices
from tests._servers import serve_app
from tests.store_contract._data import utc

FIXTURES = Path(__file__).parents[1] / "fixtures" / "traffic"
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("elasticsearch", id="elasticsearch", marks=pytest.mark.elasticsearch),
]
WINDOW = {"from": "2026-05-01", "to": "2026-05-04"}

D1 = "https://news.example/acme-launch"
D2 = "https://blog.example/beta-review"
D3 = "https://daily.example/acme-old"

# (id, timestamp, landing, referrer, sessions, conversions, extra fields) -> why
EVENTS: list[dict[str, Any]] = [
    # document D1 (the referrer normalizes to D1's URL): earned 3 / 1, campaign spring
    {"id": "e1", "timestamp": "2026-05-02T10:00:00Z", "landing_url": "https://acme.example/pricing",
     "referrer": D1 + "?utm_source=rss#top", "sessions": 3, "conversions": 1,
     "utm_campaign": "spring"},
    # outlet news.example (D1 covered acme 26 h before): earned 2 / 0, campaign spring
    {"id": "e2", "timestamp": "2026-05-02T10:05:00Z",
     "landing_url": "https://www.acme.example/?utm_campaign=spring",
     "referrer": "https://www.news.example/other-page", "sessions": 2},
    # D2 and blog.example mention beta, not acme: other (4)
    {"id": "e3", "timestamp": "2026-05-02T10:10:00Z", "landing_url": "https://acme.example/",
     "referrer": D2, "sessions": 4},
    # document D3: the exact-URL rule has no window: earned 1 / 1
    {"id": "e4", "timestamp": "2026-05-02T11:00:00+01:00", "landing_url": "https://acme.example/",
     "referrer": D3, "conversions": 1},
    # daily.example covered acme 31 days before, outside the window: other (5)
    {"id": "e5", "timestamp": "2026-05-02T11:00:00Z", "landing_url": "https://acme.example/",
     "referrer": "https://daily.example/another", "sessions": 5},
    # paid: utm_medium=cpc on the landing page, though the referrer is D1 (6)
    {"id": "e6", "timestamp": "2026-05-02T12:00:00Z",
     "landing_url": "https://acme.example/?utm_medium=cpc", "referrer": D1, "sessions": 6},
    # owned: from the brand's own shop (7)
    {"id": "e7", "timestamp": "2026-05-02T12:00:00Z", "landing_url": "https://acme.example/",
     "referrer": "https://shop.acme.example/cart", "sessions": 7},
    # direct (8 sessions, 2 conversions), not earned
    {"id": "e8", "timestamp": "2026-05-02T13:00:00Z", "landing_url": "https://acme.example/",
     "referrer": "", "sessions": 8, "conversions": 2},
    # beta's site, from D2: beta's, not acme's
    {"id": "e9", "timestamp": "2026-05-02T13:00:00Z", "landing_url": "https://beta.example/",
     "referrer": D2},
    # on no brand's domain: stored, never counted
    {"id": "e10", "timestamp": "2026-05-02T13:00:00Z", "landing_url": "https://unknown.example/",
     "referrer": D1},
    # paid: an ad click id (1)
    {"id": "e11", "timestamp": "2026-05-02T14:00:00Z",
     "landing_url": "https://acme.example/?gclid=abc", "referrer": "https://news.example/x"},
    # document D1 on the next day: earned 2 / 0 (10:00 UTC)
    {"id": "e12", "timestamp": "2026-05-03T12:00:00+02:00", "landing_url": "https://acme.example/",
     "referrer": D1, "sessions": 2, "tags": ["launch"]},
]  # fmt: skip
# acme, 05-01..05-04: all sessions 3+2+4+1+5+6+7+8+1+2 = 39; earned 3+2+1+2 = 8 (conv 1+1 = 2).


def document(url: str, outlet_domain: str, brand: str, published: Any) -> tuple[Document, Mention]:
    doc = Document(
        id=document_id(url),
        url=url,
        source_id=outlet_domain,
        outlet=outlet_domain,
        domain=outlet_domain,
        title=f"{brand} story",
        text=f"{brand} did something.",
        fetched_at=published,
        published_at=published,
    )
    return doc, Mention(document_id=doc.id, brand_id=brand, sentiment=Sentiment("neutral", 0.5))


class Api(NamedTuple):
    http: httpx.Client
    make_store: Callable[[], SQLiteStore | ElasticsearchStore]
    """Another store on the app's storage, to add coverage while the app runs."""


@pytest.fixture(params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    config: ElasticsearchConfig | None = None
    prefix = f"tr-{uuid.uuid4().hex[:12]}"

    def make() -> SQLiteStore | ElasticsearchStore:
        if config is None:
            return SQLiteStore(tmp_path / "clarion.db")
        return ElasticsearchStore(config, index_prefix=prefix)

    if request.param == "elasticsearch":
        config = request.getfixturevalue("es_config")

    async def seed() -> None:
        store = make()
        await store.open()
        try:
            await store.put_brand(Brand(id="acme", name="Acme", owned_domains=("acme.example",)))
            await store.put_brand(Brand(id="beta", name="Beta", owned_domains=("beta.example",)))
            for url, domain, brand, at in (
                (D1, "news.example", "acme", utc(2026, 5, 1, 8)),
                (D2, "blog.example", "beta", utc(2026, 5, 1, 9)),
                (D3, "daily.example", "acme", utc(2026, 4, 1, 9)),
            ):
                doc, mention = document(url, domain, brand, at)
                await store.save_document(doc, [mention])
        finally:
            await store.close()

    asyncio.run(seed())
    settings = Settings(data_dir=tmp_path, crawl=False, model_threads=1, extract_workers=1)
    try:
        with (
            serve_app(create_app(settings, store=make())) as base,
            httpx.Client(base_url=base, timeout=60) as http,
        ):
            yield Api(http, make)
    finally:
        if config is not None:
            asyncio.run(drop_indices(config, prefix))


@pytest.fixture
def client(api: Api) -> httpx.Client:
    return api.http


def test_events_are_attributed_and_summed(client: httpx.Client) -> None:
    first = client.post("/v1/traffic/events", json=EVENTS)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "received": 12,
        "created": 12,
        "duplicates": 0,
        "earned": 5,
        "unowned": 1,
    }  # fmt: skip  (earned: e1, e2, e4, e9 (beta), e12)
    again = client.post("/v1/traffic/events", json=EVENTS)
    assert again.json()["created"] == 0
    assert again.json()["duplicates"] == 12
    single = client.post("/v1/traffic/events", json=EVENTS[0])
    assert single.json()["duplicates"] == 1

    series = client.get("/v1/traffic/earned", params={"brand": "acme", **WINDOW}).json()
    assert [(b["start"][:10], b["sessions"], b["conversions"], b["total_sessions"])
            for b in series["buckets"]] == [
        ("2026-05-01", 0, 0, 0),
        ("2026-05-02", 6, 2, 37),  # e1 3 + e2 2 + e4 1; all but e12
        ("2026-05-03", 2, 0, 2),  # e12
    ]  # fmt: skip
    assert series["totals"] == {
        "earned_sessions": 8,
        "earned_conversions": 2,
        "sessions": 39,
        "conversions": 4,  # e1, e4, e8 x2
        "earned_share": pytest.approx(8 / 39),
    }

    def rows(by: str) -> list[tuple[str, int, int]]:
        params = {"brand": "acme", "by": by, **WINDOW}
        body = client.get("/v1/traffic/earned/breakdown", params=params).json()
        return [(r["key"], r["sessions"], r["conversions"]) for r in body["rows"]]

    assert rows("outlet") == [("news.example", 7, 1), ("daily.example", 1, 1)]
    assert rows("document") == [(document_id(D1), 5, 1), ("", 2, 0), (document_id(D3), 1, 1)]
    assert rows("campaign") == [("spring", 5, 1), ("", 3, 1)]
    share = client.get("/v1/traffic/earned/share", params={"brand": "acme", **WINDOW}).json()
    assert share == series["totals"]
    beta = client.get("/v1/traffic/earned", params={"brand": "beta", **WINDOW}).json()
    assert beta["totals"]["earned_sessions"] == 1

    as_csv = client.get(
        "/v1/traffic/earned/breakdown",
        params={"brand": "acme", "by": "document", **WINDOW},
        headers={"Accept": "text/csv"},
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    lines = as_csv.text.splitlines()
    assert lines[0] == "document,sessions,conversions,share,url,title"
    assert lines[1] == f"{document_id(D1)},5,1,0.6250,{D1},acme story"
    by_format = client.get(
        "/v1/traffic/earned/breakdown",
        params={"brand": "acme", "by": "outlet", "format": "csv", **WINDOW},
    )
    assert by_format.text.splitlines()[1:] == [
        "news.example,7,1,0.8750,,", "daily.example,1,1,0.1250,,"
    ]  # fmt: skip


def test_csv_imports_are_idempotent_and_all_or_nothing(client: httpx.Client) -> None:
    ga4 = (FIXTURES / "ga4_source_referrer_landing.csv").read_bytes()
    params = {"site": "https://acme.example"}
    headers = {"Content-Type": "text/csv"}
    bad = client.post(
        "/v1/traffic/import",
        content=(FIXTURES / "ga4_bad_rows.csv").read_bytes(),
        params=params,
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert [(e["line"], e["field"]) for e in bad.json()["errors"]] == [(3, "date"), (4, "sessions")]

    imported = client.post("/v1/traffic/import", content=ga4, params=params, headers=headers)
    assert imported.status_code == 200, imported.text
    # 4 rows (the Grand total row skipped); earned: D1 (4, 1) and source news.example (3)
    assert imported.json() == {
        "received": 4, "created": 4, "duplicates": 0, "earned": 2, "unowned": 0
    }  # fmt: skip
    again = client.post("/v1/traffic/import", content=ga4, params=params, headers=headers)
    assert again.json()["duplicates"] == 4
    totals = client.get("/v1/traffic/earned", params={"brand": "acme", **WINDOW}).json()["totals"]
    # The bad file stored nothing: only the GA4 rows count (4+3+10+6 = 23 sessions).
    assert totals == {
        "earned_sessions": 7, "earned_conversions": 1, "sessions": 23, "conversions": 3,
        "earned_share": pytest.approx(7 / 23),
    }  # fmt: skip

    log = (FIXTURES / "referrer_log.csv").read_bytes()
    result = client.post("/v1/traffic/import", content=log, headers=headers).json()
    # D1 (1, 1), D3 (1), two direct visits (two rows, two ids), news.example outlet (2)
    assert result == {"received": 5, "created": 5, "duplicates": 0, "earned": 3, "unowned": 0}
    assert client.post("/v1/traffic/import", content=log, headers=headers).json()["created"] == 0
    params_c = {"brand": "acme", "by": "campaign", **WINDOW}
    campaigns = client.get("/v1/traffic/earned/breakdown", params=params_c).json()["rows"]
    assert [(r["key"], r["sessions"]) for r in campaigns] == [("", 9), ("spring", 2)]


def test_bad_input_is_a_problem_naming_the_field(client: httpx.Client) -> None:
    good = dict(EVENTS[0])
    cases: list[tuple[Any, str]] = [
        ({**good, "timestamp": "2026-05-02T10:00:00"}, "body.timestamp"),  # naive
        ({**good, "sessions": 0}, "body.sessions"),
        ({**good, "conversions": -1}, "body.conversions"),
        ({**good, "landing_url": "ftp://acme.example/"}, "body.landing_url"),
        ({k: v for k, v in good.items() if k != "id"}, "body.id"),
        ([good, {**good, "id": "x", "sessions": "many"}], "body.1.sessions"),
        ({**good, "colour": "red"}, "body.colour"),
        ({**good, "id": "é" * 129}, "body.id"),  # 258 bytes
    ]
    for payload, field in cases:
        response = client.post("/v1/traffic/events", json=payload)
        assert response.status_code == 422, (payload, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert client.post("/v1/traffic/events", json="text").status_code == 422
    too_many = [{**good, "id": str(n)} for n in range(1001)]
    big = client.post("/v1/traffic/events", json=too_many)
    assert big.status_code == 413
    assert big.json()["title"] == "Batch too large"
    unknown = client.get("/v1/traffic/earned", params={"brand": "nobody"})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["field"] == "brand"
    assert (
        client.get("/v1/traffic/earned/breakdown", params={"brand": "acme", "by": "x"}).status_code
        == 422
    )
    not_csv = client.post("/v1/traffic/import", content=b"a,b\n1,2\n")
    assert not_csv.status_code == 422
    assert not_csv.json()["errors"][0] == {
        "line": 1, "field": "header", "message": not_csv.json()["errors"][0]["message"]
    }  # fmt: skip
    # Nothing of the refused requests was stored.
    totals = client.get("/v1/traffic/earned", params={"brand": "acme", **WINDOW}).json()["totals"]
    assert totals["sessions"] == 0


def test_reattribution_finds_coverage_stored_after_the_visit(api: Api) -> None:
    late = "https://late.example/acme-news"
    visit = {
        "id": "late-1",
        "timestamp": "2026-05-02T10:00:00Z",
        "landing_url": "https://acme.example/",
        "referrer": late,
        "sessions": 2,
        "conversions": 1,
    }
    paid = {**visit, "id": "late-2", "utm_medium": "CPC"}  # stays paid when judged again
    assert api.http.post("/v1/traffic/events", json=[visit, paid]).json()["earned"] == 0

    async def store_late_coverage() -> None:
        store = api.make_store()
        await store.open()
        try:
            doc, mention = document(late, "late.example", "acme", utc(2026, 5, 2, 9))
            await store.save_document(doc, [mention])
        finally:
            await store.close()

    asyncio.run(store_late_coverage())
    assert api.http.post("/v1/traffic/reattribute").json() == {"events": 2, "changed": 1}
    assert api.http.post("/v1/traffic/reattribute").json() == {"events": 2, "changed": 0}
    params = {"brand": "acme", "by": "document", **WINDOW}
    body = api.http.get("/v1/traffic/earned/breakdown", params=params).json()
    assert [(r["key"], r["sessions"], r["conversions"], r["url"]) for r in body["rows"]] == [
        (document_id(late), 2, 1, late)
    ]
    assert body["totals"]["sessions"] == 4
