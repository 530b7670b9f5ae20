"""API keys on ``/v1/amplify`` and ``/v1/executive-visibility`` (``CLARION_AUTH=keys``):
no key is a 401; a key limited to ``acme`` gets a 404 for ``globex`` (as for a brand
that does not exist) and never sees globex's spokespeople, even as acme's competitor.
The seed is the share-of-voice dataset and the keys of ``test_access``."""

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
from tests.service.test_access import KEYS
from tests.service.test_api import assert_problem
from tests.service.test_sov_api import _seed

WINDOW = {"from": "2026-05-01", "to": "2026-06-01"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    data: Path = tmp_path_factory.mktemp("amplify-access")
    settings = Settings(data_dir=data, crawl=False, extract_workers=1, model_threads=1, auth="keys")
    asyncio.run(_seed(settings.database_path))
    texts = asyncio.run(seed_keys(settings.database_path, KEYS))
    with serve_app(create_app(settings)) as base:
        yield base, texts


def client(served: tuple[str, dict[str, str]], key: str | None) -> httpx.Client:
    base, texts = served
    headers = {"Authorization": f"Bearer {texts[key]}"} if key else {}
    return httpx.Client(base_url=base, timeout=60, headers=headers)


def test_no_key_is_401(served: tuple[str, dict[str, str]]) -> None:
    with client(served, None) as anonymous:
        assert_problem(anonymous.get("/v1/amplify", params={"brand": "acme"}), 401)
        assert_problem(anonymous.get("/v1/executive-visibility", params={"brand": "acme"}), 401)


def test_a_brand_limited_key_sees_its_brand_only(served: tuple[str, dict[str, str]]) -> None:
    with client(served, "acme") as acme, client(served, "reader") as reader:
        assert acme.get("/v1/amplify", params={"brand": "acme"}).status_code == 200
        assert_problem(acme.get("/v1/amplify", params={"brand": "globex"}), 404)
        assert reader.get("/v1/amplify", params={"brand": "globex"}).status_code == 200

        def brands(who: httpx.Client, **params: str) -> list[str]:
            response = who.get("/v1/executive-visibility", params={**WINDOW, **params})
            assert response.status_code == 200, response.text
            return response.json()["brands"]  # type: ignore[no-any-return]

        assert brands(reader, brand="acme") == ["acme", "globex"]
        assert brands(acme, brand="acme") == ["acme"]  # its competitor is another client's
        assert brands(acme) == ["acme"]
        for params in ({"brand": "globex"}, {"brands": "acme,globex"}):
            response = acme.get("/v1/executive-visibility", params={**WINDOW, **params})
            assert_problem(response, 404)


def test_a_feed_reader_subscribes_with_the_key_in_the_url(
    served: tuple[str, dict[str, str]],
) -> None:
    """Feed readers cannot send headers: the feed takes ``?key=``, JSON routes do not,
    and the key is not echoed into the feed's self link."""
    base, texts = served
    with httpx.Client(base_url=base, timeout=60) as anonymous:
        feed = anonymous.get(
            "/v1/amplify", params={"brand": "acme", "format": "atom", "key": texts["acme"]}
        )
        assert feed.status_code == 200, feed.text
        assert feed.headers["content-type"].startswith("application/atom+xml")
        assert texts["acme"] not in feed.text
        other = {"brand": "globex", "format": "rss", "key": texts["acme"]}
        assert_problem(anonymous.get("/v1/amplify", params=other), 404)
        assert_problem(anonymous.get("/v1/amplify", params={**other, "key": "clk_nope"}), 401)
        sov = anonymous.get("/v1/share-of-voice", params={"brand": "acme", "key": texts["acme"]})
        assert_problem(sov, 401)
