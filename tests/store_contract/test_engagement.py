"""Contract: ``update_engagement`` replaces a stored document's engagement counts in
place (nothing else: not its other ``extra`` entries, its mentions, their rollups,
its syndication or the version ``save_document`` compares); ``get_documents`` reads
many documents at once."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from enrichment import Syndication
from enrichment._syndication import sketch
from search import MentionFilter, Store, StoreError
from tests.store_contract._data import doc, mention, utc
from tests.store_contract.conftest import StoreFactory

NOON = utc(2026, 5, 4, 12, 0)
UTC = ZoneInfo("UTC")
POST = " ".join(f"word{i} of a post long enough to get a minhash signature" for i in range(30))
EXTRA = {
    "platform": "mastodon",
    "post_id": "1",
    "engagement.likes": "2",
    "engagement.reposts": "1",
    "engagement.quotes": "5",
}


async def _saved(store: Store) -> None:
    post = doc("p1", published_at=NOON, text=POST, extra=EXTRA, channel="social")
    signature, keys = sketch(post.text)
    mentions = [mention("p1", "acme", "positive", 0.9)]
    syndication = Syndication("p1", signature, keys)
    assert await store.save_document(post, mentions, syndication=syndication) == "created"
    await store.save_document(doc("n1", published_at=NOON, extra={"updated_at": "x"}), [])


async def _mentions_and_counts(store: Store) -> tuple[object, ...]:
    page = await store.search_mentions(MentionFilter(), limit=10)
    buckets = await store.mention_counts(MentionFilter(), interval="day", tz=UTC)
    stats = await store.mention_stats(MentionFilter(), group_by=("brand",), tz=UTC)
    candidates = await store.syndication_candidates(sketch(POST)[1])
    return page.hits, buckets, stats, [(c.document_id, c.cluster_id) for c in candidates]


async def test_update_engagement_replaces_only_the_document_counts(
    make_store: StoreFactory,
) -> None:
    store = make_store()
    await store.open()
    try:
        await _saved(store)
        before = await store.get_document("p1")
        assert before is not None
        around = await _mentions_and_counts(store)

        changed = await store.update_engagement(
            {"p1": {"likes": 40, "reposts": 1, "replies": 3}}  # quotes gone, replies new
        )
        assert changed == 1
        after = await store.get_document("p1")
        assert after is not None
        assert after.extra == {
            "platform": "mastodon",
            "post_id": "1",
            "engagement.likes": "40",
            "engagement.reposts": "1",
            "engagement.replies": "3",
        }
        assert after.replace(extra=before.extra) == before  # every other field as it was
        assert await _mentions_and_counts(store) == around
        # The version save_document compares is the same: a poll seeing it again skips it.
        assert await store.save_document(before, []) == "unchanged"
        assert await _mentions_and_counts(store) == around
        assert await store.count_documents() == 2
    finally:
        await store.close()

    reopened = make_store()  # the write survived
    await reopened.open()
    try:
        stored = await reopened.get_document("p1")
        assert stored is not None and stored.extra["engagement.likes"] == "40"
    finally:
        await reopened.close()


async def test_update_engagement_is_idempotent_and_ignores_unknown_ids(store: Store) -> None:
    await _saved(store)
    counts = {"p1": {"likes": 7}, "nope": {"likes": 1}}
    assert await store.update_engagement(counts) == 1
    first = await store.get_documents(["p1", "n1"])
    assert await store.update_engagement(counts) == 0
    assert await store.get_documents(["p1", "n1"]) == first
    assert await store.get_document("nope") is None
    assert await store.count_documents() == 2
    assert await store.update_engagement({}) == 0
    assert await store.update_engagement({"nope": {"likes": 3}}) == 0

    # A document without counts gets them; an empty mapping removes them all.
    assert await store.update_engagement({"n1": {"views": 10}}) == 1
    news = await store.get_document("n1")
    assert news is not None and news.extra == {"updated_at": "x", "engagement.views": "10"}
    assert await store.update_engagement({"n1": {}}) == 1
    news = await store.get_document("n1")
    assert news is not None and news.extra == {"updated_at": "x"}


async def test_a_negative_count_is_refused_before_anything_is_written(store: Store) -> None:
    await _saved(store)
    with pytest.raises(StoreError):
        await store.update_engagement({"p1": {"likes": 9}, "n1": {"likes": -1}})
    stored = await store.get_document("p1")
    assert stored is not None and stored.extra == EXTRA


async def test_get_documents_reads_stored_documents_by_id(store: Store) -> None:
    await _saved(store)
    found = await store.get_documents(["n1", "zz", "p1", "n1"])
    assert sorted(found) == ["n1", "p1"]
    assert found["p1"] == await store.get_document("p1")
    assert found["n1"] == await store.get_document("n1")
    assert await store.get_documents([]) == {}
