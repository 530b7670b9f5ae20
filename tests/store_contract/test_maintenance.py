"""Contract: copying out (``documents_after``), retention (``delete_before``) and
re-saves that drop mentions leave exactly what they should."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from search import ElasticsearchConfig, ElasticsearchStore, MentionFilter, Store, StoreError
from tests._elasticsearch import drop_indices
from tests.store_contract._data import doc, mention, utc

EVERYTHING = MentionFilter()
UTC_ZONE = ZoneInfo("UTC")


async def _mentions(store: Store) -> list[tuple[str, str, str]]:
    page = await store.search_mentions(EVERYTHING, limit=1000)
    assert page.next_cursor is None
    return sorted(
        (h.mention.document_id, h.mention.brand_id, h.mention.sentiment.label) for h in page.hits
    )


async def _counts(store: Store) -> list[tuple[datetime, str, int]]:
    buckets = await store.mention_counts(EVERYTHING, interval="day", tz=UTC_ZONE)
    return [(b.start, b.brand_id, b.count) for b in buckets]


async def test_documents_after_pages_every_document_in_id_order(store: Store) -> None:
    saved = {}
    for i, day in enumerate([3, 1, 30, 2, 15, 7, 9]):
        d = doc(f"d{i}", published_at=utc(2026, 1 + i % 3, day, 8), title=f"Story {i}")
        brands = ["acme", "globex", "initech"][: i % 3 + 1] if i != 4 else []
        ms = [mention(d.id, b, "positive" if b == "acme" else "neutral") for b in brands]
        await store.save_document(d, ms)
        saved[d.id] = (d, sorted(ms, key=lambda m: m.brand_id))
    got: list[Any] = []
    after = None
    while True:
        page = await store.documents_after(after, limit=3)
        assert len(page) <= 3
        got.extend(page)
        if len(page) < 3:
            break
        after = page[-1][0].id
    assert [d.id for d, _ in got] == sorted(saved)
    for d, ms in got:
        assert (d, ms) == saved[d.id]
    assert await store.documents_after("d6", limit=10) == []
    assert [d.id for d, _ in await store.documents_after("d2", limit=2)] == ["d3", "d4"]
    with pytest.raises(StoreError):
        await store.documents_after(None, limit=0)


async def test_documents_after_on_an_empty_store(store: Store) -> None:
    assert await store.documents_after(None, limit=10) == []


async def test_delete_before_removes_whole_and_partial_months(store: Store) -> None:
    times = {
        "jan": utc(2026, 1, 10),
        "feb-early": utc(2026, 2, 3, 23, 59, 59),
        "feb-cut": utc(2026, 2, 4),  # exactly the cutoff: kept
        "feb-late": utc(2026, 2, 20),
        "mar": utc(2026, 3, 1),
    }
    for doc_id, when in times.items():
        await store.save_document(
            doc(doc_id, published_at=when), [mention(doc_id, "acme"), mention(doc_id, "globex")]
        )
    # a document without publication time counts at its fetch time
    await store.save_document(
        doc("fetched-old", published_at=None, fetched_at=utc(2026, 1, 20)),
        [mention("fetched-old", "acme")],
    )
    assert await store.delete_before(utc(2026, 2, 4)) == 3
    assert await store.count_documents() == 3
    assert {d.id for d, _ in await store.documents_after(None, limit=100)} == {
        "feb-cut",
        "feb-late",
        "mar",
    }
    assert {m[0] for m in await _mentions(store)} == {"feb-cut", "feb-late", "mar"}
    assert [c[2] for c in await _counts(store)] == [1, 1, 1, 1, 1, 1]
    assert await store.get_document("jan") is None
    assert await store.existing_document_ids(["jan", "feb-early", "mar"]) == {"mar"}
    # repeating it deletes nothing more; a naive cutoff is refused before any delete
    assert await store.delete_before(utc(2026, 2, 4)) == 0
    with pytest.raises(StoreError):
        await store.delete_before(datetime(2026, 12, 1))
    assert await store.count_documents() == 3
    # a deleted document can be saved again (nothing of it lingers)
    again = doc("jan", published_at=utc(2026, 1, 10))
    assert await store.save_document(again, [mention("jan", "initech")]) == "created"
    assert ("jan", "initech", "neutral") in await _mentions(store)


async def test_delete_before_on_an_empty_store(store: Store) -> None:
    assert await store.delete_before(utc(2026, 6, 1)) == 0


async def test_resave_with_fewer_mentions_leaves_exactly_the_new_ones(store: Store) -> None:
    d = doc("d1", published_at=utc(2026, 4, 30, 23))
    brands = ["acme", "globex", "initech", "umbrella"]
    await store.save_document(d, [mention("d1", b) for b in brands])
    fewer = d.replace(text="Second version.")
    assert await store.save_document(fewer, [mention("d1", "globex", "negative")]) == "updated"
    assert await _mentions(store) == [("d1", "globex", "negative")]
    # moved to another month (publication time corrected) with another brand
    moved = fewer.replace(text="Third version.", published_at=utc(2026, 5, 2))
    assert await store.save_document(moved, [mention("d1", "acme")]) == "updated"
    assert await _mentions(store) == [("d1", "acme", "neutral")]
    assert await _counts(store) == [(utc(2026, 5, 2), "acme", 1)]


@pytest.mark.elasticsearch
async def test_es_save_that_stopped_before_its_document_leaves_no_strays(
    es_config: ElasticsearchConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save that wrote its mentions and stopped before writing the document (a
    crash; injected as a fault) leaves mentions no stored document lists; the
    next save of the document removes them."""
    prefix = f"ct-{uuid.uuid4().hex[:12]}"
    store = ElasticsearchStore(es_config, index_prefix=prefix)
    await store.open()
    try:
        d = doc("d1", published_at=utc(2026, 4, 3))
        await store.save_document(d, [mention("d1", "acme")])
        real_write = store._write_document

        async def crash(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("process killed")

        monkeypatch.setattr(store, "_write_document", crash)
        for version, brands in [("v2", ["acme", "globex", "initech"]), ("v3", ["hooli"])]:
            with pytest.raises(RuntimeError):
                await store.save_document(
                    d.replace(text=version), [mention("d1", b) for b in brands]
                )
        # a brand-new document that never got written
        with pytest.raises(RuntimeError):
            await store.save_document(doc("d2", published_at=utc(2026, 4, 3)), [mention("d2", "x")])
        monkeypatch.setattr(store, "_write_document", real_write)
        assert await store.save_document(d.replace(text="v4"), [mention("d1", "globex")]) == (
            "updated"
        )
        assert await store.save_document(doc("d2", published_at=utc(2026, 4, 3)), []) == "created"
        assert await _mentions(store) == [("d1", "globex", "neutral")]
    finally:
        await store.close()
        await drop_indices(es_config, prefix)
