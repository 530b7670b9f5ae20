"""``search_mentions`` sorted by time, reach and prominence, paged with keyset
cursors: every page size gives the whole order once, with no duplicate or gap,
on every backend. Ties are deliberate (same time, same audience, same
prominence) so that the tie-breaks are exercised."""

from __future__ import annotations

import dataclasses

import pytest

from search import InvalidCursor, MentionFilter, MentionSort, Store
from tests.store_contract._data import doc, mention, utc

# (doc id, day, audience, in_title, in_lead, count), each mentioning acme (and
# globex for the even days).
DOCS = [
    ("a", 1, 500, True, True, 3),
    ("b", 1, 500, False, True, 3),
    ("c", 2, 100, True, False, 1),
    ("d", 2, 900, False, False, 5),
    ("e", 3, 100, True, True, 3),
    ("f", 3, 0, False, True, 7),
    ("g", 4, 900, True, True, 1),
]
# The orders written out (each key descending; ties newest, then document id
# descending, then brand id descending).
EXPECTED: dict[MentionSort, list[tuple[str, str]]] = {
    "time": [
        ("g", "globex"), ("g", "acme"), ("f", "acme"), ("e", "acme"),
        ("d", "globex"), ("d", "acme"), ("c", "globex"), ("c", "acme"),
        ("b", "acme"), ("a", "acme"),
    ],
    "reach": [
        ("g", "globex"), ("g", "acme"), ("d", "globex"), ("d", "acme"),
        ("b", "acme"), ("a", "acme"),
        ("e", "acme"), ("c", "globex"), ("c", "acme"),
        ("f", "acme"),
    ],
    "prominence": [
        ("e", "acme"), ("a", "acme"),  # title, lead, 3
        ("g", "globex"), ("g", "acme"),  # title, lead, 1
        ("c", "globex"), ("c", "acme"),  # title only
        ("f", "acme"), ("b", "acme"),  # lead, 7 then 3
        ("d", "globex"), ("d", "acme"),  # neither
    ],
}  # fmt: skip


@pytest.fixture
async def seeded(store: Store) -> Store:
    for doc_id, day, audience, in_title, in_lead, count in DOCS:
        brands = ["acme", "globex"] if day % 2 == 0 or doc_id == "g" else ["acme"]
        await store.save_document(
            doc(doc_id, published_at=utc(2026, 5, day)).replace(audience=audience),
            [
                dataclasses.replace(
                    mention(doc_id, b), in_title=in_title, in_lead=in_lead, count=count
                )
                for b in brands
            ],
        )
    return store


@pytest.mark.parametrize("sort", ["time", "reach", "prominence"])
async def test_every_page_size_gives_the_whole_order_once(seeded: Store, sort: MentionSort) -> None:
    for limit in (1, 2, 3, 4, 10, 11):
        served: list[tuple[str, str]] = []
        cursor: str | None = None
        for _ in range(20):
            page = await seeded.search_mentions(
                MentionFilter(), limit=limit, cursor=cursor, sort=sort
            )
            served += [(h.mention.document_id, h.mention.brand_id) for h in page.hits]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert served == EXPECTED[sort], (sort, limit)


async def test_sorts_keep_the_filter(seeded: Store) -> None:
    page = await seeded.search_mentions(
        MentionFilter(brand_ids=("globex",)), limit=2, sort="prominence"
    )
    rest = await seeded.search_mentions(
        MentionFilter(brand_ids=("globex",)), limit=2, sort="prominence", cursor=page.next_cursor
    )
    assert [h.mention.document_id for h in page.hits + rest.hits] == ["g", "c", "d"]
    assert rest.next_cursor is None


async def test_a_cursor_only_continues_its_own_sort(seeded: Store) -> None:
    for sort, other in (("time", "reach"), ("reach", "prominence"), ("prominence", "time")):
        page = await seeded.search_mentions(MentionFilter(), limit=2, sort=sort)  # type: ignore[arg-type]
        assert page.next_cursor is not None
        with pytest.raises(InvalidCursor):
            await seeded.search_mentions(
                MentionFilter(),
                limit=2,
                sort=other,  # type: ignore[arg-type]
                cursor=page.next_cursor,
            )
