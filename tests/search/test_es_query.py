"""The query AST → Elasticsearch DSL compiler (pure): what each case compiles to,
and which cases are exact (the rest are checked with the evaluator).

Whether the DSL *means* what the evaluator means is checked against a server
in ``tests/search/test_es.py``.
"""

from __future__ import annotations

import json

import pytest

from enrichment import And, Near, Not, Or, Phrase, Value, parse_query
from search._es_query import EsQuery, compile_query


def mp(field: str, query: str) -> dict[str, object]:
    return {"match_phrase": {f"{field}_words": {"query": query}}}


def both(field_clause: str) -> dict[str, object]:
    return {
        "bool": {
            "should": [mp("title", field_clause), mp("text", field_clause)],
            "minimum_should_match": 1,
        }
    }


def test_a_phrase_is_a_match_phrase_on_both_word_fields_of_folded_words() -> None:
    assert compile_query(Phrase(("Nestlé", "Coca-Cola"))) == EsQuery(
        both("nestle coca cola"), exact=True
    )


def test_a_field_limits_the_phrase_and_other_fields_never_match() -> None:
    assert compile_query(Phrase(("acme",), field="title")) == EsQuery(
        mp("title", "acme"), exact=True
    )
    # a field the index does not hold (authors): every document, checked by the evaluator
    assert compile_query(Phrase(("acme",), field="author")) == EsQuery(None, exact=False)


def test_metadata_values_are_exact_keyword_queries() -> None:
    def term(field: str, value: str) -> dict[str, object]:
        return {"term": {field: {"value": value, "case_insensitive": True}}}

    site = compile_query(Value("site", "bbc.co.uk"))
    wildcard = {"wildcard": {"domain": {"value": "*.bbc.co.uk", "case_insensitive": True}}}
    assert site == EsQuery(
        {"bool": {"should": [term("domain", "bbc.co.uk"), wildcard], "minimum_should_match": 1}},
        exact=True,
    )
    lang = compile_query(Value("lang", "en"))
    assert lang.filter is not None and lang.exact
    assert lang.filter["bool"]["should"][1] == {
        "prefix": {"language": {"value": "en-", "case_insensitive": True}}
    }
    assert compile_query(Value("country", "gb")) == EsQuery(term("country", "gb"), exact=True)


def test_prefixes() -> None:
    one = compile_query(Phrase(("Launch",), field="text", prefix=True))
    assert one == EsQuery({"prefix": {"text_words": {"value": "launch"}}}, exact=True)
    two = compile_query(Phrase(("acme", "laun"), field="text", prefix=True))
    assert two.exact is False  # leading words as a phrase AND a prefix: a superset
    assert two.filter == {
        "bool": {"filter": [mp("text", "acme"), {"prefix": {"text_words": {"value": "laun"}}}]}
    }


def test_case_sensitive_phrases_are_a_superset() -> None:
    assert compile_query(Phrase(("ACME",), field="title", case_sensitive=True)) == EsQuery(
        mp("title", "acme"), exact=False
    )


def test_a_phrase_without_words_leaves_it_to_the_evaluator() -> None:
    assert compile_query(Phrase(("***",))) == EsQuery(None, exact=False)


def test_and_or_not() -> None:
    q = compile_query(parse_query("title:acme AND (text:loss OR text:deal) NOT text:globex"))
    assert q.exact
    assert q.filter == {
        "bool": {
            "filter": [
                mp("title", "acme"),
                {
                    "bool": {
                        "should": [mp("text", "loss"), mp("text", "deal")],
                        "minimum_should_match": 1,
                    }
                },
            ],
            "must_not": [mp("text", "globex")],
        }
    }


def test_a_not_of_a_superset_is_dropped_and_the_result_is_inexact() -> None:
    q = compile_query(
        And((Phrase(("acme",), field="title"), Not(Phrase(("X",), case_sensitive=True))))
    )
    assert q == EsQuery(mp("title", "acme"), exact=False)


# Two phrases in different fields are never near each other: no document matches.
NEVER = Near(Phrase(("a",), field="title"), Phrase(("z",), field="text"), 2)


