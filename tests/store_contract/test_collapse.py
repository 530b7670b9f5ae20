"""Contract: ``search_mentions(collapse="cluster")`` gives one hit per (brand,
syndication cluster), the cluster's first mention in the sort's order among the
filter's, with its count of copies; paging neither repeats nor skips a story.
Expected answers are worked out by hand from the data below."""

from __future__ import annotations

from dataclasses import replace

import pytest

from enrichment import MessageMatch, parse_query
from search import InvalidCursor, MentionFilter, MentionSort, Store, StoreError
from tests.store_contract._data import doc, mention, utc

FAST = "Acme ships fast"


async def _copy(
    store: Store,
    doc_id: str,
    cluster: str,
    *,
    day: int,
    audience: int,
    brands: tuple[str, ...] = ("acme",),
    carries: bool = False,
    title: str = "A title",
) -> None:
    document = replace(
        doc(doc_id, published_at=utc(2026, 5, day, 9), title=title), audience=audience
    )
    messages = (MessageMatch(message=FAST, stance="carried", sentence="x", score=0.9),)
    mentions = [
        replace(
            mention(doc_id, b),
            cluster_id=None if cluster == doc_id else cluster,
            messages=messages if carries else (),
        )
        for b in brands
    ]
    await store.save_document(document, mentions)


@pytest.fixture
async def seeded(store: Store) -> Store:
    # story "s": four acme copies (the original "s" has the largest outlet), and
    # a globex mention in two of them
    await _copy(store, "s", "s", day=3, audience=5000, brands=("acme", "globex"))
    await _copy(store, "s-old", "s", day=1, audience=100, title="Wire story")
    await _copy(store, "s-a", "s", day=4, audience=200, carries=True, title="Wire story")
    await _copy(store, "s-b", "s", day=5, audience=50, carries=True)
    await _copy(store, "s-g", "s", day=2, audience=70, brands=("globex",))
    # story "t": two copies at the same time, the same audience
    await _copy(store, "t", "t", day=2, audience=10)
    await _copy(store, "t-a", "t", day=2, audience=10, title="Wire story")
    # a lone document
    await _copy(store, "u", "u", day=6, audience=300)
    return store


async def _all(
    store: Store, where: MentionFilter, *, sort: MentionSort = "time", limit: int = 50
) -> list[tuple[str, str, int | None]]:
    """Every page, as (document, brand, copies)."""
    out: list[tuple[str, str, int | None]] = []
    cursor: str | None = None
    while True:
        page = await store.search_mentions(
            where, limit=limit, cursor=cursor, sort=sort, collapse="cluster"
        )
        out.extend((h.mention.document_id, h.mention.brand_id, h.copies) for h in page.hits)
        if page.next_cursor is None:
            return out
        assert page.hits, "a page with a cursor is never empty"
        cursor = page.next_cursor


ACME = MentionFilter(brand_ids=("acme",))


@pytest.mark.parametrize("limit", [1, 2, 50])
async def test_one_hit_per_cluster_in_each_sort(seeded: Store, limit: int) -> None:
    # newest first: the newest copy leads; "t" and "t-a" tie on time, "t-a" > "t"
    assert await _all(seeded, ACME, limit=limit) == [
        ("u", "acme", 1),
        ("s-b", "acme", 4),
        ("t-a", "acme", 2),
    ]
    # largest reach: "s" (5000) leads its story
    assert await _all(seeded, ACME, sort="reach", limit=limit) == [
        ("s", "acme", 4),
        ("u", "acme", 1),
        ("t-a", "acme", 2),
    ]
    # one story per brand: globex's "s" (day 3) leads globex's copies of it
    assert await _all(seeded, MentionFilter(), limit=limit) == [
        ("u", "acme", 1),
        ("s-b", "acme", 4),
        ("s", "globex", 2),
        ("t-a", "acme", 2),
    ]


async def test_copies_and_leads_are_within_the_filter(seeded: Store) -> None:
    window = replace(ACME, start=utc(2026, 5, 2), end=utc(2026, 5, 5))
    assert await _all(seeded, window, limit=1) == [("s-a", "acme", 2), ("t-a", "acme", 2)]
    carrying = replace(ACME, message=FAST)
    assert await _all(seeded, carrying, limit=1) == [("s-b", "acme", 2)]
    assert await _all(seeded, replace(ACME, clusters=("t",))) == [("t-a", "acme", 2)]
    # a query the store checks document by document: "Wire story" titles only
    wire = replace(ACME, query=parse_query('"wire story"'))
    assert await _all(seeded, wire, limit=1) == [("s-a", "acme", 2), ("t-a", "acme", 1)]


async def test_without_collapse_copies_is_none(seeded: Store) -> None:
    page = await seeded.search_mentions(ACME, limit=50)
    assert len(page.hits) == 7
    assert {h.copies for h in page.hits} == {None}


async def test_a_cursor_only_continues_its_own_collapse(seeded: Store) -> None:
    collapsed = await seeded.search_mentions(ACME, limit=1, collapse="cluster")
    plain = await seeded.search_mentions(ACME, limit=1)
    assert collapsed.next_cursor is not None and plain.next_cursor is not None
    with pytest.raises(InvalidCursor):
        await seeded.search_mentions(ACME, limit=1, cursor=collapsed.next_cursor)
    with pytest.raises(InvalidCursor):
        await seeded.search_mentions(ACME, limit=1, cursor=plain.next_cursor, collapse="cluster")
    with pytest.raises(InvalidCursor):
        await seeded.search_mentions(
            ACME, limit=1, cursor=collapsed.next_cursor, collapse="cluster", sort="reach"
        )
    with pytest.raises(StoreError):
        await seeded.search_mentions(ACME, limit=1, collapse="story")  # type: ignore[arg-type]
