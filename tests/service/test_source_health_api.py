"""``GET /v1/sources/health``: every source's health in one call, paged, on a real
uvicorn server and a real SQLite file with API keys on (``CLARION_AUTH=keys``).

The page answers for each source what ``/v1/sources/{id}/health`` answers; pages
cover every source once, in id order; bad input is a problem body naming the field;
the route needs the read scope and a key for every brand (sources are global).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from crawlers import FeedState
from search import InvalidCursor, SQLiteStore
from service._app import create_app
from service._routes_source_health import decode_cursor, encode_cursor, page_of
from service._schemas_config import SourceCreate
from service._settings import Settings
from tests._servers import serve_app
from tests.service._keys import create_keys
from tests.service.test_api import assert_problem

SOURCES = [
    SourceCreate(id=f"s{i:02d}", url=f"https://news{i}.example/feed", outlet=f"News {i}")
    for i in range(7)
]
FAILING = FeedState(
    source_id="s03",
    last_polled_at=datetime(2026, 5, 2, 9, tzinfo=UTC),
    last_success_at=datetime(2026, 5, 1, 9, tzinfo=UTC),
    consecutive_failures=12,
    last_error="HTTP 410 Gone",
    last_error_class="PermanentFetchError",
    disabled_reason="12 failures in a row",
)
HEALTHY = FeedState(
    source_id="s00",
    last_polled_at=datetime(2026, 5, 2, 9, tzinfo=UTC),
    last_success_at=datetime(2026, 5, 2, 9, tzinfo=UTC),
)
KEYS = {  # name: (scopes, brands)
    "reader": (("read",), None),
    "writer-only": (("write",), None),
    "one-brand": (("read",), ("acme",)),
}


async def _seed(path: Path) -> dict[str, str]:
    store = SQLiteStore(path)
    await store.open()
    try:
        for created in SOURCES:
            source = created.to_source()
            if source.id == "s05":  # disabled in its configuration
                source = created.model_copy(update={"enabled": False}).to_source()
            await store.put_source(source)
        await store.put_feed_state(FAILING)
        await store.put_feed_state(HEALTHY)
        return await create_keys(store, KEYS)
    finally:
        await store.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    data: Path = tmp_path_factory.mktemp("source-health")
    settings = Settings(data_dir=data, crawl=False, extract_workers=1, model_threads=1, auth="keys")
    texts = asyncio.run(_seed(settings.database_path))
    with serve_app(create_app(settings)) as base:
        yield base, texts


def _as(served: tuple[str, dict[str, str]], name: str) -> httpx.Client:
    base, texts = served
    return httpx.Client(
        base_url=base, timeout=60, headers={"Authorization": f"Bearer {texts[name]}"}
    )


@pytest.fixture
def reader(served: tuple[str, dict[str, str]]) -> Iterator[httpx.Client]:
    with _as(served, "reader") as c:
        yield c


def test_one_call_answers_every_source_as_its_own_health_route(reader: httpx.Client) -> None:
    page = reader.get("/v1/sources/health").json()
    assert page["next_cursor"] is None
    assert [h["source_id"] for h in page["items"]] == [s.id for s in SOURCES]
    for health in page["items"]:
        alone = reader.get(f"/v1/sources/{health['source_id']}/health").json()
        assert health == alone
    by_id = {h["source_id"]: h for h in page["items"]}
    failing = by_id["s03"]
    assert failing["enabled"] is False and failing["disabled_reason"] == "12 failures in a row"
    assert failing["consecutive_failures"] == 12
    assert (failing["last_error"], failing["last_error_class"]) == (
        "HTTP 410 Gone",
        "PermanentFetchError",
    )
    assert failing["last_success_at"] == "2026-05-01T09:00:00Z"
    assert by_id["s05"]["disabled_reason"] == "disabled in its configuration"
    assert by_id["s00"]["enabled"] is True and by_id["s00"]["consecutive_failures"] == 0
    assert by_id["s01"]["last_polled_at"] is None  # never polled: no feed state yet


def test_pages_cover_every_source_once_in_id_order(reader: httpx.Client) -> None:
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = reader.get("/v1/sources/health", params=params).json()
        pages += 1
        assert len(page["items"]) <= 3
        seen += [h["source_id"] for h in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [s.id for s in SOURCES]


def test_a_source_added_between_pages_neither_shifts_nor_repeats_the_others() -> None:
    sources = [s.to_source() for s in SOURCES]
    first, more = page_of(sources, after=None, limit=3)
    assert more and [s.id for s in first] == ["s00", "s01", "s02"]
    earlier = SourceCreate(id="s00a", url="https://a.example/feed", outlet="A").to_source()
    after = decode_cursor(encode_cursor(first[-1].id))
    rest, more = page_of([earlier, *sources], after=after, limit=10)
    assert not more and [s.id for s in rest] == ["s03", "s04", "s05", "s06"]


@pytest.mark.parametrize("cursor", ["!!", "bm90IGpzb24", encode_cursor("x")[:-2] + "Zz", "e30"])
def test_a_cursor_this_api_did_not_issue_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor)


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"limit": 0}, 422, "limit"),
        ({"limit": 501}, 422, "limit"),
        ({"limit": "many"}, 422, "limit"),
        ({"cursor": "not-a-cursor"}, 400, "cursor"),
        ({"cursor": "eyJhZnRlciI6IDF9"}, 400, "cursor"),  # {"after": 1}
    ],
)
def test_bad_input_is_a_problem_naming_the_field(
    reader: httpx.Client, params: dict[str, str | int], status: int, field: str
) -> None:
    assert_problem(reader.get("/v1/sources/health", params=params), status, field)


def test_the_read_scope_and_a_key_for_every_brand_are_needed(
    served: tuple[str, dict[str, str]],
) -> None:
    base, _ = served
    no_key = httpx.get(f"{base}/v1/sources/health", timeout=60)
    assert_problem(no_key, 401)
    with _as(served, "writer-only") as writer:
        body = assert_problem(writer.get("/v1/sources/health"), 403)
        assert "'read'" in str(body["detail"])
    with _as(served, "one-brand") as limited:
        body = assert_problem(limited.get("/v1/sources/health"), 403)
        assert "every brand" in str(body["detail"])
