"""Contract: the coverage list — newest first, cursor paging, filters, queries."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from enrichment import And, Near, Not, Or, Phrase, SentimentLabel, parse_query
from enrichment._query_ast import Node
from search import InvalidCursor, MentionFilter, MentionHit, Store, StoreError
from tests.store_contract._data import doc, mention, utc

ALL = MentionFilter()

# (id, published_at (None: fetched at 12:00), title, text, [(brand, sentiment)])
DOCS: list[tuple[str, datetime | None, str, str, list[tuple[str, SentimentLabel]]]] = [
    ("d1", utc(2026, 5, 4, 10), "Acme and Globex merge", "The deal closes in May.",
     [("acme", "positive"), ("globex", "negative")]),
    ("d2", utc(2026, 5, 4, 10), "Quarterly results", "ACME Corp reported a loss.",
     [("acme", "negative")]),
    ("d3", utc(2026, 5, 4, 11), "Acme launches a rocket",
     "Globex and Initech watched the launch of the new rocket from Acme.",
     [("acme", "positive"), ("globex", "neutral"), ("initech", "neutral")]),
    ("d4", utc(2026, 5, 4, 9), "Globex hires", "Hank Scorpio joins Globex.",
     [("globex", "positive")]),
    ("d5", utc(2026, 5, 4, 11), "Initech: TPS reports", "Nestlé and Straße are here.",
     [("initech", "negative")]),
    ("d6", None, "Late news", "acme was mentioned in passing; launched nothing.",
     [("acme", "neutral")]),
]  # fmt: skip

# Newest first; ties (same time) by document id, then brand id, both descending.
ORDER = [
    ("d6", "acme"),  # fetched 12:00, no publication time
    ("d5", "initech"),  # 11:00
    ("d3", "initech"),
    ("d3", "globex"),
    ("d3", "acme"),
    ("d2", "acme"),  # 10:00
    ("d1", "globex"),
    ("d1", "acme"),
    ("d4", "globex"),  # 09:00
]


@pytest.fixture
async def seeded(store: Store) -> Store:
    for doc_id, published, title, text, brands in DOCS:
        d = doc(
            doc_id, published_at=published, fetched_at=utc(2026, 5, 4, 12), title=title, text=text
        )
        await store.save_document(d, [mention(doc_id, b, s) for b, s in brands])
    return store


def keys(hits: list[MentionHit]) -> list[tuple[str, str]]:
    return [(h.mention.document_id, h.mention.brand_id) for h in hits]


async def all_pages(store: Store, where: MentionFilter, limit: int) -> list[list[MentionHit]]:
    pages: list[list[MentionHit]] = []
    cursor: str | None = None
    while True:
        page = await store.search_mentions(where, limit=limit, cursor=cursor)
        pages.append(page.hits)
        assert len(page.hits) <= limit
        if page.next_cursor is None:
            return pages
        assert len(page.hits) == limit
        cursor = page.next_cursor
        assert len(pages) <= 20, "paging does not end"


async def test_hits_carry_mention_and_document_fields(seeded: Store) -> None:
    page = await seeded.search_mentions(MentionFilter(brand_ids=("initech",)), limit=1)
    (hit,) = page.hits
    assert hit.mention == mention("d5", "initech", "negative")
    assert hit.url == "https://news.example/d5"
    assert hit.title == "Initech: TPS reports"
    assert (hit.outlet, hit.domain, hit.channel, hit.tier, hit.audience, hit.language) == (
        "Example News",
        "news.example",
        "news",
        3,
        0,
        None,
    )
    assert hit.published_at == utc(2026, 5, 4, 11)
    assert page.next_cursor is not None


async def test_newest_first_with_ties_and_fetch_time(seeded: Store) -> None:
    page = await seeded.search_mentions(ALL, limit=100)
    assert keys(page.hits) == ORDER
    assert page.next_cursor is None
    assert page.hits[0].published_at == utc(2026, 5, 4, 12)  # counted at fetch time


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5, 8, 9, 10])
async def test_paging_has_no_duplicates_and_no_gaps(seeded: Store, limit: int) -> None:
    pages = await all_pages(seeded, ALL, limit)
    assert [keys(p) for p in pages] == [ORDER[i : i + limit] for i in range(0, len(ORDER), limit)]


async def test_paging_a_filtered_list(seeded: Store) -> None:
    where = MentionFilter(brand_ids=("acme", "initech"), start=utc(2026, 5, 4, 10))
    expected = [k for k in ORDER if k[1] in ("acme", "initech") and k[0] != "d4"]
    pages = await all_pages(seeded, where, 2)
    assert [k for p in pages for k in keys(p)] == expected
    one_brand = await all_pages(seeded, MentionFilter(brand_ids=("acme",)), 1)
    assert [k for p in one_brand for k in keys(p)] == [k for k in ORDER if k[1] == "acme"]


async def test_paging_is_stable_when_older_mentions_arrive(seeded: Store) -> None:
    first = await seeded.search_mentions(ALL, limit=3)
    late = doc("d0", published_at=utc(2026, 5, 4, 8), title="Old", text="Old news.")
    await seeded.save_document(late, [mention("d0", "acme")])
    assert first.next_cursor is not None
    rest = await all_pages(seeded, ALL, 3)
    second = await seeded.search_mentions(ALL, limit=100, cursor=first.next_cursor)
    assert keys(second.hits) == [*ORDER[3:], ("d0", "acme")]
    assert len([k for p in rest for k in keys(p)]) == 10


async def test_window_and_sentiment_filters(seeded: Store) -> None:
    window = MentionFilter(start=utc(2026, 5, 4, 10), end=utc(2026, 5, 4, 11))
    assert keys((await seeded.search_mentions(window, limit=10)).hits) == [
        ("d2", "acme"),
        ("d1", "globex"),
        ("d1", "acme"),
    ]
    positive = MentionFilter(sentiment="positive")
    assert keys((await seeded.search_mentions(positive, limit=10)).hits) == [
        ("d3", "acme"),
        ("d1", "acme"),
        ("d4", "globex"),
    ]
    nothing = MentionFilter(brand_ids=("nobody",))
    assert await seeded.search_mentions(nothing, limit=10) == type(
        await seeded.search_mentions(nothing, limit=10)
    )([], None)


QUERIES: list[tuple[str, list[str]]] = [
    ("acme", ["d6", "d3", "d2", "d1"]),
    ('"acme corp"', ["d2"]),
    ("launch*", ["d6", "d3"]),
    ("launch", ["d3"]),
    ("title:acme", ["d3", "d1"]),
    ("text:acme", ["d6", "d3", "d2"]),
    ("acme NOT globex", ["d6", "d2"]),
    ("acme AND (loss OR deal)", ["d2", "d1"]),
    ("{ACME}", ["d2"]),  # case-sensitive
    ("{Acme} NOT title:{Acme}", []),
    ("nestle", ["d5"]),  # accents folded
    ("strasse", ["d5"]),  # ß folded to ss
    ("globex NEAR/3 launch", []),  # "Globex and Initech watched the launch": 4 between
    ("globex NEAR/4 launch", ["d3"]),
    ("rocket NEAR/1 acme", ["d3"]),  # "rocket from Acme"
    ("acme NEAR/1 rocket", ["d3"]),
    ("acme ONEAR/3 rocket", ["d3"]),  # in the title: "Acme launches a rocket"
    ("text:(acme ONEAR/3 rocket)", []),  # the text has rocket ... Acme, not Acme ... rocket
    ("acme NEAR/1 acme", []),  # one word cannot be both sides
    ("(acme OR globex) NEAR/1 (launch* OR hires)", ["d3", "d4"]),
    ('"initech:"', ["d5", "d3"]),
    ("site:news.example", ["d6", "d5", "d3", "d2", "d1", "d4"]),  # every document's domain
    ("site:example", ["d6", "d5", "d3", "d2", "d1", "d4"]),  # news.example is under example
    ("site:ws.example", []),  # a label, not a string suffix
]


@pytest.mark.parametrize(("query", "expected"), QUERIES, ids=[q for q, _ in QUERIES])
async def test_query_filter(seeded: Store, query: str, expected: list[str]) -> None:
    where = MentionFilter(query=parse_query(query))
    hits = (await seeded.search_mentions(where, limit=100)).hits
    assert list(dict.fromkeys(h.mention.document_id for h in hits)) == expected


async def test_query_filter_pages_through_a_post_filtered_list(seeded: Store) -> None:
    where = MentionFilter(query=parse_query("{Acme} OR {Globex}"))  # checked exactly, per row
    pages = await all_pages(seeded, where, 1)
    assert [k for p in pages for k in keys(p)] == [k for k in ORDER if k[0] in ("d3", "d1", "d4")]


NASTY_WORDS = [
    '"', '""', "'", "*", "**", "(", ")", ":", "-", "+", "^", "NEAR", "NEAR(", "AND", "OR",
    "NOT", "title:", "text :", '"a" OR "b"', "{col}", "ü", "🚀", "\x00", "a\tb\nc", "'; DROP",
    "NEAR/2", "\\", "%", "_", "[x]", "sq''ote",
]  # fmt: skip


@pytest.mark.parametrize("word", NASTY_WORDS)
async def test_nasty_query_text_never_breaks_the_store(seeded: Store, word: str) -> None:
    nodes: list[Node] = [
        Phrase((word,)),
        Phrase((word, "acme"), prefix=True),
        Phrase((word,), field="title", case_sensitive=True),
        And((Phrase(("acme",)), Not(Phrase((word,))))),
        Or((Phrase((word,)), Phrase(("globex",)))),
        Near(Phrase((word,)), Phrase(("acme",)), 3),
    ]
    for node in nodes:
        await seeded.search_mentions(MentionFilter(query=node), limit=5)
        await seeded.mention_counts(MentionFilter(query=node), interval="day", tz=ZoneInfo("UTC"))


@pytest.mark.parametrize(
    "cursor",
    ["", "garbage", "!!!", "eyJ2IjoxfQ", "a" * 500, "AAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
)
async def test_a_garbage_cursor_is_invalid(seeded: Store, cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        await seeded.search_mentions(ALL, limit=2, cursor=cursor)


async def test_an_altered_cursor_is_invalid(seeded: Store) -> None:
    page = await seeded.search_mentions(ALL, limit=2)
    assert page.next_cursor is not None
    c = page.next_cursor
    for i in range(0, len(c), max(1, len(c) // 8)):
        altered = c[:i] + ("A" if c[i] != "A" else "B") + c[i + 1 :]
        with pytest.raises(InvalidCursor):
            await seeded.search_mentions(ALL, limit=2, cursor=altered)


async def test_limit_must_be_positive(seeded: Store) -> None:
    with pytest.raises(StoreError):
        await seeded.search_mentions(ALL, limit=0)
