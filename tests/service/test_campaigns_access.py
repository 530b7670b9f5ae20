"""API keys on the campaign and scorecard routes (``CLARION_AUTH=keys``), on the real
app under uvicorn with a real SQLite file seeded with the scorecard dataset: 401
without a key, 403 for a missing scope, 404 for another client's brand or campaign
(as for one that does not exist), and a key limited to brands sees only theirs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from search import SQLiteStore
from service._app import create_app
from service._settings import Settings
from tests._servers import serve_app
from tests.service._keys import seed_keys
from tests.service._seeded_app import seed_store
from tests.service.test_api import assert_problem
from tests.service.test_scorecard_api import PERIOD, SPRING, _seed

KEYS = {
    # name: (scopes, brands)
    "reader": (("read",), None),
    "acme": (("read", "write"), ("acme",)),
    "globex": (("read", "write"), ("globex",)),
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    data: Path = tmp_path_factory.mktemp("campaign-access")
    settings = Settings(data_dir=data, crawl=False, extract_workers=1, model_threads=1, auth="keys")
    asyncio.run(seed_store(SQLiteStore(settings.database_path), _seed))
    texts = asyncio.run(seed_keys(settings.database_path, KEYS))
    with serve_app(create_app(settings)) as base:
        yield base, texts


def _as(served: tuple[str, dict[str, str]], name: str | None) -> httpx.Client:
    base, texts = served
    headers = {"Authorization": f"Bearer {texts[name]}"} if name else {}
    return httpx.Client(base_url=base, timeout=60, headers=headers)


def test_no_key_is_401_and_a_missing_scope_403(served: tuple[str, dict[str, str]]) -> None:
    with _as(served, None) as anonymous, _as(served, "reader") as reader:
        assert_problem(anonymous.get("/v1/scorecard", params=PERIOD), 401)
        assert_problem(anonymous.get("/v1/campaigns"), 401)
        assert_problem(anonymous.post("/v1/campaigns", json=SPRING), 401)
        assert_problem(reader.post("/v1/campaigns", json=SPRING), 403)
        assert_problem(reader.put("/v1/campaigns/spring", json=SPRING), 403)
        assert_problem(reader.delete("/v1/campaigns/spring"), 403)
        assert reader.get("/v1/scorecard", params=PERIOD).status_code == 200


def test_a_key_sees_only_its_brands(served: tuple[str, dict[str, str]]) -> None:
    with _as(served, "acme") as acme, _as(served, "globex") as globex:
        assert acme.put("/v1/campaigns/spring", json=SPRING).status_code in (200, 201)
        theirs = {**SPRING, "id": "gx", "brand": "globex"}
        assert globex.put("/v1/campaigns/gx", json=theirs).status_code in (200, 201)
        # another client's campaign is answered as one that does not exist
        assert_problem(globex.get("/v1/campaigns/spring"), 404)
        assert_problem(globex.get("/v1/campaigns/spring/report"), 404)
        assert_problem(globex.delete("/v1/campaigns/spring"), 404)
        assert_problem(globex.put("/v1/campaigns/spring", json={**SPRING, "brand": "globex"}), 404)
        assert_problem(globex.post("/v1/campaigns", json={**SPRING, "id": "x"}), 404)
        assert_problem(globex.get("/v1/campaigns", params={"brand": "acme"}), 404)
        assert [c["id"] for c in globex.get("/v1/campaigns").json()["items"]] == ["gx"]
        assert [c["id"] for c in acme.get("/v1/campaigns").json()["items"]] == ["spring"]
        assert acme.get("/v1/campaigns/spring").json()["brand"] == "acme"
        # the scorecard: another client's brand is 404, named or as the brand
        assert_problem(globex.get("/v1/scorecard", params=PERIOD), 404)
        named = {**PERIOD, "brand": "globex", "brands": "acme"}
        assert_problem(globex.get("/v1/scorecard", params=named), 404)
        # a configured competitor the key may not see is left out of the set
        own = acme.get("/v1/scorecard", params=PERIOD).json()
        assert own["brands"] == ["acme"]
        assert own["kpis"]["share_of_voice"]["current"] == 1.0
        report = acme.get("/v1/campaigns/spring/report").json()
        assert report["brands"] == ["acme"]
        assert acme.delete("/v1/campaigns/spring").status_code == 204
