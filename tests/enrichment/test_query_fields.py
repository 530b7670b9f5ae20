"""Field scoping (author:, site:, lang:, country:) and brand exclusions, in the
parser and the evaluator."""

from __future__ import annotations

import pytest

from enrichment import (
    Brand,
    Except,
    Or,
    Phrase,
    QuerySyntaxError,
    Value,
    brand_query,
    find_mentions,
    find_spans,
    format_query,
    parse_query,
)
from enrichment._query import parse_exclusion


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("site:BBC.co.uk", Value("site", "bbc.co.uk")),
        ("site:www.bbc.co.uk.", Value("site", "bbc.co.uk")),
        ('site:"my-site.com"', Value("site", "my-site.com")),
        ("lang:EN", Value("lang", "en")),
        ("lang:pt-BR", Value("lang", "pt-br")),
        ("country:gb", Value("country", "gb")),
        ("site:(a.com OR b.org)", Or((Value("site", "a.com"), Value("site", "b.org")))),
        ("author:Doe", Phrase(("Doe",), field="author")),
    ],
)
def test_field_terms(query: str, expected: object) -> None:
    node = parse_query(query)
    assert node == expected
    assert parse_query(format_query(node)) == node


@pytest.mark.parametrize(
    ("query", "position", "fragment"),
    [
        ("site:-bbc.com", 5, "a term"),  # the lexer: write NOT site:x
        ("site:bbc..com", 5, "a domain"),
        ("site:bbc.com/news", 5, "a domain"),
        ("lang:english", 5, "a language code"),
        ("country:gbr", 8, "a two-letter country code"),
        ("site:(title:acme)", 6, "inside 'site:'"),
        ("title:(lang:en)", 0, "inside 'title:'"),
        ("acme NEAR/3 site:bbc.com", 12, "beside NEAR/3"),
        ("planet:earth", 0, "unknown field"),
    ],
)
def test_field_errors_name_the_position(query: str, position: int, fragment: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(query)
    assert caught.value.position == position
    assert fragment in caught.value.message


def test_metadata_conditions() -> None:
    def matches(query: str, **meta: object) -> bool:
        return find_spans(parse_query(query), title="Acme news", text="", **meta).matched  # type: ignore[arg-type]

    assert matches("acme site:bbc.co.uk", domain="news.bbc.co.uk")
    assert matches("acme site:bbc.co.uk", domain="BBC.CO.UK")
    assert not matches("acme site:bbc.co.uk", domain="notbbc.co.uk")
    assert not matches("acme site:bbc.co.uk")  # no domain
    assert matches("acme lang:en", language="en-GB")
    assert not matches("acme lang:en", language="eo")
    assert not matches("acme lang:en-gb", language="en")
    assert matches("acme NOT lang:en")  # no language is not English
    assert matches("acme country:GB", country="gb")
    assert not matches("acme country:gb", country="US")


def test_author_phrases_match_names_but_are_never_spans() -> None:
    authors = ("Jane Doe", "Acme Staff")
    result = find_spans(parse_query("author:doe"), title="t", text="x", authors=authors)
    assert result.matched and result.spans == ()
    assert not find_spans(parse_query("acme"), title="t", text="x", authors=authors).matched
    found = find_spans(parse_query("acme AND author:jane"), title="Acme", text="", authors=authors)
    assert [(s.field, s.start, s.end) for s in found.spans] == [("title", 0, 4)]


def test_exclusions_drop_only_the_hits_inside_false_friends() -> None:
    apple = Brand(id="apple", name="Apple", exclusions=("apple pie", '"big apple"'))
    node = brand_query(apple)
    assert isinstance(node, Except)
    text = "Bake an apple pie. New York, the Big Apple, loves it."
    assert not find_spans(node, title="Recipes", text=text).matched
    both = "Apple sells phones; apple pie sells too."
    result = find_spans(node, title="", text=both)
    assert [both[s.start : s.end] for s in result.spans] == ["Apple"]
    # the exclusion masks hits, it does not reject the document
    drafts = find_mentions(document_id="d", title="", text=both, brands=[(apple, node)])
    assert [d.count for d in drafts] == [1]


def test_exclusion_near_and_query_forms() -> None:
    assert parse_exclusion("apple pie") == Phrase(("apple", "pie"))
    assert parse_exclusion("apple NEAR/2 (pie OR tart)") == parse_query(
        "apple NEAR/2 (pie OR tart)"
    )
    brand = Brand(id="a", name="Apple", exclusions=("apple NEAR/2 (pie OR tart)",))
    assert not find_spans(brand_query(brand), title="", text="apple and pear tart").matched
    assert find_spans(brand_query(brand), title="", text="apple and pear and plum tart").matched
    for bad in ("apple -pie", "site:apple.com", "apple OR (pie AND tart)"):
        with pytest.raises(QuerySyntaxError):
            parse_exclusion(bad)


def test_exclusions_keep_an_explicit_query() -> None:
    brand = Brand(id="a", name="Apple", query="{Apple} OR iPhone", exclusions=("Apple Records",))
    node = brand_query(brand)
    assert isinstance(node, Except) and node.query == parse_query("{Apple} OR iPhone")
    assert not find_spans(node, title="", text="Apple Records reissues an LP").matched
    assert "EXCEPT" in format_query(node)


def test_an_explicit_and_is_not_read_as_a_phrase() -> None:
    with pytest.raises(QuerySyntaxError):
        parse_exclusion("apple AND pie")
