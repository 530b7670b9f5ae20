"""Contract: field scoping (author:, site:, lang:, country:) and brand exclusions
mean the same on every backend as in the evaluator (``enrichment._match``)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from crawlers import Document
from enrichment import Brand, Node, brand_query, find_spans, parse_query
from search import MentionFilter, Store
from tests.store_contract._data import doc, mention, utc

# (id, hour, domain, language, country, authors, title, text)
DOCS: list[tuple[str, int, str, str | None, str | None, tuple[str, ...], str, str]] = [
    ("f1", 9, "bbc.co.uk", "en", "GB", ("Jane Doe",), "Acme opens a plant", "Acme hires."),
    ("f2", 10, "news.bbc.co.uk", "en-gb", "GB", ("John Smith", "Jane Roe"),
     "Markets today", "Acme shares rose."),
    ("f3", 11, "lemonde.fr", "fr", "FR", (), "Acme en France", "Le groupe Acme recrute."),
    ("f4", 12, "notbbc.co.uk", None, None, ("Ann Acme",), "Apple pie recipes",
     "Bake an apple pie with Acme flour."),
    ("f5", 13, "www.example.com", "de", "de", ("Max Mustermann",), "Apple results",
     "Apple beat estimates; apple pie sales fell."),
]  # fmt: skip


def _document(
    row: tuple[str, int, str, str | None, str | None, tuple[str, ...], str, str],
) -> Document:
    doc_id, hour, domain, language, country, authors, title, text = row
    base = doc(doc_id, published_at=utc(2026, 5, 4, hour), title=title, text=text)
    return base.replace(domain=domain, language=language, country=country, authors=authors)


@pytest.fixture
async def seeded(store: Store) -> Store:
    for row in DOCS:
        await store.save_document(_document(row), [mention(row[0], "acme")])
    return store


# Newest first (f5 is 13:00, f1 is 09:00).
QUERIES: list[tuple[str, list[str]]] = [
    ("site:bbc.co.uk", ["f2", "f1"]),  # the domain and its subdomains, not notbbc.co.uk
    ("site:www.bbc.co.uk", ["f2", "f1"]),  # www. is not part of a site
    ("site:news.bbc.co.uk", ["f2"]),
    ("site:example.com", ["f5"]),  # a stored www. is a subdomain
    ("site:(lemonde.fr OR notbbc.co.uk)", ["f4", "f3"]),
    ("acme AND NOT site:bbc.co.uk", ["f4", "f3"]),
    ("lang:en", ["f2", "f1"]),  # and its regional forms
    ("lang:en-gb", ["f2"]),
    ("lang:EN", ["f2", "f1"]),  # case-insensitive
    ("acme NOT lang:en", ["f4", "f3"]),  # no language: not English
    ("country:gb", ["f2", "f1"]),
    ("country:DE", ["f5"]),  # stored lower case
    ("acme country:fr", ["f3"]),
    ("author:jane", ["f2", "f1"]),
    ('author:"jane doe"', ["f1"]),
    ("author:acme", ["f4"]),  # the author's name, not the text
    ("author:smith AND title:markets", ["f2"]),
    ("acme OR site:lemonde.fr", ["f4", "f3", "f2", "f1"]),  # metadata inside an OR
    ("(acme AND lang:fr) OR country:de", ["f5", "f3"]),
    ("title:acme AND (site:bbc.co.uk OR lang:fr)", ["f3", "f1"]),
]


def _expected_by_evaluator(node: Node) -> list[str]:
    rows = sorted(DOCS, key=lambda r: -r[1])
    return [
        r[0]
        for r in rows
        if find_spans(
            node, title=r[6], text=r[7], authors=r[5], domain=r[2], language=r[3], country=r[4]
        ).matched
    ]


@pytest.mark.parametrize(("query", "expected"), QUERIES, ids=[q for q, _ in QUERIES])
async def test_field_scoped_query(seeded: Store, query: str, expected: list[str]) -> None:
    node = parse_query(query)
    assert _expected_by_evaluator(node) == expected  # the evaluator agrees with the store
    hits = (await seeded.search_mentions(MentionFilter(query=node), limit=100)).hits
    assert [h.mention.document_id for h in hits] == expected
    counts = await seeded.mention_counts(
        MentionFilter(query=node), interval="day", tz=ZoneInfo("UTC")
    )
    assert sum(c.count for c in counts) == len(expected)


async def test_brand_exclusions_drop_false_friends(seeded: Store) -> None:
    apple = Brand(id="apple", name="Apple", exclusions=("apple pie",))
    node = brand_query(apple)
    assert _expected_by_evaluator(node) == ["f5"]  # f4 only says "apple pie"
    hits = (await seeded.search_mentions(MentionFilter(query=node), limit=100)).hits
    assert [h.mention.document_id for h in hits] == ["f5"]


async def test_a_brand_keeps_its_exclusions(store: Store) -> None:
    apple = Brand(id="apple", name="Apple", exclusions=("apple pie", '"Big Apple"'))
    await store.put_brand(apple)
    assert await store.get_brand("apple") == apple
