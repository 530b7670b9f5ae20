"""API keys on the real app under uvicorn, with a real SQLite file (``CLARION_AUTH=keys``).

Each refusal is tried: 401 (no key, a malformed, unknown, wrong or revoked one), 403 (a
scope the key lacks; global configuration from a key limited to brands), 404 (an agency's
key for one client naming another client's brand, answered as for a brand that does not
exist) and 429 (a key over its rate limit, with ``Retry-After``). The seed is the
share-of-voice dataset: brands ``acme`` (competitor ``globex``) and ``globex``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service._app import create_app
from service._settings import Settings
from tests._servers import serve_app
from tests.service._keys import seed_keys
from tests.service.test_api import assert_problem
from tests.service.test_sov_api import MAY, _seed

KEYS = {
    # name: (scopes, brands, rate limit per minute)
    "admin": (("admin",), None, None),
    "reader": (("read",), None, None),
    "writer": (("read", "write"), None, None),
    "acme": (("read", "write"), ("acme",), None),
    "slow": (("read",), None, 2),
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    data: Path = tmp_path_factory.mktemp("access")
    settings = Settings(data_dir=data, crawl=False, extract_workers=1, model_threads=1, auth="keys")
    asyncio.run(_seed(settings.database_path))
    texts = asyncio.run(seed_keys(settings.database_path, KEYS))
    with serve_app(create_app(settings)) as base:
        yield base, texts


@pytest.fixture
def anonymous(served: tuple[str, dict[str, str]]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served[0], timeout=60) as c:
        yield c


def _as(served: tuple[str, dict[str, str]], name: str) -> httpx.Client:
    base, texts = served
    return httpx.Client(
        base_url=base, timeout=60, headers={"Authorization": f"Bearer {texts[name]}"}
    )


@pytest.fixture
def admin(served: tuple[str, dict[str, str]]) -> Iterator[httpx.Client]:
    with _as(served, "admin") as c:
        yield c


@pytest.fixture
def reader(served: tuple[str, dict[str, str]]) -> Iterator[httpx.Client]:
    with _as(served, "reader") as c:
        yield c


@pytest.fixture
def acme(served: tuple[str, dict[str, str]]) -> Iterator[httpx.Client]:
    with _as(served, "acme") as c:
        yield c


def _unauthorized(response: httpx.Response) -> dict[str, object]:
    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    return body


# --- 401 --------------------------------------------------------------------------------


def test_no_key_is_401_with_a_bearer_challenge(anonymous: httpx.Client) -> None:
    body = _unauthorized(anonymous.get("/v1/brands"))
    assert "Authorization: Bearer" in str(body["detail"])
    _unauthorized(anonymous.get("/v1/share-of-voice", params=MAY))
    _unauthorized(anonymous.post("/v1/brands", json={"id": "x", "name": "X"}))


def test_malformed_unknown_and_wrong_keys_are_401(
    anonymous: httpx.Client, served: tuple[str, dict[str, str]]
) -> None:
    real = served[1]["reader"]
    key_id = real.split("_")[1]
    for bad in ("nonsense", "clk_deadbeef_" + "A" * 43, f"clk_{key_id}_wrongsecret", "Bearer"):
        _unauthorized(anonymous.get("/v1/brands", headers={"Authorization": f"Bearer {bad}"}))
    # the same key sent as Basic credentials is not a bearer token
    _unauthorized(anonymous.get("/v1/brands", headers={"Authorization": f"Basic {real}"}))


def test_both_headers_are_accepted(
    anonymous: httpx.Client, served: tuple[str, dict[str, str]]
) -> None:
    key = served[1]["reader"]
    assert anonymous.get("/v1/brands", headers={"Authorization": f"Bearer {key}"}).is_success
    assert anonymous.get("/v1/brands", headers={"X-API-Key": key}).is_success


def test_public_routes_need_no_key(anonymous: httpx.Client) -> None:
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    assert anonymous.get("/readyz").status_code == 200
    assert "clarion_http_request_duration_seconds" in anonymous.get("/metrics").text
    spec = anonymous.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    assert anonymous.get("/docs").status_code == 200


# --- 403 --------------------------------------------------------------------------------


def test_a_scope_the_key_lacks_is_403(reader: httpx.Client, acme: httpx.Client) -> None:
    body = assert_problem(reader.post("/v1/brands", json={"id": "x", "name": "X"}), 403)
    assert "'write'" in str(body["detail"])
    assert_problem(reader.delete("/v1/brands/acme"), 403)
    assert_problem(reader.get("/v1/webhooks"), 403)
    assert_problem(reader.get("/v1/keys"), 403)
    assert_problem(acme.get("/v1/keys"), 403)
    assert reader.get("/v1/brands/acme").status_code == 200  # what it may do still works


def test_global_configuration_needs_a_key_for_every_brand(
    acme: httpx.Client, served: tuple[str, dict[str, str]]
) -> None:
    for response in (
        acme.get("/v1/sources"),
        acme.post("/v1/sources", json={"id": "s", "url": "https://example.com/feed"}),
        acme.get("/v1/sources/opml"),
        acme.post("/v1/traffic/reattribute"),
    ):
        body = assert_problem(response, 403)
        assert "every brand" in str(body["detail"])
    with _as(served, "writer") as writer:
        assert writer.get("/v1/sources").status_code == 200


# --- 404: an agency's key for one client ------------------------------------------------


def test_a_brand_limited_key_sees_its_brand_only(acme: httpx.Client) -> None:
    assert [b["id"] for b in acme.get("/v1/brands").json()["items"]] == ["acme"]
    assert acme.get("/v1/brands/acme").status_code == 200
    hidden = assert_problem(acme.get("/v1/brands/globex"), 404)
    missing = assert_problem(acme.get("/v1/brands/nope"), 404)
    assert hidden["title"] == "no brand 'globex'" and missing["title"] == "no brand 'nope'"
    assert_problem(acme.put("/v1/brands/globex", json={"id": "globex", "name": "G"}), 404)
    assert_problem(acme.delete("/v1/brands/globex"), 404)


def test_share_of_voice_keeps_to_the_keys_brands(acme: httpx.Client, reader: httpx.Client) -> None:
    assert reader.get("/v1/share-of-voice", params=MAY).json()["brands"] == ["acme", "globex"]
    own = acme.get("/v1/share-of-voice", params=MAY).json()
    assert own["brands"] == ["acme"]  # globex, acme's competitor, is another client
    assert [b["brand"] for b in own["totals"]] == ["acme"]
    everyone = {k: v for k, v in MAY.items() if k != "brand"}
    assert acme.get("/v1/share-of-voice", params=everyone).json()["brands"] == ["acme"]
    for params in ({**everyone, "brands": "acme,globex"}, {**MAY, "brand": "globex"}):
        assert_problem(acme.get("/v1/share-of-voice", params=params), 404)


def test_mentions_keep_to_the_keys_brands(acme: httpx.Client, reader: httpx.Client) -> None:
    every = {m["brand"] for m in reader.get("/v1/mentions").json()["items"]}
    assert every == {"acme", "globex"}
    own = acme.get("/v1/mentions").json()["items"]
    assert own and {m["brand"] for m in own} == {"acme"}
    assert_problem(acme.get("/v1/mentions", params={"brand": "globex"}), 404)
    assert_problem(acme.get("/v1/mentions", params={"brand": ["acme", "globex"]}), 404)


def test_coverage_and_pull_through_keep_to_the_keys_brands(acme: httpx.Client) -> None:
    window = {"from": MAY["from"], "to": MAY["to"]}
    for path in ("top-outlets", "top-authors", "top-stories"):
        assert acme.get(f"/v1/coverage/{path}", params={**window, "brand": "acme"}).is_success
        assert_problem(acme.get(f"/v1/coverage/{path}", params={**window, "brand": "globex"}), 404)
    assert_problem(acme.get("/v1/pull-through", params={"brand": "globex"}), 404)
    assert_problem(acme.get("/v1/traffic/earned", params={"brand": "globex"}), 404)
    assert_problem(acme.get("/v1/alerts", params={"brand": "globex"}), 404)


def test_alert_rules_of_another_client_are_not_found(
    acme: httpx.Client, admin: httpx.Client
) -> None:
    rule = {"id": "g-crisis", "brand_id": "globex", "type": "crisis_terms", "query": "recall"}
    assert admin.put("/v1/alert-rules/g-crisis", json=rule).status_code == 200
    assert [r["id"] for r in admin.get("/v1/alert-rules").json()["items"]] == ["g-crisis"]
    assert acme.get("/v1/alert-rules").json()["items"] == []
    assert_problem(acme.get("/v1/alert-rules/g-crisis"), 404)
    assert_problem(acme.delete("/v1/alert-rules/g-crisis"), 404)
    taken = {**rule, "brand_id": "acme"}  # overwriting another client's rule by id
    assert_problem(acme.put("/v1/alert-rules/g-crisis", json=taken), 404)
    assert_problem(acme.post("/v1/alert-rules", json={**rule, "id": "mine"}), 404)
    assert admin.get("/v1/alert-rules/g-crisis").json()["brand_id"] == "globex"


# --- 429 --------------------------------------------------------------------------------


def test_a_key_over_its_rate_limit_is_429_with_retry_after(
    served: tuple[str, dict[str, str]],
) -> None:
    with _as(served, "slow") as slow:  # 2 a minute: a burst of 2, then one per 30 s
        assert slow.get("/v1/brands").status_code == 200
        assert slow.get("/v1/brands").status_code == 200
        refused = slow.get("/v1/brands")
        body = assert_problem(refused, 429)
        assert "2 requests per minute" in str(body["detail"])
        wait = int(refused.headers["retry-after"])
        assert 1 <= wait <= 30
    with _as(served, "reader") as other:  # buckets are per key
        assert other.get("/v1/brands").status_code == 200


# --- the keys API -----------------------------------------------------------------------


def test_keys_are_made_shown_once_listed_without_secrets_and_revoked(
    admin: httpx.Client, anonymous: httpx.Client
) -> None:
    made = admin.post(
        "/v1/keys", json={"name": "dashboard", "scopes": ["read"], "brands": ["acme"]}
    )
    assert made.status_code == 201, made.text
    created = made.json()
    key, key_id = created["key"], created["id"]
    assert key.startswith(f"clk_{key_id}_") and created["brands"] == ["acme"]
    auth = {"X-API-Key": key}
    assert [b["id"] for b in anonymous.get("/v1/brands", headers=auth).json()["items"]] == ["acme"]
    listed = admin.get("/v1/keys").text
    assert key_id in listed and key.split("_", 2)[2] not in listed
    assert "secret" not in listed and "hash" not in listed
    assert admin.get(f"/v1/keys/{key_id}").json()["revoked_at"] is None
    assert admin.delete(f"/v1/keys/{key_id}").status_code == 204
    body = _unauthorized(anonymous.get("/v1/brands", headers=auth))  # at once: no cache lag
    assert "revoked" in str(body["detail"])
    assert admin.get(f"/v1/keys/{key_id}").json()["revoked_at"] is not None
    assert admin.delete(f"/v1/keys/{key_id}").status_code == 204  # idempotent
    assert_problem(admin.delete("/v1/keys/nope"), 404)


def test_bad_key_requests_are_problems(admin: httpx.Client) -> None:
    assert_problem(admin.post("/v1/keys", json={"name": "x", "scopes": []}), 422, "scopes")
    assert_problem(admin.post("/v1/keys", json={"name": "x", "scopes": ["root"]}), 422)
    assert_problem(
        admin.post("/v1/keys", json={"name": "x", "scopes": ["read"], "brands": []}), 422
    )
    assert_problem(
        admin.post("/v1/keys", json={"name": "x", "scopes": ["read"], "rate_limit_per_minute": 0}),
        422,
    )