def test_a_lone_not_excludes_exactly() -> None:
    assert compile_query(Not(Phrase(("acme",), field="text"))) == EsQuery(
        {"bool": {"must_not": [mp("text", "acme")]}}, exact=True
    )
    assert compile_query(Not(NEVER)) == EsQuery(None, exact=True)


def test_or_with_a_never_branch_and_and_with_one() -> None:
    assert compile_query(Or((NEVER, Phrase(("b",), field="text")))) == (
        EsQuery(mp("text", "b"), exact=True)
    )
    assert compile_query(And((NEVER, Phrase(("b",))))).never


def span_near(clauses: list[object], slop: int, in_order: bool) -> dict[str, object]:
    return {"span_near": {"clauses": clauses, "slop": slop, "in_order": in_order}}


def test_near_is_span_near_per_field_with_slop_and_order() -> None:
    q = compile_query(Near(Phrase(("acme",), field="text"), Phrase(("rocket",)), 3, ordered=True))
    assert q == EsQuery(
        span_near(
            [{"span_term": {"text_words": "acme"}}, {"span_term": {"text_words": "rocket"}}],
            3,
            True,
        ),
        exact=True,
    )
    unfielded = compile_query(Near(Phrase(("a",)), Phrase(("b",)), 1))
    assert unfielded.filter is not None
    assert len(unfielded.filter["bool"]["should"]) == 2


def test_near_over_phrases_and_prefixes_nests_spans() -> None:
    q = compile_query(
        Near(Phrase(("acme", "corp"), field="text"), Phrase(("laun",), prefix=True), 2)
    )
    assert q.exact
    assert q.filter == span_near(
        [
            span_near(
                [{"span_term": {"text_words": "acme"}}, {"span_term": {"text_words": "corp"}}],
                0,
                True,
            ),
            {"span_multi": {"match": {"prefix": {"text_words": {"value": "laun"}}}}},
        ],
        2,
        False,
    )


@pytest.mark.parametrize(
    "near",
    [
        Near(Phrase(("acme",)), Phrase(("acme",)), 1),  # one word cannot serve both sides
        Near(Phrase(("ac",), prefix=True), Phrase(("acme",)), 1),
        Near(Phrase(("a",), prefix=True), Phrase(("b",), prefix=True), 1),
        Near(Phrase(("Acme",), case_sensitive=True), Phrase(("rocket",)), 1),
    ],
)
def test_near_that_could_overlap_or_is_case_sensitive_is_inexact(near: Near) -> None:
    assert compile_query(near).exact is False


def test_near_between_ors_is_one_span_near_per_pair() -> None:
    q = compile_query(parse_query("text:((acme OR globex) NEAR/1 (launch OR hires))"))
    assert q.exact and q.filter is not None
    assert len(q.filter["bool"]["should"]) == 4


def test_near_over_other_expressions_is_the_and_of_its_sides() -> None:
    q = compile_query(Near(And((Phrase(("a",), field="text"), Phrase(("b",), field="text"))),
                           Phrase(("c",), field="text"), 2))  # fmt: skip
    assert q.exact is False
    assert q.filter == {
        "bool": {
            "filter": [
                {"bool": {"filter": [mp("text", "a"), mp("text", "b")]}},
                mp("text", "c"),
            ]
        }
    }
    with_not = Near(And((Phrase(("a",)), Not(Phrase(("b",))))), Phrase(("c",)), 2)
    assert compile_query(with_not) == EsQuery(None, exact=False)


def test_near_across_two_fields_never_matches() -> None:
    near = Near(Phrase(("a",), field="title"), Phrase(("b",), field="text"), 5)
    assert compile_query(near).never


@pytest.mark.parametrize("text", ['"', "\\", '{"a": 1}', "title:x", "*", "NEAR(", "\x00"])
def test_query_text_is_only_ever_data(text: str) -> None:
    """No text reaches Elasticsearch as syntax: it only ever appears as folded words."""
    compiled = compile_query(Phrase((text, "acme")))
    dumped = json.dumps(compiled.filter)
    for fragment in ("query_string", "simple_query_string", "regexp", "wildcard", "script"):
        assert fragment not in dumped
