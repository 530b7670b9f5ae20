"""Contract: syndication clusters (band-key lookup, counting once per cluster)
and key-message pull-through, with the same numbers on every backend."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from enrichment import MessageMatch, Syndication, parse_query
from enrichment._syndication import assign_cluster, sketch
from enrichment._tokens import index_text
from search import ElasticsearchStore, MentionFilter, SketchedDocument, Store, StoreError
from search._es_client import connect
from search._es_schema import mapping
from search._store import MAX_SYNDICATION_CANDIDATES
from tests.store_contract._data import doc, mention, utc
from tests.store_contract.conftest import StoreFactory

UTC = ZoneInfo("UTC")
STORY = " ".join(
    f"The council voted {n} times on the harbour plan before the mayor signed it into law."
    for n in range(12)
)
THIRD = " ".join(
    f"Ferry number {n} left the quay late because the crew waited for the tide." for n in range(12)
)
OTHER = " ".join(
    f"Rainfall in week {n} was well above the seasonal average for the region." for n in range(12)
)


def _syndication(doc_id: str, text: str, cluster: str | None = None) -> Syndication:
    sig, keys = sketch(text)
    return Syndication(cluster or doc_id, sig, keys)


async def test_candidates_by_band_keys(store: Store) -> None:
    first = _syndication("a", STORY)
    await store.save_document(
        doc("a", published_at=utc(2026, 5, 1), text=STORY), [], syndication=first
    )
    await store.save_document(
        doc("b", published_at=utc(2026, 5, 1), text=OTHER), [], syndication=_syndication("b", OTHER)
    )
    await store.save_document(doc("c", published_at=utc(2026, 5, 1)), [])  # no syndication
    copy_text = STORY.replace("mayor", "major", 1)
    sig, keys = sketch(copy_text)
    found = await store.syndication_candidates(keys)
    assert [c.document_id for c in found] == ["a"]
    assert found[0].cluster_id == "a"
    assert found[0].signature == first.signature
    assert assign_cluster("d", sig, found) == "a"
    assert await store.syndication_candidates([]) == []
    assert await store.syndication_candidates([12345]) == []


async def test_update_replaces_band_keys(store: Store) -> None:
    await store.save_document(
        doc("a", published_at=utc(2026, 5, 1), text=STORY), [], syndication=_syndication("a", STORY)
    )
    outcome = await store.save_document(
        doc("a", published_at=utc(2026, 5, 1), text=OTHER), [], syndication=_syndication("a", OTHER)
    )
    assert outcome == "updated"
    assert await store.syndication_candidates(sketch(STORY)[1]) == []
    assert [c.document_id for c in await store.syndication_candidates(sketch(OTHER)[1])] == ["a"]


async def seed_clusters(store: Store) -> None:
    """Story S: 'a' (May 1, 10:00) and copies 'b' (May 1, 12:00), 'c' (May 2). Story T: 'd'."""
    rows = [
        ("a", utc(2026, 5, 1, 10), "a", ["acme", "globex"]),
        ("b", utc(2026, 5, 1, 12), "a", ["acme"]),
        ("c", utc(2026, 5, 2, 9), "a", ["acme", "globex"]),
        ("d", utc(2026, 5, 2, 11), "d", ["acme"]),
    ]
    for doc_id, at, cluster, brands in rows:
        sig, keys = sketch(STORY if cluster == "a" else OTHER)
        await store.save_document(
            doc(doc_id, published_at=at, text=f"{doc_id} copy"),
            [mention(doc_id, b) for b in brands],
            syndication=Syndication(cluster, sig, keys),
        )


async def test_count_once_per_cluster_or_per_outlet(store: Store) -> None:
    await seed_clusters(store)
    where = MentionFilter(start=utc(2026, 5, 1), end=utc(2026, 5, 3))

    async def counts(count: str) -> list[tuple[str, str, int]]:
        found = await store.mention_counts(where, interval="day", tz=UTC, count=count)  # type: ignore[arg-type]
        return [(c.start.date().isoformat(), c.brand_id, c.count) for c in found]

    assert await counts("outlet") == [
        ("2026-05-01", "acme", 2),
        ("2026-05-01", "globex", 1),
        ("2026-05-02", "acme", 2),
        ("2026-05-02", "globex", 1),
    ]
    # Story S counts once, on May 1 (its first copy); T once on May 2.
    assert await counts("document") == [
        ("2026-05-01", "acme", 1),
        ("2026-05-01", "globex", 1),
        ("2026-05-02", "acme", 1),
    ]
    # A window that starts after the first copy counts the story at its first copy inside.
    later = MentionFilter(start=utc(2026, 5, 1, 11), end=utc(2026, 5, 3), brand_ids=("acme",))
    found = await store.mention_counts(later, interval="day", tz=UTC, count="document")
    assert [(c.start.day, c.count) for c in found] == [(1, 1), (2, 1)]
    with pytest.raises(StoreError):
        await store.mention_counts(where, interval="day", tz=UTC, count="story")  # type: ignore[arg-type]


async def test_cluster_id_on_hits(store: Store) -> None:
    await seed_clusters(store)
    page = await store.search_mentions(MentionFilter(brand_ids=("globex",)), limit=10)
    assert [(h.mention.document_id, h.mention.cluster_id) for h in page.hits] == [
        ("c", "a"),
        ("a", None),  # its own cluster
    ]


def _sketched(doc_id: str, text: str, brands: tuple[str, ...] = ()) -> SketchedDocument:
    signature, keys = sketch(text)
    document = doc(doc_id, published_at=utc(2026, 5, 1), text=text)
    return SketchedDocument(document, [mention(doc_id, b) for b in brands], signature, keys)


async def test_save_sketched_clusters_copies_in_one_batch_and_across_batches(store: Store) -> None:
    copy = STORY.replace("mayor", "major", 1)
    first = [
        _sketched("a", STORY, ("acme",)),
        _sketched("b", OTHER),
        _sketched("c", copy, ("acme",)),
    ]
    assert await store.save_sketched(first) == ["created", "created", "created"]
    assert await store.save_sketched(first) == ["unchanged"] * 3
    later = [_sketched("d", copy.replace("harbour", "harbor", 1)), _sketched("b", f"{OTHER} More.")]
    assert await store.save_sketched(later) == ["created", "updated"]
    assert await store.save_sketched([]) == []
    found = await store.syndication_candidates(sketch(STORY)[1])
    assert {(c.document_id, c.cluster_id) for c in found} == {("a", "a"), ("c", "a"), ("d", "a")}
    page = await store.search_mentions(MentionFilter(brand_ids=("acme",)), limit=10)
    assert sorted((h.mention.document_id, h.mention.cluster_id) for h in page.hits) == [
        ("a", None),  # its own cluster
        ("c", "a"),  # the copy saved after it in the same batch joined it
    ]
    stored = await store.get_document("b")
    assert stored is not None and stored.text.endswith("More.")


async def test_verbatim_copies_join_the_cluster_their_copies_are_in(store: Store) -> None:
    """More verbatim copies than ``MAX_SYNDICATION_CANDIDATES``, saved a few at a
    time, are one cluster, and so is a near copy. A re-saved copy joins the copies
    still alike it, never itself: once its original took another text, it has
    none and is its own cluster."""
    copies = [
        _sketched(f"c{n:02}", STORY, ("acme",)) for n in range(MAX_SYNDICATION_CANDIDATES + 5)
    ]
    for start in range(0, len(copies), 7):
        await store.save_sketched(copies[start : start + 7])
    near = _sketched("near", STORY.replace("mayor", "major", 1), ("acme",))
    original, copy = _sketched("p", THIRD, ("acme",)), _sketched("q", THIRD, ("acme",))
    await store.save_sketched([near, original, copy])
    # An update keeping the text (a new title) and one changing it.
    retitled = replace(copy, document=replace(copy.document, title="Retitled"))
    assert await store.save_sketched([_sketched("p", OTHER, ("acme",))]) == ["updated"]
    assert await store.save_sketched([retitled]) == ["updated"]
    page = await store.search_mentions(MentionFilter(brand_ids=("acme",)), limit=100)
    clusters = {h.mention.document_id: h.mention.cluster_id for h in page.hits}
    assert (
        clusters
        == {
            "c00": None,  # its own cluster
            **{c.document.id: "c00" for c in copies[1:]},
            "near": "c00",
            "p": None,
            "q": None,  # "p" is no longer alike
        }
    )


async def test_save_sketched_indexes_the_words_it_is_given(store: Store) -> None:
    """``SketchedDocument.text_words`` is what the full-text index holds for the
    text: the pipeline cuts it once, in the extraction worker. A document saved
    without it is indexed from its text, the same way."""
    given = replace(_sketched("a", STORY, ("acme",)), text_words=index_text(STORY))
    cut_here = _sketched("b", STORY.replace("harbour", "harbor"), ("acme",))
    assert await store.save_sketched([given, cut_here]) == ["created", "created"]

    async def matching(query: str) -> list[str]:
        where = MentionFilter(brand_ids=("acme",), query=parse_query(query))
        page = await store.search_mentions(where, limit=10)
        return sorted(h.mention.document_id for h in page.hits)

    assert await matching('"harbour plan"') == ["a"]
    assert await matching('"harbor plan"') == ["b"]
    assert await matching("COUNCIL AND mayor") == ["a", "b"]
    # The store takes the words as given: they, not the text, are what is indexed.
    told = replace(_sketched("c", OTHER, ("acme",)), text_words=index_text("Zebra crossing"))
    assert await store.save_sketched([told]) == ["created"]
    assert await matching("zebra") == ["c"]
    assert await matching("rainfall") == []


def _carried(message: str, sentence: str = "It said so.") -> MessageMatch:
    return MessageMatch(message=message, stance="carried", sentence=sentence, score=0.71)


def _contradicted(message: str) -> MessageMatch:
    return MessageMatch(message=message, stance="contradicted", sentence="It did not.", score=0.8)


async def test_pull_through(store: Store) -> None:
    jobs, green = "Acme creates jobs", "Acme is green"
    rows = {
        "a": [_carried(jobs), _carried(green)],
        "b": [_carried(jobs), _contradicted(green)],
        "c": [_contradicted(jobs)],
        "d": [],
        "e": [_carried(green)],  # outside the window
    }
    for n, (doc_id, messages) in enumerate(rows.items()):
        day = 20 if doc_id == "e" else 1 + n
        await store.save_document(
            doc(doc_id, published_at=utc(2026, 5, day)),
            [
                replace(mention(doc_id, "acme"), messages=tuple(messages)),
                replace(mention(doc_id, "globex"), messages=(_carried("Globex leads"),)),
            ],
        )
    where = MentionFilter(brand_ids=("acme",), start=utc(2026, 5, 1), end=utc(2026, 5, 10))
    found = await store.pull_through(where)
    assert found.mentions == 4
    assert found.carried == {jobs: 2, green: 1}
    assert found.contradicted == {jobs: 1, green: 1}
    assert (found.any_carried, found.any_contradicted) == (2, 2)
    empty = await store.pull_through(MentionFilter(brand_ids=("nobody",)))
    assert (empty.mentions, empty.carried, empty.any_carried) == (0, {}, 0)
    page = await store.search_mentions(MentionFilter(brand_ids=("acme",)), limit=1)
    assert page.hits[0].mention.messages == (_carried(green),)


@pytest.mark.elasticsearch
async def test_an_index_created_before_these_fields_gets_them(make_store: StoreFactory) -> None:
    """A monthly index created from the previous mapping (no cluster or message
    fields; ``dynamic: strict``) is updated by ``open()``, so saving works.

    osmem does not enforce ``strict`` (a save there succeeds without the
    update, measured), so on osmem this checks that the update is accepted and
    the aggregation works; against a real cluster (``CLARION_TEST_ES_URL``) it
    also fails when the update is missing."""
    store = make_store()
    if not isinstance(store, ElasticsearchStore):
        pytest.skip("Elasticsearch only")
    old = mapping("mentions")
    for name in ("cluster_id", "messages", "messages_carried", "messages_contradicted"):
        del old["mappings"]["properties"][name]
    client = connect(store.config)
    try:
        await client.indices.create(index=f"{store.prefix}-mentions-2026.05", **old)
    finally:
        await client.close()
    await store.open()
    try:
        await store.save_document(
            doc("a", published_at=utc(2026, 5, 1)),
            [replace(mention("a", "acme"), messages=(_carried("Acme is green"),))],
        )
        found = await store.pull_through(MentionFilter(brand_ids=("acme",)))
        assert found.carried == {"Acme is green": 1}
    finally:
        await store.close()
