"""Contract: ``MentionFilter.message`` keeps the mentions that match one key
message with one stance (carried by default), on every backend; cursors are
only valid for the message and stance that issued them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from enrichment import MessageMatch, Stance
from search import InvalidCursor, MentionFilter, Store
from tests.store_contract._data import doc, mention, utc

FAST = "Acme ships fast"
CHEAP = "Acme is cheap"


def _match(message: str, stance: Stance) -> MessageMatch:
    return MessageMatch(message=message, stance=stance, sentence=f"{message}.", score=0.8)


async def _save(store: Store, doc_id: str, day: int, *matches: MessageMatch) -> None:
    document = doc(doc_id, published_at=utc(2026, 5, day, 9))
    await store.save_document(document, [replace(mention(doc_id, "acme"), messages=matches)])


@pytest.fixture
async def seeded(store: Store) -> Store:
    await _save(store, "a", 1, _match(FAST, "carried"))
    await _save(store, "b", 2, _match(FAST, "carried"), _match(CHEAP, "contradicted"))
    await _save(store, "c", 3, _match(FAST, "contradicted"))
    await _save(store, "d", 4, _match(CHEAP, "carried"))
    await _save(store, "e", 5)
    await _save(store, "f", 6, _match(FAST, "carried"))
    # globex carries the same text: the brand filter still applies
    await store.save_document(
        doc("g", published_at=utc(2026, 5, 7, 9)),
        [replace(mention("g", "globex"), messages=(_match(FAST, "carried"),))],
    )
    return store


async def _ids(store: Store, where: MentionFilter) -> list[str]:
    page = await store.search_mentions(where, limit=50)
    assert page.next_cursor is None
    return [h.mention.document_id for h in page.hits]


async def test_message_and_stance(seeded: Store) -> None:
    acme = MentionFilter(brand_ids=("acme",))
    assert await _ids(seeded, replace(acme, message=FAST)) == ["f", "b", "a"]
    assert await _ids(seeded, replace(acme, message=FAST, message_stance="contradicted")) == ["c"]
    assert await _ids(seeded, replace(acme, message=CHEAP)) == ["d"]
    assert await _ids(seeded, replace(acme, message=CHEAP, message_stance="contradicted")) == ["b"]
    assert await _ids(seeded, replace(acme, message="Acme is slow")) == []
    assert await _ids(seeded, replace(acme, message=FAST.lower())) == []  # exact text
    assert await _ids(seeded, MentionFilter(message=FAST)) == ["g", "f", "b", "a"]
    # with the other filters
    window = replace(acme, message=FAST, start=utc(2026, 5, 2), end=utc(2026, 5, 6))
    assert await _ids(seeded, window) == ["b"]


async def test_message_pages_and_cursors(seeded: Store) -> None:
    where = MentionFilter(brand_ids=("acme",), message=FAST)
    first = await seeded.search_mentions(where, limit=2)
    assert [h.mention.document_id for h in first.hits] == ["f", "b"]
    assert first.next_cursor is not None
    rest = await seeded.search_mentions(where, limit=2, cursor=first.next_cursor)
    assert [h.mention.document_id for h in rest.hits] == ["a"]
    assert rest.next_cursor is None
    for other in (
        replace(where, message=CHEAP),
        replace(where, message_stance="contradicted"),
        replace(where, message=None),
    ):
        with pytest.raises(InvalidCursor):
            await seeded.search_mentions(other, limit=2, cursor=first.next_cursor)
    # a cursor issued without a message stays valid only without one
    plain = await seeded.search_mentions(MentionFilter(brand_ids=("acme",)), limit=2)
    assert plain.next_cursor is not None
    with pytest.raises(InvalidCursor):
        await seeded.search_mentions(where, limit=2, cursor=plain.next_cursor)


async def test_pull_through_and_counts_take_the_message(seeded: Store) -> None:
    where = MentionFilter(brand_ids=("acme",), message=FAST)
    counts = await seeded.pull_through(where)
    assert counts.mentions == 3
    assert counts.carried == {FAST: 3}
    assert counts.contradicted == {CHEAP: 1}
