"""Contract: campaigns (``CampaignStore``): put (create or replace), get, list, delete."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from search import Campaign, Store, StoreError, campaign_store
from tests.store_contract.conftest import StoreFactory

MAY = datetime(2026, 5, 1, tzinfo=UTC)
SPRING = Campaign(
    id="spring-launch",
    brand_id="acme",
    name="Spring launch — Europe",
    start=MAY,
    end=MAY + timedelta(days=14),
    tags=("spring", "launch"),
    description="The new range, press and paid social.",
)


async def test_put_get_round_trips_every_field(store: Store) -> None:
    campaigns = campaign_store(store)
    assert await campaigns.put_campaign(SPRING) is True
    assert await campaigns.get_campaign(SPRING.id) == SPRING
    assert await campaigns.get_campaign("nope") is None


async def test_put_again_replaces_and_says_so(store: Store) -> None:
    campaigns = campaign_store(store)
    await campaigns.put_campaign(SPRING)
    assert await campaigns.put_campaign(SPRING) is False
    renamed = replace(SPRING, name="Spring", tags=(), description="")
    assert await campaigns.put_campaign(renamed) is False
    assert await campaigns.list_campaigns() == [renamed]


async def test_times_come_back_in_utc(store: Store) -> None:
    campaigns = campaign_store(store)
    paris = timezone(timedelta(hours=2))
    await campaigns.put_campaign(
        replace(SPRING, start=SPRING.start.astimezone(paris), end=SPRING.end.astimezone(paris))
    )
    got = await campaigns.get_campaign(SPRING.id)
    assert got is not None
    assert (got.start, got.end) == (SPRING.start, SPRING.end)
    assert got.start.utcoffset() == timedelta(0) and got.end.utcoffset() == timedelta(0)


async def test_list_latest_start_first_ties_by_id_and_by_brand(store: Store) -> None:
    campaigns = campaign_store(store)
    for campaign_id, brand, days in (("b", "acme", 0), ("a", "acme", 0), ("c", "acme", 30),
                                     ("g", "globex", 10)):  # fmt: skip
        start = MAY + timedelta(days=days)
        await campaigns.put_campaign(
            replace(SPRING, id=campaign_id, brand_id=brand, start=start, end=start + timedelta(1))
        )
    assert [c.id for c in await campaigns.list_campaigns()] == ["c", "g", "a", "b"]
    assert [c.id for c in await campaigns.list_campaigns(brand_id="acme")] == ["c", "a", "b"]
    assert [c.id for c in await campaigns.list_campaigns(brand_id="globex")] == ["g"]
    assert await campaigns.list_campaigns(brand_id="initech") == []
    # moving a campaign to another brand moves it in the lists
    await campaigns.put_campaign(replace(SPRING, id="g", brand_id="acme"))
    assert [c.id for c in await campaigns.list_campaigns(brand_id="globex")] == []


async def test_delete_says_whether_it_was_there(store: Store) -> None:
    campaigns = campaign_store(store)
    await campaigns.put_campaign(SPRING)
    assert await campaigns.delete_campaign(SPRING.id) is True
    assert await campaigns.delete_campaign(SPRING.id) is False
    assert await campaigns.get_campaign(SPRING.id) is None
    assert await campaigns.list_campaigns() == []
    assert await campaigns.put_campaign(SPRING) is True  # created again


@pytest.mark.parametrize(
    "bad",
    [
        replace(SPRING, end=SPRING.start),
        replace(SPRING, end=SPRING.start - timedelta(seconds=1)),
        replace(SPRING, start=datetime(2026, 5, 1)),  # naive
        replace(SPRING, end=datetime(2026, 6, 1)),  # naive
    ],
)
async def test_bad_windows_are_refused_and_nothing_is_written(store: Store, bad: Campaign) -> None:
    campaigns = campaign_store(store)
    with pytest.raises(StoreError):
        await campaigns.put_campaign(bad)
    assert await campaigns.list_campaigns() == []


async def test_campaigns_survive_a_restart(make_store: StoreFactory) -> None:
    first = make_store()
    await first.open()
    try:
        await campaign_store(first).put_campaign(SPRING)
    finally:
        await first.close()
    second = make_store()
    await second.open()
    try:
        assert await campaign_store(second).get_campaign(SPRING.id) == SPRING
    finally:
        await second.close()


def test_an_object_without_campaigns_is_refused() -> None:
    with pytest.raises(StoreError):
        campaign_store(object())
