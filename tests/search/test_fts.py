"""Queries compiled to FTS5: exact where claimed, a superset everywhere, never a syntax error.

The differential test runs every compiled query against a real FTS5 table
(the store's own DDL) and compares with ``enrichment.find_spans``, which
defines what a query means.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from importlib import resources

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrichment import And, Near, Not, Or, Phrase, find_spans, parse_query
from enrichment._query_ast import Node
from search._fts import compile_query, index_text


def test_index_text_holds_clarions_folded_words() -> None:
    assert index_text("Coca-Cola's NESTLÉ, Straße!") == "coca cola s nestle strasse"
    assert index_text("東京タワー") == "東 京 タ ワ ー"
    assert index_text("") == ""


@pytest.mark.parametrize(
    ("query", "match", "exact"),
    [
        ("acme", '"acme"', True),
        ('"Acme Corp"', '"acme corp"', True),
        ("launch*", '"launch"*', True),
        ("title:Nestlé", 'title : "nestle"', True),
        ("Coca-Cola", '"coca cola"', True),
        ("a1 AND b2", '("a1") AND ("b2")', True),
        ("a1 OR b2", '("a1") OR ("b2")', True),
        ("a1 NOT b2 NOT c3", '(("a1") NOT ("b2")) NOT ("c3")', True),
        ("{Acme}", '"acme"', False),
        ("a1 NOT {B2}", '"a1"', False),  # an inexact exclusion is dropped, then checked
        ("a1 NEAR/3 b2", 'NEAR("a1" "b2", 3)', True),
        ("title:(a1 NEAR/3 b2)", 'title : NEAR("a1" "b2", 3)', True),
        ("a1 ONEAR/3 b2", 'NEAR("a1" "b2", 3)', False),
        ("ac* NEAR/2 acme", 'NEAR("ac"* "acme", 2)', False),  # one word could serve both
        ("site:example.com", None, True),  # all SQL (FtsQuery.sql), no FTS
        ("title:a1 NEAR/2 text:b2", None, True),
        ("author:doe", None, False),  # FTS does not hold authors: the evaluator decides
        ("a1 OR lang:fr", None, False),  # metadata inside an OR: the evaluator decides
    ],
)
def test_compiled_forms(query: str, match: str | None, exact: bool) -> None:
    compiled = compile_query(parse_query(query))
    assert (compiled.match, compiled.exact) == (match, exact)


def test_queries_that_can_never_match() -> None:
    assert compile_query(parse_query("title:a1 NEAR/2 text:b2")).never
    assert not compile_query(parse_query("site:example.com")).never


def test_top_level_metadata_is_sql() -> None:
    site = compile_query(parse_query("a1 AND site:example.com NOT lang:fr"))
    assert (site.match, site.exact) == ('"a1"', True)
    assert site.sql == (
        "ifnull(lower(domain) = ? OR lower(domain) LIKE ? ESCAPE '\\', 0) AND "
        "NOT (ifnull(lower(language) = ? OR lower(language) LIKE ? ESCAPE '\\', 0))"
    )
    assert site.params == ("example.com", "%.example.com", "fr", "fr-%")
    country = compile_query(parse_query("country:(gb OR ie)"))
    assert (country.match, country.exact, country.params) == (None, True, ("gb", "ie"))
    assert country.sql == "(ifnull(lower(country) = ?, 0) OR ifnull(lower(country) = ?, 0))"
    assert compile_query(parse_query("site:my_site.com")).params[1] == "%.my\\_site.com"


def test_phrases_without_words_leave_the_decision_to_the_evaluator() -> None:
    compiled = compile_query(Phrase(("***",)))
    assert (compiled.match, compiled.exact, compiled.never) == (None, False, False)


@pytest.fixture(scope="module")
def fts() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    sql = resources.files("search.migrations").joinpath("0002_documents.sql").read_text("utf-8")
    conn.executescript(sql)
    yield conn
    conn.close()


VOCAB = ["acme", "Acme", "ACME", "launch", "launches", "launched", "rocket", "globex", "Nestlé",
         "nestle", "Straße", "strasse", "the", "co", "東", "京"]  # fmt: skip
PREFIXES = ["la", "launch", "ac", "ro", "nes", "stra", "東"]
SEPARATORS = [" ", "-", ", ", "'s ", " (", ") ", ". "]

texts = st.lists(st.tuples(st.sampled_from(VOCAB), st.sampled_from(SEPARATORS)), max_size=10).map(
    lambda ws: "".join(w + s for w, s in ws)
)


@st.composite
def phrases(draw: st.DrawFn) -> Phrase:
    prefix = draw(st.booleans())
    n = draw(st.integers(1, 2))
    words = [draw(st.sampled_from(VOCAB)) for _ in range(n)]
    if prefix:
        words[-1] = draw(st.sampled_from(PREFIXES))
    return Phrase(
        tuple(words),
        field=draw(st.sampled_from([None, None, "title", "text", "site"])),
        case_sensitive=draw(st.booleans()),
        prefix=prefix,
    )


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    near_side: st.SearchStrategy[Node] = st.one_of(
        phrases(), st.lists(phrases(), min_size=2, max_size=3).map(lambda ps: Or(tuple(ps)))
    )
    return st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda cs: Or(tuple(cs))),
        st.tuples(children, st.lists(children.map(Not), max_size=2)).map(
            lambda t: And((t[0], *t[1]))
        ),
        st.lists(children, min_size=2, max_size=3).map(lambda cs: And(tuple(cs))),
        st.builds(Near, near_side, near_side, st.integers(1, 4), st.booleans()),
    )


queries = st.recursive(phrases(), _extend, max_leaves=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=st.lists(st.tuples(texts, texts), min_size=1, max_size=6), query=queries)
def test_compiled_queries_agree_with_the_evaluator(
    fts: sqlite3.Connection, docs: list[tuple[str, str]], query: Node
) -> None:
    fts.execute("DELETE FROM documents_fts")
    fts.executemany(
        "INSERT INTO documents_fts (rowid, title, text) VALUES (?, ?, ?)",
        [(i, index_text(title), index_text(text)) for i, (title, text) in enumerate(docs)],
    )
    expected = {
        i
        for i, (title, text) in enumerate(docs)
        if find_spans(query, title=title, text=text).matched
    }
    compiled = compile_query(query)
    if compiled.never:
        selected: set[int] = set()
    elif compiled.match is None:
        selected = set(range(len(docs)))
    else:
        rows = fts.execute(
            "SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?", (compiled.match,)
        )
        selected = {r[0] for r in rows}
    assert expected <= selected, compiled
    if compiled.exact:
        assert selected == expected, compiled


NASTY = ['"', "'", "*", "(", ")", ":", "^", "-", "+", "NEAR", "AND", "OR", "NOT", "{x}",
         "title:", "a\"b", "\x00", "🚀", "\\", "NEAR(", "col : x", ""]  # fmt: skip


@pytest.mark.parametrize("word", NASTY)
def test_nasty_words_never_reach_fts_as_syntax(fts: sqlite3.Connection, word: str) -> None:
    nodes: list[Node] = [
        Phrase((word,)),
        Phrase(("acme", word), prefix=True, field="title"),
        Near(Phrase((word,)), Phrase(("acme",)), 2),
        And((Phrase(("acme",)), Not(Phrase((word,))))),
    ]
    for node in nodes:
        compiled = compile_query(node)
        if compiled.match is not None:
            fts.execute(
                "SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?", (compiled.match,)
            ).fetchall()
