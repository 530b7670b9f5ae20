"""Contract: what the crawler looks up before fetching a page again, and social sources.

``stored_versions`` answers, in one call, which entry ids are stored (as a document
id or as an alias recorded from ``extra["entry_url"]``) and each one's
``extra["updated_at"]``. A social source and its adapter cursor round-trip too.
"""

from __future__ import annotations

from datetime import UTC, datetime

from crawlers import FeedState, Source, document_id
from search import Store, StoredVersion
from tests.store_contract._data import doc, utc
from tests.store_contract.conftest import StoreFactory

NOON = utc(2026, 5, 4, 12, 0)
CANONICAL = "https://news.example/story"
ENTRY = "https://news.example/feeds/story?from=rss"


async def test_stored_versions_by_id_with_the_updated_stamp(store: Store) -> None:
    await store.save_document(doc("a", published_at=NOON), [])
    stamped = doc("b", published_at=NOON, extra={"updated_at": "2026-05-04T14:00:00+02:00"})
    await store.save_document(stamped, [])
    found = await store.stored_versions(["a", "b", "zz", "a"])
    assert found == {
        "a": StoredVersion("a", None),
        "b": StoredVersion("b", datetime(2026, 5, 4, 12, 0, tzinfo=UTC)),
    }
    assert await store.stored_versions([]) == {}


async def test_an_entry_url_is_an_alias_of_its_canonical_document(store: Store) -> None:
    canonical_id, entry_id = document_id(CANONICAL), document_id(ENTRY)
    extra = {"entry_url": ENTRY, "updated_at": "2026-05-04T12:00:00+00:00"}
    first = doc(canonical_id, published_at=NOON, extra=extra).replace(url=CANONICAL)
    assert await store.save_document(first, []) == "created"
    found = await store.stored_versions([entry_id, canonical_id])
    assert found[entry_id] == found[canonical_id] == StoredVersion(canonical_id, NOON)
    assert await store.count_documents() == 1

    # Reached through a second URL, unchanged: the alias is recorded all the same.
    other = "https://news.example/amp-less/story"
    again = first.replace(extra={**extra, "entry_url": other})
    assert await store.save_document(again, []) == "unchanged"
    assert (await store.stored_versions([document_id(other)]))[
        document_id(other)
    ].document_id == canonical_id


async def test_an_alias_survives_a_restart(make_store: StoreFactory) -> None:
    canonical_id, entry_id = document_id(CANONICAL), document_id(ENTRY)
    first = make_store()
    await first.open()
    await first.save_document(
        doc(canonical_id, published_at=NOON, extra={"entry_url": ENTRY}).replace(url=CANONICAL),
        [],
    )
    await first.close()
    second = make_store()
    await second.open()
    try:
        assert await second.stored_versions([entry_id]) == {
            entry_id: StoredVersion(canonical_id, None)
        }
    finally:
        await second.close()


async def test_a_social_source_and_its_cursor_round_trip(make_store: StoreFactory) -> None:
    source = Source(
        id="hn-acme",
        url="https://hn.algolia.com",
        outlet="Hacker News",
        kind="social",
        channel="social",
        platform="hackernews",
        target="acme rockets",
    )
    state = FeedState(source_id="hn-acme", cursor="2026-05-04T12:00:00+00:00 123 456")
    first = make_store()
    await first.open()
    await first.put_source(source)
    await first.put_feed_state(state)
    await first.close()
    second = make_store()
    await second.open()
    try:
        assert await second.get_source("hn-acme") == source
        assert await second.get_feed_state("hn-acme") == state
    finally:
        await second.close()


async def test_a_new_stamp_alone_updates_the_stored_version(store: Store) -> None:
    # A re-dated entry whose page did not change must not be fetched at every poll:
    # its new stamp is stored even though title and text are the same.
    old = doc("d", published_at=NOON, extra={"updated_at": "2026-05-04T12:00:00+00:00"})
    assert await store.save_document(old, []) == "created"
    assert await store.save_document(old, []) == "unchanged"
    later = old.replace(extra={"updated_at": "2026-05-04T13:00:00+00:00"})
    assert await store.save_document(later, []) == "updated"
    assert await store.stored_versions(["d"]) == {"d": StoredVersion("d", utc(2026, 5, 4, 13))}
