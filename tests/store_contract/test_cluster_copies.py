"""Contract: ``ClusterStore.cluster_copies``, one brand's copies of given clusters,
earliest first over all time, with the same answers on every backend."""

from __future__ import annotations

from dataclasses import replace

import pytest

from search import Store, StoreError, cluster_store
from search._clusters_store import MAX_CLUSTER_COPIES, MAX_CLUSTERS
from tests.store_contract._data import doc, mention, utc


async def _copy(
    store: Store, doc_id: str, cluster: str, *, day: int, outlet: str, brands: tuple[str, ...]
) -> None:
    document = replace(doc(doc_id, published_at=utc(2026, 5, day, 9), tier=2), outlet=outlet)
    mentions = [
        replace(mention(doc_id, b), cluster_id=None if cluster == doc_id else cluster)
        for b in brands
    ]
    await store.save_document(document, mentions)


async def test_copies_of_each_cluster_earliest_first(store: Store) -> None:
    clusters = cluster_store(store)
    # story "s": first in "s" (day 3), copies on days 1 (backfilled, earlier), 4, 5
    await _copy(store, "s", "s", day=3, outlet="Wire", brands=("acme", "globex"))
    await _copy(store, "s-b", "s", day=5, outlet="Daily B", brands=("acme",))
    await _copy(store, "s-a", "s", day=4, outlet="Daily A", brands=("acme",))
    await _copy(store, "s-old", "s", day=1, outlet="Old Times", brands=("acme",))
    await _copy(store, "s-g", "s", day=2, outlet="Globex Only", brands=("globex",))
    # another story, and a lone document
    await _copy(store, "t", "t", day=2, outlet="Wire", brands=("acme",))
    await _copy(store, "t-a", "t", day=2, outlet="Daily A", brands=("acme",))
    await _copy(store, "u", "u", day=6, outlet="Wire", brands=("globex",))

    found = await clusters.cluster_copies("acme", ["s", "t", "u", "nothing"], limit=10)
    assert set(found) == {"s", "t"}  # no acme mention in "u", nothing in "nothing"
    assert [h.mention.document_id for h in found["s"]] == ["s-old", "s", "s-a", "s-b"]
    assert [h.outlet for h in found["s"]] == ["Old Times", "Wire", "Daily A", "Daily B"]
    assert found["s"][0].published_at == utc(2026, 5, 1, 9)
    assert {h.mention.brand_id for h in found["s"]} == {"acme"}
    assert found["s"][1].mention.cluster_id is None  # the original is its own cluster
    assert found["s"][2].mention.cluster_id == "s"
    # same time: document id breaks the tie
    assert [h.mention.document_id for h in found["t"]] == ["t", "t-a"]

    first_two = await clusters.cluster_copies("acme", ["s"], limit=2)
    assert [h.mention.document_id for h in first_two["s"]] == ["s-old", "s"]
    globex = await clusters.cluster_copies("globex", ["s", "s"], limit=10)
    assert [h.mention.document_id for h in globex["s"]] == ["s-g", "s"]
    assert await clusters.cluster_copies("acme", [], limit=10) == {}


@pytest.mark.parametrize("limit", [0, MAX_CLUSTER_COPIES + 1])
async def test_limits_outside_the_contract_are_refused(store: Store, limit: int) -> None:
    with pytest.raises(StoreError):
        await cluster_store(store).cluster_copies("acme", ["s"], limit=limit)


async def test_too_many_clusters_are_refused(store: Store) -> None:
    ids = [f"c{n}" for n in range(MAX_CLUSTERS + 1)]
    with pytest.raises(StoreError):
        await cluster_store(store).cluster_copies("acme", ids, limit=1)
