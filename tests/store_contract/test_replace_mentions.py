"""Contract: ``save_document(..., replace=True)`` rewrites the mentions of a document
whose version did not change (re-enrichment, ``clarion backfill``), keeping its
syndication cluster when the same ``Syndication`` is passed."""

from __future__ import annotations

from enrichment import Syndication
from enrichment._syndication import sketch
from search import MentionFilter, Store
from tests.store_contract._data import doc, mention, utc

NOON = utc(2026, 5, 4, 12, 0)
STORY = " ".join(f"word{i} of a story long enough to get a minhash signature" for i in range(30))


async def _brands(store: Store, doc_id: str) -> list[tuple[str, str]]:
    page = await store.search_mentions(MentionFilter(), limit=100)
    return sorted(
        (h.mention.brand_id, h.mention.sentiment.label)
        for h in page.hits
        if h.mention.document_id == doc_id
    )


async def test_replace_rewrites_mentions_of_an_unchanged_version(store: Store) -> None:
    d = doc("d1", published_at=NOON, text=STORY)
    signature, keys = sketch(d.text)
    syndication = Syndication("d1", signature, keys)
    assert await store.save_document(d, [mention("d1", "acme")], syndication=syndication) == (
        "created"
    )
    # Without replace, the same version keeps its mentions.
    assert await store.save_document(d, [mention("d1", "globex")]) == "unchanged"
    assert await _brands(store, "d1") == [("acme", "neutral")]

    new = [mention("d1", "globex", "positive", 0.9), mention("d1", "initech")]
    outcome = await store.save_document(d, new, syndication=syndication, replace=True)
    assert outcome == "updated"
    assert await _brands(store, "d1") == [("globex", "positive"), ("initech", "neutral")]
    assert await store.count_documents() == 1
    assert await store.get_document("d1") == d
    [(_, stored)] = await store.documents_after(None, limit=10)
    assert [m.brand_id for m in stored] == ["globex", "initech"]
    found = await store.syndication_candidates(keys)
    assert [(c.document_id, c.cluster_id) for c in found] == [("d1", "d1")]

    assert await store.save_document(d, [], syndication=syndication, replace=True) == "updated"
    assert await _brands(store, "d1") == []


async def test_replace_of_a_new_document_creates_it(store: Store) -> None:
    d = doc("d2", published_at=NOON)
    assert await store.save_document(d, [mention("d2", "acme")], replace=True) == "created"
    assert await _brands(store, "d2") == [("acme", "neutral")]
