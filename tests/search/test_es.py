"""What the Elasticsearch store does beyond the contract suite: where it puts
things (monthly indices behind aliases, strict mappings), retention, and a
check that the compiled queries mean what Clarion's evaluator means.

Runs against the same cluster as the contract suite's Elasticsearch leg
(``CLARION_TEST_ES_URL`` or a local osmem-server; see
``tests/store_contract/conftest.py`` for how osmem differs).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from enrichment import And, Near, Not, Or, Phrase, find_spans
from enrichment._query_ast import Node
from search import ElasticsearchConfig, ElasticsearchStore, MentionFilter, StoreError
from search._es_query import compile_query
from tests._elasticsearch import drop_indices
from tests.store_contract._data import doc, mention, utc

pytestmark = pytest.mark.elasticsearch


@pytest.fixture
async def store(es_config: ElasticsearchConfig) -> AsyncIterator[ElasticsearchStore]:
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    opened = ElasticsearchStore(es_config, index_prefix=prefix)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()
        await drop_indices(es_config, prefix)


async def _indices(store: ElasticsearchStore, pattern: str) -> list[str]:
    found = await store.client.indices.get(index=f"{store.prefix}-{pattern}")
    return sorted(found.body)


async def test_documents_and_mentions_go_to_monthly_indices_behind_aliases(
    store: ElasticsearchStore,
) -> None:
    await store.save_document(
        doc("may", published_at=utc(2026, 5, 31, 23, 59)), [mention("may", "acme")]
    )
    await store.save_document(doc("jun", published_at=utc(2026, 6, 1)), [mention("jun", "acme")])
    p = store.prefix
    assert await _indices(store, "documents-*") == [
        f"{p}-documents-2026.05",
        f"{p}-documents-2026.06",
    ]
    assert await _indices(store, "mentions-*") == [f"{p}-mentions-2026.05", f"{p}-mentions-2026.06"]
    assert await _indices(store, "brands") == [f"{p}-brands"]
    counted = await store.client.count(index=f"{p}-mentions")  # the read alias
    assert counted["count"] == 2
    got = await store.client.get(index=f"{p}-mentions-2026.06", id="jun:acme")
    assert got["_source"]["counted_us"] == 1_780_272_000_000_000


async def test_mappings_are_strict(store: ElasticsearchStore) -> None:
    await store.save_document(doc("a", published_at=utc(2026, 5, 4)), [])
    with pytest.raises(Exception, match="strict"):
        await store.client.index(
            index=f"{store.prefix}-documents-2026.05", id="x", document={"surprise": 1}
        )


async def test_an_update_that_changes_month_moves_document_and_mentions(
    store: ElasticsearchStore,
) -> None:
    d = doc("d", published_at=utc(2026, 5, 4), text="Acme.")
    await store.save_document(d, [mention("d", "acme"), mention("d", "globex")])
    moved = d.replace(published_at=utc(2026, 7, 2), text="Acme, corrected.")
    assert await store.save_document(moved, [mention("d", "acme")]) == "updated"
    assert await store.count_documents() == 1
    assert await store.get_document("d") == moved
    p = store.prefix
    assert (await store.client.count(index=f"{p}-documents-2026.05"))["count"] == 0
    assert (await store.client.count(index=f"{p}-mentions-2026.05"))["count"] == 0
    page = await store.search_mentions(MentionFilter(), limit=10)
    assert [(h.mention.brand_id, h.published_at) for h in page.hits] == [("acme", utc(2026, 7, 2))]


async def test_racing_updates_leave_one_version_with_its_own_mentions(
    store: ElasticsearchStore,
) -> None:
    versions = [doc("d", published_at=utc(2026, 5, 4), text=f"Version {i}.") for i in range(4)]
    outcomes = await asyncio.gather(
        *(store.save_document(v, [mention("d", f"brand{i}")]) for i, v in enumerate(versions))
    )
    assert sorted(outcomes) == ["created", "updated", "updated", "updated"]
    stored = await store.get_document("d")
    assert stored is not None
    winner = versions.index(stored)
    page = await store.search_mentions(MentionFilter(), limit=10)
    assert [h.mention.brand_id for h in page.hits] == [f"brand{winner}"]


async def test_retention_drops_whole_months_before_the_cutoff(store: ElasticsearchStore) -> None:
    for doc_id, published in [
        ("apr", utc(2026, 4, 30)),
        ("may", utc(2026, 5, 1)),
        ("jun", utc(2026, 6, 9)),
    ]:
        await store.save_document(doc(doc_id, published_at=published), [mention(doc_id, "acme")])
    p = store.prefix
    dropped = await store.drop_months_before(utc(2026, 5, 20))  # May is not over: kept
    assert dropped == [f"{p}-documents-2026.04", f"{p}-mentions-2026.04"]
    assert await store.count_documents() == 2
    assert await store.existing_document_ids(["apr", "may", "jun"]) == {"may", "jun"}
    with pytest.raises(StoreError):
        await store.drop_months_before(datetime(2026, 6, 1))  # naive


# --- the compiled queries mean what the evaluator means --------------------------

CORPUS = [
    (
        "Acme launches a rocket",
        "Globex and Initech watched the launch of the new rocket from Acme.",
    ),
    ("Quarterly results", "ACME Corp reported a loss; acme corp shares fell."),
    ("Acme and Globex merge", "The deal closes in May. Coca-Cola is not involved."),
    ("Nestlé in Straße", "Nestle and STRASSE: accents and sharp s fold."),
    ("Launchpad", "Rocket rocket rocket, the launcher launched."),
    ("Globex hires", "Hank Scorpio joins Globex from Initech of Acme."),
    ("Nothing", "Here is text with no brand at all."),
    ("ACME ACME", "acme acme Acme"),
]
VOCABULARY = [
    "acme", "Acme", "ACME", "corp", "rocket", "launch", "launches", "globex", "initech",
    "nestlé", "strasse", "coca", "cola", "the", "of", "deal", "fold", "nobody",
]  # fmt: skip


def _phrase(rng: random.Random, *, one_word: bool = False) -> Phrase:
    count = 1 if one_word else rng.choice([1, 1, 2])
    chosen = tuple(rng.choice(VOCABULARY) for _ in range(count))
    prefix = rng.random() < 0.2
    if prefix:
        chosen = (*chosen[:-1], chosen[-1][: max(1, len(chosen[-1]) - 2)])
    return Phrase(
        chosen,
        field=rng.choice([None, None, "title", "text", "site"]),
        case_sensitive=rng.random() < 0.2,
        prefix=prefix,
    )


def _node(rng: random.Random, depth: int) -> Node:
    kind = rng.choice(["phrase", "phrase", "and", "or", "near"]) if depth else "phrase"
    if kind == "phrase":
        return _phrase(rng)
    if kind == "near":
        # One-word sides: osmem rejects span_near nested in span_near (see the
        # contract conftest); multi-word sides are covered in test_es_query.py.
        def side() -> Node:
            if rng.random() < 0.3:
                return Or((_phrase(rng, one_word=True), _phrase(rng, one_word=True)))
            return _phrase(rng, one_word=True)

        return Near(side(), side(), rng.randint(0, 4), ordered=rng.random() < 0.4)
    children = [_node(rng, depth - 1) for _ in range(rng.randint(2, 3))]
    if kind == "and":
        if rng.random() < 0.5:
            children[-1] = Not(children[-1])
        return And(tuple(children))
    return Or(tuple(children))


QUERIES = [_node(random.Random(seed), 2) for seed in range(120)]


@pytest.fixture
async def corpus(store: ElasticsearchStore) -> ElasticsearchStore:
    for i, (title, text) in enumerate(CORPUS):
        d = doc(f"c{i}", published_at=utc(2026, 5, 4, i), title=title, text=text)
        await store.save_document(d, [mention(d.id, "acme")])
    return store


async def test_compiled_queries_agree_with_the_evaluator(corpus: ElasticsearchStore) -> None:
    failures: list[tuple[Node, object, list[str], list[str]]] = []
    for node in QUERIES:
        expected = {
            f"c{i}"
            for i, (title, text) in enumerate(CORPUS)
            if find_spans(node, title=title, text=text).matched
        }
        compiled = compile_query(node)
        if compiled.never:
            selected: set[str] = set()
        else:
            found = await corpus.client.search(
                index=f"{corpus.prefix}-documents-*",
                query=compiled.filter or {"match_all": {}},
                size=100,
                source=False,
            )
            selected = {h["_id"] for h in found["hits"]["hits"]}
        if (selected != expected) if compiled.exact else not (selected >= expected):
            failures.append((node, compiled.exact, sorted(selected), sorted(expected)))
        served = await corpus.search_mentions(MentionFilter(query=node), limit=100)
        if {h.mention.document_id for h in served.hits} != expected:
            failures.append((node, "store", sorted(selected), sorted(expected)))
    assert failures == []
