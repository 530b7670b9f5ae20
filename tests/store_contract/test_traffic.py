"""``TrafficStore`` on every backend: idempotent writes, sums in the store, look-ups."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from search import Store, StoreError, TrafficEvent, TrafficRow, TrafficSlot, traffic_store
from tests.store_contract._data import doc, mention, utc


def event(key: str, at: datetime, **fields: object) -> TrafficEvent:
    values: dict[str, object] = {
        "id": key,
        "timestamp": at,
        "landing_url": "https://acme.example/",
        "brand_id": "acme",
    }
    values.update(fields)
    return TrafficEvent(**values)  # type: ignore[arg-type]


async def test_the_same_batch_twice_is_stored_once(store: Store) -> None:
    traffic = traffic_store(store)
    batch = [event("a", utc(2026, 5, 1, 10)), event("b", utc(2026, 5, 1, 11), sessions=3)]
    assert await traffic.put_traffic_events(batch) == (2, 0)
    assert await traffic.put_traffic_events(batch) == (0, 2)
    # A repeated id inside one batch, and an id already stored with other values.
    again = [event("c", utc(2026, 5, 1, 12)), event("c", utc(2026, 5, 1, 12))]
    assert await traffic.put_traffic_events([*again, event("a", utc(2026, 5, 2), sessions=9)]) == (
        1,
        2,
    )
    slots = await traffic.traffic_slots("acme", start=utc(2026, 5, 1), end=utc(2026, 5, 3))
    assert sum(s.sessions for s in slots) == 1 + 3 + 1  # the first "a" kept, not the second
    assert await traffic.put_traffic_events([]) == (0, 0)


async def test_slots_and_breakdowns_are_summed_per_brand_and_window(store: Store) -> None:
    traffic = traffic_store(store)
    t = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    await traffic.put_traffic_events(
        [
            event("1", t.replace(minute=1), channel="document", document_id="d1",
                  outlet="news.example", sessions=2, conversions=1, campaign="spring"),
            event("2", t.replace(minute=14), channel="outlet", outlet="news.example"),
            event("3", t.replace(minute=20), channel="outlet", outlet="blog.example",
                  sessions=4, campaign="spring"),
            event("4", t.replace(minute=5), channel="other", sessions=10, conversions=2),
            event("5", t.replace(minute=6), channel="paid", sessions=7),
            event("6", t.replace(minute=6), brand_id="other", channel="outlet", sessions=50),
            event("7", t.replace(day=2), channel="outlet", outlet="news.example"),  # after end
        ]
    )  # fmt: skip
    start, end = utc(2026, 5, 1), utc(2026, 5, 2)
    slots = await traffic.traffic_slots("acme", start=start, end=end)
    assert slots == [
        TrafficSlot(utc(2026, 5, 1, 10, 0), False, 17, 2),
        TrafficSlot(utc(2026, 5, 1, 10, 0), True, 3, 1),
        TrafficSlot(utc(2026, 5, 1, 10, 15), True, 4, 0),
    ]
    by_outlet = await traffic.traffic_breakdown("acme", start=start, end=end, by="outlet")
    assert by_outlet == [TrafficRow("blog.example", 4, 0), TrafficRow("news.example", 3, 1)]
    by_document = await traffic.traffic_breakdown("acme", start=start, end=end, by="document")
    assert by_document == [TrafficRow("", 5, 0), TrafficRow("d1", 2, 1)]
    by_campaign = await traffic.traffic_breakdown("acme", start=start, end=end, by="campaign")
    assert by_campaign == [TrafficRow("spring", 6, 1), TrafficRow("", 1, 0)]
    assert await traffic.traffic_slots("nobody", start=start, end=end) == []


async def test_attribution_lookups_find_mentions_by_document_and_outlet(store: Store) -> None:
    traffic = traffic_store(store)
    await store.save_document(doc("d1", published_at=utc(2026, 5, 1, 8)), [mention("d1", "acme")])
    await store.save_document(doc("d2", published_at=utc(2026, 5, 3)), [mention("d2", "beta")])
    assert await traffic.document_mentioning("d1", "acme") == ("d1", "news.example")
    assert await traffic.document_mentioning("d1", "beta") is None
    assert await traffic.document_mentioning("missing", "acme") is None
    domains = ("www.news.example", "news.example")
    found = await traffic.outlet_covering(
        domains, "acme", start=utc(2026, 4, 30), end=utc(2026, 5, 1, 8)
    )
    assert found == "news.example"  # the end is inclusive
    assert (
        await traffic.outlet_covering(
            domains, "acme", start=utc(2026, 5, 1, 9), end=utc(2026, 6, 1)
        )
        is None
    )
    assert (
        await traffic.outlet_covering(
            ("blog.example",), "acme", start=utc(2026, 1, 1), end=utc(2027, 1, 1)
        )
        is None
    )
    assert (
        await traffic.outlet_covering((), "acme", start=utc(2026, 1, 1), end=utc(2027, 1, 1))
        is None
    )


async def test_replace_overwrites_and_paging_visits_every_event_once(store: Store) -> None:
    traffic = traffic_store(store)
    events = [event(f"e{n:02d}", utc(2026, 5, 1, 10), utm_medium="email") for n in range(5)]
    await traffic.put_traffic_events(events)
    seen: list[TrafficEvent] = []
    after: str | None = None
    while page := await traffic.traffic_events_after(after, limit=2):
        seen.extend(page)
        after = page[-1].id
    assert seen == events  # every field round-trips, in id order
    earned = replace(events[1], channel="outlet", outlet="news.example")
    await traffic.replace_traffic_events([earned])
    await traffic.replace_traffic_events([])
    assert await traffic.traffic_events_after("e00", limit=1) == [earned]
    rows = await traffic.traffic_breakdown(
        "acme", start=utc(2026, 5, 1), end=utc(2026, 5, 2), by="outlet"
    )
    assert rows == [TrafficRow("news.example", 1, 0)]
    with pytest.raises(StoreError):
        await traffic.traffic_events_after(None, limit=0)
