"""Contract: lifecycle, brands, sources and feed states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from crawlers import FeedState, Source
from enrichment import Brand
from search import MentionFilter, Store, StoreError
from tests.store_contract.conftest import StoreFactory

ACME = Brand(
    id="acme",
    name="Acme",
    query='"Acme Corp" OR acme*',
    aliases=("ACME",),
    competitors=("globex",),
    owned_domains=("acme.example",),
    spokespeople=("Wile E. Coyote",),
    key_messages=("fast rockets",),
)
GLOBEX = Brand(id="globex", name="Globex")
NEWS = Source(
    id="news",
    url="https://news.example/feed",
    outlet="Example News",
    domain="news.example",
    channel="blog",
    country="FR",
    language="fr",
    tier=1,
    audience=120_000,
    enabled=False,
)


async def test_calls_before_open_raise_store_error(make_store: StoreFactory) -> None:
    store = make_store()
    with pytest.raises(StoreError):
        await store.list_brands()
    with pytest.raises(StoreError):
        await store.count_documents()


async def test_calls_after_close_raise_store_error(make_store: StoreFactory) -> None:
    store = make_store()
    await store.open()
    await store.close()
    with pytest.raises(StoreError):
        await store.get_brand("acme")


async def test_brands_round_trip_and_list_by_id(store: Store) -> None:
    assert await store.list_brands() == []
    assert await store.get_brand("acme") is None
    await store.put_brand(GLOBEX)
    await store.put_brand(ACME)
    assert await store.get_brand("acme") == ACME
    assert await store.list_brands() == [ACME, GLOBEX]


async def test_put_brand_replaces(store: Store) -> None:
    await store.put_brand(ACME)
    renamed = Brand(id="acme", name="Acme Inc.")
    await store.put_brand(renamed)
    assert await store.get_brand("acme") == renamed
    assert await store.list_brands() == [renamed]


async def test_delete_brand_says_whether_it_existed(store: Store) -> None:
    await store.put_brand(ACME)
    assert await store.delete_brand("acme") is True
    assert await store.delete_brand("acme") is False
    assert await store.get_brand("acme") is None


async def test_sources_round_trip_replace_and_delete(store: Store) -> None:
    other = Source(id="blog", url="https://blog.example/rss", outlet="Blog")
    await store.put_source(NEWS)
    await store.put_source(other)
    assert await store.get_source("news") == NEWS
    assert await store.list_sources() == [other, NEWS]
    enabled = Source(id="news", url=NEWS.url, outlet=NEWS.outlet)
    await store.put_source(enabled)
    assert await store.get_source("news") == enabled
    assert await store.delete_source("news") is True
    assert await store.delete_source("news") is False
    assert await store.list_sources() == [other]


async def test_feed_state_round_trip_in_utc(store: Store) -> None:
    assert await store.get_feed_state("news") is None
    paris_summer = timezone(timedelta(hours=2))
    state = FeedState(
        source_id="news",
        etag='W/"abc"',
        last_modified="Wed, 21 Oct 2026 07:28:00 GMT",
        last_polled_at=datetime(2026, 10, 21, 9, 30, 0, 123456, tzinfo=paris_summer),
        last_success_at=datetime(2026, 10, 21, 7, 0, tzinfo=UTC),
        consecutive_failures=2,
        last_error="HTTP 503",
        last_error_class="TemporaryFetchError",
    )
    await store.put_feed_state(state)
    got = await store.get_feed_state("news")
    assert got == state
    assert got is not None and got.last_polled_at is not None
    assert got.last_polled_at.utcoffset() == timedelta(0)
    assert got.last_polled_at == datetime(2026, 10, 21, 7, 30, 0, 123456, tzinfo=UTC)


async def test_put_feed_state_replaces(store: Store) -> None:
    await store.put_feed_state(FeedState(source_id="news", etag="1", consecutive_failures=3))
    await store.put_feed_state(FeedState(source_id="news", etag="2"))
    assert await store.get_feed_state("news") == FeedState(source_id="news", etag="2")


async def test_update_feed_state_applies_the_change_to_the_stored_state(store: Store) -> None:
    seen: list[FeedState | None] = []

    def fail(state: FeedState | None) -> FeedState:
        seen.append(state)
        failures = state.consecutive_failures + 1 if state else 1
        return FeedState(source_id="news", etag="e", consecutive_failures=failures)

    assert await store.update_feed_state("news", fail) == FeedState(
        source_id="news", etag="e", consecutive_failures=1
    )
    assert await store.update_feed_state("news", fail) == FeedState(
        source_id="news", etag="e", consecutive_failures=2
    )
    assert seen == [None, FeedState(source_id="news", etag="e", consecutive_failures=1)]
    assert await store.get_feed_state("news") == FeedState(
        source_id="news", etag="e", consecutive_failures=2
    )


async def test_update_feed_state_writes_nothing_for_none_or_an_error(store: Store) -> None:
    assert await store.update_feed_state("news", lambda state: None) is None
    assert await store.get_feed_state("news") is None
    await store.put_feed_state(FeedState(source_id="news", etag="1"))

    def broken(state: FeedState | None) -> FeedState:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        await store.update_feed_state("news", broken)
    assert await store.update_feed_state("news", lambda state: None) is None
    assert await store.get_feed_state("news") == FeedState(source_id="news", etag="1")


async def test_naive_times_are_rejected(store: Store) -> None:
    with pytest.raises(StoreError):
        await store.put_feed_state(FeedState(source_id="x", last_polled_at=datetime(2026, 1, 1)))
    with pytest.raises(StoreError):
        await store.search_mentions(MentionFilter(start=datetime(2026, 1, 1)), limit=10)


async def test_configuration_survives_a_restart(make_store: StoreFactory) -> None:
    first = make_store()
    await first.open()
    await first.put_brand(ACME)
    await first.put_source(NEWS)
    await first.put_feed_state(FeedState(source_id="news", etag="e"))
    await first.close()
    second = make_store()
    await second.open()
    try:
        assert await second.list_brands() == [ACME]
        assert await second.list_sources() == [NEWS]
        assert await second.get_feed_state("news") == FeedState(source_id="news", etag="e")
    finally:
        await second.close()


async def test_open_and_close_are_idempotent_and_a_store_reopens(make_store: StoreFactory) -> None:
    store = make_store()
    await store.open()
    await store.open()
    await store.put_brand(GLOBEX)
    await store.close()
    await store.close()
    await store.open()
    try:
        assert await store.list_brands() == [GLOBEX]
    finally:
        await store.close()


async def test_feed_state_keeps_its_websub_subscription(store: Store) -> None:
    # Every FeedState field round-trips, times included (in UTC), so that a push
    # subscription survives a restart with its secret and lease.
    india = timezone(timedelta(hours=5, minutes=30))
    state = FeedState(
        source_id="news",
        websub_hub="https://hub.example/",
        websub_topic="https://news.example/feed.xml",
        websub_callback="https://clarion.example/v1/websub/news",
        websub_secret="0f" * 32,
        websub_state="active",
        websub_requested_at=datetime(2026, 11, 30, 12, 0, 0, 250000, tzinfo=UTC),
        websub_lease_seconds=864_000,
        websub_lease_expires_at=datetime(2026, 12, 10, 17, 30, tzinfo=india),
        websub_failures=2,
        websub_error="hub answered HTTP 503",
    )
    await store.put_feed_state(state)
    got = await store.get_feed_state("news")
    assert got == state
    assert got is not None and got.websub_lease_expires_at is not None
    assert got.websub_lease_expires_at.utcoffset() == timedelta(0)
    assert got.websub_lease_expires_at == datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
