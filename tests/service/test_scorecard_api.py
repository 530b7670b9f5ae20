"""The scorecard and campaign reports on a hand-checked dataset, on both stores,
through the real app under uvicorn. Coverage is seeded through the real store API
before the app starts; traffic is posted to the app (attributed at ingest).

Brands: ``acme`` (competitor ``globex``; spokespeople Ada and Ben; key messages
JOBS and GREEN; owns ``acme.example``) and ``globex`` (spokesperson Gil).

Period 2026-05-04 .. 05-06 (UTC); the previous period is 05-02 .. 05-04.
Audience in brackets; (+ / 0 / -) the sentiment toward the brand; [..] quoted.

====  ===========  ==================  ====  =======  =================================
doc   at (UTC)     outlet              tier  cluster  mentions
====  ===========  ==================  ====  =======  =================================
d1    05-04 09:00  Daily (news) [1000]  1    d1       acme + [Ada, Ben] carries JOBS;
                                                      globex - [Gil]
d2    05-04 12:00  Wire (news) [200]    2    d1       acme + [Ada] carries JOBS,
                                                      contradicts GREEN
d3    05-05 08:00  Daily (news) [1000]  1    d1       acme 0 [Ben]
d4    05-05 10:00  Blog (blog) [50]     3    d4       acme - carries GREEN; globex + [Gil]
p1    05-02 10:00  Daily (news) [1000]  1    p1       acme 0 [Ada]; globex +
p2    05-03 10:00  Blog (blog) [50]     3    p2       globex 0 [Gil]
p3    05-03 11:00  Social (social) [10] 3    p3       globex -
====  ===========  ==================  ====  =======  =================================

With ``count=document`` (the default) the copies d1, d2, d3 of acme are one unit
at d1 (+), reach Daily once + Wire = 1200. Period: acme 2 (+1, -1, reach 1250),
globex 2 (+1, -1, reach 1050), set 4 / reach 2300 / positive 2. Previous: acme 1
(0, reach 1000), globex 3 (+1, 0, -1, reach 1060), set 4 / reach 2060 / positive 1.

Traffic on acme.example: t1 05-04 15:00 from d1 (earned: 4 sessions, 1 conversion,
utm_campaign spring); t2 05-05 09:00 direct (6 sessions, 2 conversions); t3 05-03
12:00 from p1 (earned: 2 sessions); t4 05-03 13:00 direct (8 sessions).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from enrichment import Brand, MessageMatch, SentimentLabel
from search import ElasticsearchStore, SQLiteStore
from tests.service._seeded_app import BACKENDS, seeded_client
from tests.service.test_api import assert_problem
from tests.store_contract._data import doc, mention, utc

JOBS = "Acme is creating jobs in Europe."
GREEN = "Acme runs on renewable energy."
PERIOD = {"brand": "acme", "from": "2026-05-04", "to": "2026-05-06"}

# doc -> (at, outlet, channel, tier, audience, cluster)
DOCS: dict[str, tuple[Any, str, str, int, int, str]] = {
    "d1": (utc(2026, 5, 4, 9), "Daily", "news", 1, 1000, "d1"),
    "d2": (utc(2026, 5, 4, 12), "Wire", "news", 2, 200, "d1"),
    "d3": (utc(2026, 5, 5, 8), "Daily", "news", 1, 1000, "d1"),
    "d4": (utc(2026, 5, 5, 10), "Blog", "blog", 3, 50, "d4"),
    "p1": (utc(2026, 5, 2, 10), "Daily", "news", 1, 1000, "p1"),
    "p2": (utc(2026, 5, 3, 10), "Blog", "blog", 3, 50, "p2"),
    "p3": (utc(2026, 5, 3, 11), "Social", "social", 3, 10, "p3"),
}
# doc -> [(brand, sentiment, spokespeople, carried, contradicted)]
MENTIONS: dict[str, list[tuple[str, SentimentLabel, tuple[str, ...], tuple[str, ...],
                               tuple[str, ...]]]] = {
    "d1": [("acme", "positive", ("Ada", "Ben"), (JOBS,), ()),
           ("globex", "negative", ("Gil",), (), ())],
    "d2": [("acme", "positive", ("Ada",), (JOBS,), (GREEN,))],
    "d3": [("acme", "neutral", ("Ben",), (), ())],
    "d4": [("acme", "negative", (), (GREEN,), ()), ("globex", "positive", ("Gil",), (), ())],
    "p1": [("acme", "neutral", ("Ada",), (), ()), ("globex", "positive", (), (), ())],
    "p2": [("globex", "neutral", ("Gil",), (), ())],
    "p3": [("globex", "negative", (), (), ())],
}  # fmt: skip
EVENTS = [
    {"id": "t1", "timestamp": "2026-05-04T15:00:00Z", "landing_url": "https://acme.example/",
     "referrer": "https://news.example/d1", "sessions": 4, "conversions": 1,
     "utm_campaign": "spring"},
    {"id": "t2", "timestamp": "2026-05-05T09:00:00Z", "landing_url": "https://acme.example/",
     "referrer": "", "sessions": 6, "conversions": 2},
    {"id": "t3", "timestamp": "2026-05-03T12:00:00Z", "landing_url": "https://acme.example/",
     "referrer": "https://news.example/p1", "sessions": 2},
    {"id": "t4", "timestamp": "2026-05-03T13:00:00Z", "landing_url": "https://acme.example/",
     "referrer": "", "sessions": 8},
]  # fmt: skip
SPRING = {"id": "spring", "brand": "acme", "name": "Spring launch", "start": "2026-05-04",
          "end": "2026-05-06", "tags": ["spring"], "description": "New range."}  # fmt: skip


def _match(message: str, stance: str) -> MessageMatch:
    return MessageMatch(message=message, stance=stance, sentence="…", score=0.7)  # type: ignore[arg-type]


async def _seed(store: SQLiteStore | ElasticsearchStore) -> None:
    await store.put_brand(
        Brand(id="acme", name="Acme", competitors=("globex",), owned_domains=("acme.example",),
              spokespeople=("Ada", "Ben"), key_messages=(JOBS, GREEN))
    )  # fmt: skip
    await store.put_brand(Brand(id="globex", name="Globex", spokespeople=("Gil",)))
    for doc_id, (at, outlet, channel, tier, audience, cluster) in DOCS.items():
        document = doc(doc_id, published_at=at).replace(
            outlet=outlet, channel=channel, tier=tier, audience=audience
        )
        await store.save_document(
            document,
            [
                replace(
                    mention(doc_id, brand, label),
                    cluster_id=cluster,
                    spokespeople=quoted,
                    messages=tuple(_match(m, "carried") for m in carried)
                    + tuple(_match(m, "contradicted") for m in contradicted),
                )
                for brand, label, quoted, carried, contradicted in MENTIONS[doc_id]
            ],
        )


@pytest.fixture(scope="module", params=BACKENDS)
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    with seeded_client(request, tmp_path_factory, name="sc", seed=_seed) as http:
        posted = http.post("/v1/traffic/events", json=EVENTS)
        assert posted.status_code == 200, posted.text
        assert posted.json()["earned"] == 2  # t1 and t3
        yield http


def changes(section: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """(current, baseline, change, relative_change) of each figure of a section."""
    return {
        name: (c["current"], c["baseline"], c["change"], c["relative_change"])
        for name, c in section.items()
        if isinstance(c, dict)
    }


EXPECTED_KPIS = {
    "coverage_volume": (2, 1, 1, 1.0),
    "share_of_voice": (0.5, 0.25, 0.25, 1.0),  # 2/4 against 1/4
    "reach": (1250, 1000, 250, 0.25),
    "reach_share": (0.543478, 0.485437, 0.058041, 0.119565),  # 1250/2300 against 1000/2060
    "net_sentiment": (0.0, 0.0, 0.0, None),  # (1 - 1)/2; (0 - 0)/1; baseline 0: no ratio
    "positive_share": (0.5, 0.0, 0.5, None),  # 1 of the set's 2 positive; 0 of 1
    "positive_rate": (0.5, 0.0, 0.5, None),  # 1 of acme's 2; 0 of 1
    "tier1_placements": (1, 1, 0, 0.0),  # cluster d1 (d1, d3 in Daily) once; p1
    "pull_through": (0.75, 0.0, 0.75, None),  # d1, d2, d4 of d1..d4 carry one; p1 none
    "executive_mentions": (2, 1, 1, 1.0),  # Ada 1 + Ben 1 (cluster d1 once each); Ada (p1)
    "executive_share_of_voice": (0.5, 0.5, 0.0, 0.0),  # 2 of Ada+Ben+Gil 4; 1 of 2
    "earned_sessions": (4, 2, 2, 1.0),  # t1; t3
    "earned_conversions": (1, 0, 1, None),
    "sessions": (10, 10, 0, 0.0),  # t1 + t2; t3 + t4
    "earned_share": (0.4, 0.2, 0.2, 1.0),
}


def test_scorecard_every_kpi_against_the_previous_period(client: httpx.Client) -> None:
    response = client.get("/v1/scorecard", params=PERIOD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["brand"] == "acme" and body["brands"] == ["acme", "globex"]
    assert body["count"] == "document" and body["time_zone"] == "UTC"
    assert body["period"] == {"from": "2026-05-04T00:00:00Z", "to": "2026-05-06T00:00:00Z"}
    assert body["baseline"] == {"from": "2026-05-02T00:00:00Z", "to": "2026-05-04T00:00:00Z"}
    assert changes(body["kpis"]) == EXPECTED_KPIS
    assert [(m["message"], *changes(m).values()) for m in body["key_messages"]] == [
        # carried, carried_share (of 4 mentions; of 1), contradicted
        (JOBS, (2, 0, 2, None), (0.5, 0.0, 0.5, None), (0, 0, 0, None)),
        (GREEN, (1, 0, 1, None), (0.25, 0.0, 0.25, None), (1, 0, 1, None)),
    ]
    people = body["spokespeople"]
    assert [(s["brand"], s["spokesperson"], *changes(s).values()) for s in people] == [
        # mentions, share of the set's spokesperson mentions, reach, net sentiment;
        # most mentions first, then most reach (as /v1/executive-visibility ranks them)
        ("globex", "Gil", (2, 1, 1, 1.0), (0.5, 0.5, 0.0, 0.0), (1050, 50, 1000, 20.0),
         (0.0, 0.0, 0.0, None)),
        ("acme", "Ada", (1, 1, 0, 0.0), (0.25, 0.5, -0.25, -0.5), (1200, 1000, 200, 0.2),
         (1.0, 0.0, 1.0, None)),
        ("acme", "Ben", (1, 0, 1, None), (0.25, 0.0, 0.25, None), (1000, 0, 1000, None),
         (1.0, 0.0, 1.0, None)),
    ]  # fmt: skip
    visibility = client.get("/v1/executive-visibility", params=PERIOD)
    assert visibility.status_code == 200, visibility.text
    # the same figures as /v1/executive-visibility
    theirs = [
        (i["brand"], i["spokesperson"], i["mentions"], i["share"], i["reach"])
        for i in visibility.json()["items"]
    ]
    ours = [
        (
            s["brand"],
            s["spokesperson"],
            *(s[k]["current"] for k in ("mentions", "share_of_voice", "reach")),
        )
        for s in people
    ]
    assert theirs == ours
    globex = body["competitive_set"][1]
    assert globex["brand"] == "globex"
    assert changes(globex) == {
        "mentions": (2, 3, -1, -0.333333),
        "share_of_voice": (0.5, 0.75, -0.25, -0.333333),
        "reach": (1050, 1060, -10, -0.009434),
        "reach_share": (0.456522, 0.514563, -0.058041, -0.112797),  # (1050*2060)/(2300*1060) - 1
        "net_sentiment": (0.0, 0.0, 0.0, None),  # (1 - 1)/2; (1 - 1)/3
        "tier1_placements": (1, 1, 0, 0.0),
    }
    assert changes(body["competitive_set"][0])["share_of_voice"] == EXPECTED_KPIS["share_of_voice"]


def test_scorecard_counting_every_copy_and_narrowed(client: httpx.Client) -> None:
    every = client.get("/v1/scorecard", params={**PERIOD, "count": "outlet"}).json()
    kpis = changes(every["kpis"])
    assert kpis["coverage_volume"] == (4, 1, 3, 3.0)  # d1..d4; p1
    assert kpis["share_of_voice"] == (0.666667, 0.25, 0.416667, 1.666667)  # 4/6; 1/4
    assert kpis["tier1_placements"] == (2, 1, 1, 1.0)  # d1 and d3
    assert kpis["executive_mentions"] == (4, 1, 3, 3.0)  # Ada d1, d2; Ben d1, d3
    news = client.get("/v1/scorecard", params={**PERIOD, "channel": "news"}).json()
    kpis = changes(news["kpis"])
    assert kpis["coverage_volume"] == (1, 1, 0, 0.0)  # cluster d1; p1
    assert kpis["share_of_voice"] == (0.5, 0.5, 0.0, 0.0)  # globex d1; p1
    # pull-through counts every copy: d1 (JOBS), d2 (JOBS) of d1, d2, d3; p1 none
    assert kpis["pull_through"] == (0.666667, 0.0, 0.666667, None)
    assert kpis["earned_sessions"] == EXPECTED_KPIS["earned_sessions"]  # traffic not narrowed
    lower = client.get("/v1/scorecard", params={**PERIOD, "tier": [2, 3]}).json()
    kpis = changes(lower["kpis"])
    assert kpis["tier1_placements"] == (0, 0, 0, None)  # the filter leaves tier 1 out
    assert kpis["coverage_volume"] == (2, 0, 2, None)  # cluster d1 at d2 (Wire), d4; none


def test_scorecard_csv(client: httpx.Client) -> None:
    response = client.get("/v1/scorecard", params={**PERIOD, "format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    first = rows[0]
    assert first == {
        "section": "kpi", "brand": "acme", "item": "", "metric": "coverage_volume",
        "current": "2", "baseline": "1", "change": "1", "relative_change": "1.0",
    }  # fmt: skip
    by_key = {(r["section"], r["brand"], r["item"], r["metric"]): r for r in rows}
    assert by_key[("kpi", "acme", "", "net_sentiment")]["relative_change"] == ""
    assert by_key[("key_message", "acme", GREEN, "contradicted")]["current"] == "1"
    assert by_key[("spokesperson", "globex", "Gil", "mentions")]["current"] == "2"
    assert by_key[("brand", "globex", "", "share_of_voice")]["baseline"] == "0.75"
    accept = client.get("/v1/scorecard", params=PERIOD, headers={"Accept": "text/csv"})
    assert accept.text == response.text


def test_scorecard_bad_input(client: httpx.Client) -> None:
    assert_problem(client.get("/v1/scorecard", params={**PERIOD, "brand": "nope"}), 400, "brand")
    assert_problem(client.get("/v1/scorecard", params={**PERIOD, "brands": "nope"}), 400, "brands")
    assert_problem(client.get("/v1/scorecard", params={**PERIOD, "to": "2026-05-04"}), 400, "from")
    assert_problem(client.get("/v1/scorecard", params={**PERIOD, "tz": "Mars/Base"}), 400, "tz")
    assert_problem(client.get("/v1/scorecard", params={**PERIOD, "count": "x"}), 422, "count")
    assert_problem(client.get("/v1/scorecard", params={"from": "2026-05-04"}), 422, "brand")
    far = {**PERIOD, "from": "0001-01-02", "to": "9000-01-01"}
    assert_problem(client.get("/v1/scorecard", params=far), 400, "from")


def test_campaign_crud(client: httpx.Client) -> None:
    created = client.post("/v1/campaigns", json=SPRING)
    assert created.status_code == 201, created.text
    assert created.json() == {**SPRING, "start": "2026-05-04T00:00:00Z",
                              "end": "2026-05-06T00:00:00Z"}  # fmt: skip
    assert_problem(client.post("/v1/campaigns", json=SPRING), 409)
    again = client.put("/v1/campaigns/spring", json=SPRING)
    assert again.status_code == 200 and again.json() == created.json()
    other = {**SPRING, "id": "autumn", "start": "2026-09-01T00:00:00+02:00", "end": "2026-10-01"}
    put = client.put("/v1/campaigns/autumn", json=other)
    assert put.status_code == 201, put.text
    assert put.json()["start"] == "2026-08-31T22:00:00Z"
    listed = client.get("/v1/campaigns", params={"brand": "acme"}).json()["items"]
    assert [c["id"] for c in listed] == ["autumn", "spring"]  # latest start first
    assert client.get("/v1/campaigns", params={"brand": "globex"}).json()["items"] == []
    assert client.get("/v1/campaigns/autumn").json() == put.json()
    assert client.delete("/v1/campaigns/autumn").status_code == 204
    assert_problem(client.get("/v1/campaigns/autumn"), 404)
    assert_problem(client.delete("/v1/campaigns/autumn"), 404)
    assert [c["id"] for c in client.get("/v1/campaigns").json()["items"]] == ["spring"]


def test_campaign_bad_input(client: httpx.Client) -> None:
    bad = {**SPRING, "id": "bad"}
    assert_problem(client.post("/v1/campaigns", json={**bad, "end": "2026-05-04"}), 422, "body")
    assert_problem(client.post("/v1/campaigns", json={**bad, "end": "2026-05-03"}), 422, "body")
    assert_problem(client.post("/v1/campaigns", json={**bad, "brand": "nope"}), 400, "brand")
    assert_problem(client.post("/v1/campaigns", json={**bad, "start": "soon"}), 422, "start")
    assert_problem(client.post("/v1/campaigns", json={**bad, "colour": "red"}), 422, "colour")
    assert_problem(client.post("/v1/campaigns", json={**bad, "id": "Not A Slug"}), 422, "id")
    assert_problem(client.put("/v1/campaigns/other", json=bad), 422)
    assert_problem(client.get("/v1/campaigns/bad"), 404)
    assert_problem(client.get("/v1/campaigns/bad/report"), 404)
    future = {**bad, "id": "future", "start": "2999-01-01", "end": "2999-02-01"}
    assert client.put("/v1/campaigns/future", json=future).status_code == 201
    assert_problem(client.get("/v1/campaigns/future/report"), 409)
    assert client.delete("/v1/campaigns/future").status_code == 204


def test_campaign_report_against_its_baseline(client: httpx.Client) -> None:
    assert client.put("/v1/campaigns/spring", json=SPRING).status_code in (200, 201)
    response = client.get("/v1/campaigns/spring/report")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["campaign"]["id"] == "spring" and body["complete"] is True
    assert body["period"] == {"from": "2026-05-04T00:00:00Z", "to": "2026-05-06T00:00:00Z"}
    assert body["baseline"] == {"from": "2026-05-02T00:00:00Z", "to": "2026-05-04T00:00:00Z"}
    assert changes(body["kpis"]) == EXPECTED_KPIS  # the scorecard of the same windows
    tagged = body["tagged_traffic"]
    assert tagged["tags"] == ["spring"]
    assert changes(tagged) == {
        "earned_sessions": (4, 0, 4, None),  # t1 carries utm_campaign=spring; t3 none
        "earned_conversions": (1, 0, 1, None),
    }
    paris = client.get("/v1/campaigns/spring/report", params={"tz": "Europe/Paris"}).json()
    assert paris["period"]["from"] == "2026-05-04T02:00:00+02:00"
    as_csv = client.get("/v1/campaigns/spring/report", params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert rows[-1] == {"section": "tagged_traffic", "brand": "acme", "item": "spring",
                        "metric": "earned_conversions", "current": "1", "baseline": "0",
                        "change": "1", "relative_change": ""}  # fmt: skip
