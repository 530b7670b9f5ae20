"""Contract: documents and their mentions are saved once, atomically, durably."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from search import MentionFilter, Store, StoreError
from tests.store_contract._data import doc, mention, utc
from tests.store_contract.conftest import StoreFactory

NOON = utc(2026, 5, 4, 12, 0)
EVERYTHING = MentionFilter()
UTC_ZONE = ZoneInfo("UTC")


async def _mentions(store: Store) -> list[tuple[str, str, str]]:
    page = await store.search_mentions(EVERYTHING, limit=100)
    return sorted(
        (h.mention.document_id, h.mention.brand_id, h.mention.sentiment.label) for h in page.hits
    )


async def test_document_round_trips_with_every_field(store: Store) -> None:
    plus_two = timezone(timedelta(hours=2))
    full = doc(
        "d1",
        published_at=datetime(2026, 5, 4, 14, 0, 0, 500, tzinfo=plus_two),
        fetched_at=datetime(2026, 5, 4, 12, 5, 7, 999999, tzinfo=UTC),
        title="Acme's rocket",
        text='Wile E. Coyote — ACME "quotes" \' and émojis 🚀.',
        authors=("Ann", "Bob"),
        language="en",
        channel="blog",
        country="US",
        tier=1,
        audience=5000,
        extra={"canonical": "https://news.example/c", "lead": "x"},
    )
    assert await store.save_document(full, [mention("d1", "acme")]) == "created"
    got = await store.get_document("d1")
    assert got == full
    assert got is not None and got.published_at is not None
    assert got.published_at.utcoffset() == timedelta(0)
    assert got.fetched_at.utcoffset() == timedelta(0)
    assert await store.get_document("nope") is None


async def test_saving_twice_changes_nothing(store: Store) -> None:
    d = doc("d1", published_at=NOON)
    assert await store.save_document(d, [mention("d1", "acme")]) == "created"
    assert await store.save_document(d, [mention("d1", "acme")]) == "unchanged"
    assert await store.count_documents() == 1
    assert await _mentions(store) == [("d1", "acme", "neutral")]


async def test_changed_title_or_text_replaces_document_and_mentions(store: Store) -> None:
    d = doc("d1", published_at=NOON, title="Acme and Globex")
    await store.save_document(d, [mention("d1", "acme"), mention("d1", "globex")])
    new_text = d.replace(text="Now about Initech, and Acme is negative.")
    outcome = await store.save_document(
        new_text, [mention("d1", "acme", "negative"), mention("d1", "initech")]
    )
    assert outcome == "updated"
    assert await store.count_documents() == 1
    assert await store.get_document("d1") == new_text
    assert await _mentions(store) == [("d1", "acme", "negative"), ("d1", "initech", "neutral")]
    new_title = new_text.replace(title="Only Globex")
    assert await store.save_document(new_title, [mention("d1", "globex")]) == "updated"
    assert await _mentions(store) == [("d1", "globex", "neutral")]


async def test_update_without_mentions_removes_them(store: Store) -> None:
    d = doc("d1", published_at=NOON)
    await store.save_document(d, [mention("d1", "acme")])
    assert await store.save_document(d.replace(text="Nothing here."), []) == "updated"
    assert await _mentions(store) == []
    assert await store.count_documents() == 1


async def test_update_moves_mentions_to_the_new_publication_time(store: Store) -> None:
    d = doc("d1", published_at=NOON)
    await store.save_document(d, [mention("d1", "acme")])
    later = d.replace(text="Corrected.", published_at=NOON + timedelta(days=1))
    await store.save_document(later, [mention("d1", "acme")])
    page = await store.search_mentions(EVERYTHING, limit=10)
    assert [h.published_at for h in page.hits] == [NOON + timedelta(days=1)]


async def test_a_mention_of_another_document_is_rejected_atomically(store: Store) -> None:
    d = doc("d1", published_at=NOON)
    with pytest.raises(StoreError):
        await store.save_document(d, [mention("d1", "acme"), mention("other", "acme")])
    assert await store.count_documents() == 0
    assert await _mentions(store) == []


async def test_existing_document_ids(store: Store) -> None:
    await store.save_document(doc("a", published_at=NOON), [])
    await store.save_document(doc("b", published_at=NOON), [])
    assert await store.existing_document_ids(["a", "c", "b", "a"]) == {"a", "b"}
    assert await store.existing_document_ids([]) == set()
    assert await store.existing_document_ids(["zz"]) == set()


async def test_documents_survive_a_restart(make_store: StoreFactory) -> None:
    first = make_store()
    await first.open()
    d = doc("d1", published_at=NOON, title="Acme rocket")
    await first.save_document(d, [mention("d1", "acme", "positive")])
    await first.close()

    second = make_store()
    await second.open()
    try:
        assert await second.count_documents() == 1
        assert await second.get_document("d1") == d
        assert await second.save_document(d, [mention("d1", "acme")]) == "unchanged"
        assert await _mentions(second) == [("d1", "acme", "positive")]
    finally:
        await second.close()


async def test_concurrent_saves_neither_fail_nor_lose_writes(store: Store) -> None:
    docs = [doc(f"d{i:03}", published_at=NOON + timedelta(minutes=i)) for i in range(60)]
    outcomes = await asyncio.gather(
        *(store.save_document(d, [mention(d.id, "acme"), mention(d.id, "globex")]) for d in docs),
        # the same documents again, racing with the first saves
        *(store.save_document(d, [mention(d.id, "acme"), mention(d.id, "globex")]) for d in docs),
        *(store.count_documents() for _ in range(10)),
    )
    saves = outcomes[: 2 * len(docs)]
    assert sorted(saves) == ["created"] * 60 + ["unchanged"] * 60
    assert await store.count_documents() == 60
    counts = await store.mention_counts(EVERYTHING, interval="day", tz=UTC_ZONE)
    assert [(c.brand_id, c.count) for c in counts] == [("acme", 60), ("globex", 60)]


async def test_reads_see_every_returned_write(store: Store) -> None:
    for i in range(20):
        d = doc(f"d{i}", published_at=NOON)
        await store.save_document(d, [mention(d.id, "acme")])
        assert await store.existing_document_ids([d.id]) == {d.id}
        assert await store.count_documents() == i + 1
