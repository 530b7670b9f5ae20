"""The query parser and formatter: structure, precedence, errors and round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrichment import (
    And,
    Brand,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    QuerySyntaxError,
    Value,
    brand_query,
    format_query,
    parse_query,
)


def w(*words: str, **options: object) -> Phrase:
    return Phrase(tuple(words), **options)  # type: ignore[arg-type]


# -- structure ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("apple", w("apple")),
        ('"apple pie"', w("apple", "pie")),
        ("“apple pie”", w("apple", "pie")),  # curly quotes from a word processor
        ("Coca-Cola", w("Coca", "Cola")),  # a bare word is cut into words
        ("AT&T", w("AT", "T")),
        ("launch*", w("launch", prefix=True)),
        ('"product launch*"', w("product", "launch", prefix=True)),
        ("{Apple}", w("Apple", case_sensitive=True)),
        ("{Apple Music}", w("Apple", "Music", case_sensitive=True)),
        ('{"Apple Music"}', w("Apple", "Music", case_sensitive=True)),
        ("{Launch*}", w("Launch", case_sensitive=True, prefix=True)),
        ("title:apple", w("apple", field="title")),
        ("TEXT:apple", w("apple", field="text")),
        ('title:"apple pie"', w("apple", "pie", field="title")),
        ("title:{Apple}", w("Apple", field="title", case_sensitive=True)),
        ("site:example.com", Value("site", "example.com")),
        ("a and b", And((w("a"), w("and"), w("b")))),  # operators are capitals only
        ('"NEAR" OR "AND"', Or((w("NEAR"), w("AND")))),
        ("  apple  ", w("apple")),
    ],
)
def test_terms(query: str, expected: Node) -> None:
    assert parse_query(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # AND binds tighter than OR
        ("a OR b AND c", Or((w("a"), And((w("b"), w("c")))))),
        ("a AND b OR c", Or((And((w("a"), w("b"))), w("c")))),
        # adjacent terms are ANDed
        ("a b OR c d", Or((And((w("a"), w("b"))), And((w("c"), w("d")))))),
        # NOT binds tighter than AND, and "a NOT b" is "a AND NOT b"
        ("a NOT b c", And((w("a"), Not(w("b")), w("c")))),
        ("a AND NOT b", And((w("a"), Not(w("b"))))),
        ("a -b", And((w("a"), Not(w("b"))))),
        ('a -"b c"', And((w("a"), Not(w("b", "c"))))),
        ("a -(b OR c)", And((w("a"), Not(Or((w("b"), w("c"))))))),
        ("NOT b a", And((Not(w("b")), w("a")))),
        ("Apple OR Samsung NOT pie", Or((w("Apple"), And((w("Samsung"), Not(w("pie"))))))),
        ("(Apple OR Samsung) NOT pie", And((Or((w("Apple"), w("Samsung"))), Not(w("pie"))))),
        # NEAR binds tightest, left to right
        ("a b NEAR/3 c", And((w("a"), Near(w("b"), w("c"), 3)))),
        ("NOT a NEAR/3 b c", And((Not(Near(w("a"), w("b"), 3)), w("c")))),
        ("a NEAR/3 b NEAR/2 c", Near(Near(w("a"), w("b"), 3), w("c"), 2)),
        ("a ONEAR/4 b", Near(w("a"), w("b"), 4, ordered=True)),
        ("a NEAR/4f b", Near(w("a"), w("b"), 4, ordered=True)),  # Brandwatch's spelling
        ("(a OR b) NEAR/5 cc*", Near(Or((w("a"), w("b"))), w("cc", prefix=True), 5)),
        # groups of the same operator flatten
        ("a (b c)", And((w("a"), w("b"), w("c")))),
        ("a OR (b OR c)", Or((w("a"), w("b"), w("c")))),
        ("((a))", w("a")),
        # a field applies to every term of its group
        (
            "title:(a OR b c)",
            Or((w("a", field="title"), And((w("b", field="title"), w("c", field="title"))))),
        ),
        ("title:(a OR title:b)", Or((w("a", field="title"), w("b", field="title")))),
    ],
)
def test_precedence(query: str, expected: Node) -> None:
    assert parse_query(query) == expected


# -- errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "position", "expected"),
    [
        ("", 0, "a word"),
        ("   ", 0, "a word"),
        ("(a", 0, "')'"),
        ("a (b OR c", 2, "')'"),
        ("a)", 1, "a term or the end"),
        ("(a))", 3, "a term or the end"),
        ("()", 1, "after '('"),
        ("a AND", 5, "after 'AND'"),
        ("a OR", 4, "after 'OR'"),
        ("AND a", 0, "a word"),
        ("a OR OR b", 5, "after 'OR'"),
        ("a AND OR b", 6, "after 'AND'"),
        ("a NOT", 5, "after 'NOT'"),
        ("a NEAR/3", 8, "after 'NEAR/3'"),
        ("NOT a", 0, "a term to search for"),
        ("-a", 0, "a term to search for"),
        ("NOT a NOT b", 0, "a term to search for"),
        ("(NOT a)", 1, "a term to search for"),
        ("a OR NOT b", 5, "'a AND NOT b'"),
        ("(NOT a) OR b", 1, "'a AND NOT b'"),
        ("a NOT NOT b", 6, "after 'NOT'"),
        ("a NOT (NOT b)", 7, "a term to exclude"),
        ("a - b", 3, "a term right after '-'"),
        ("a -", 3, "a term right after '-'"),
        ("a NEAR b", 6, "a distance"),
        ("NEAR", 4, "a distance"),
        ("a NEAR/x b", 7, "a distance"),
        ("a ONEAR/0 b", 8, "from 1 to 100"),
        ("a NEAR/101 b", 7, "from 1 to 100"),
        ("(a b) NEAR/3 c", 0, "a term, a NEAR"),
        ("a NEAR/3 (b NOT c)", 9, "a term, a NEAR"),
        ('x "abc', 2, "a closing '\"'"),
        ('""', 1, "letters or digits"),
        ("!!!", 0, "letters or digits"),
        ("x {abc", 2, "a '}'"),
        ("{a{b}", 2, "'}' before another '{'"),
        ("a }", 2, "a term"),
        ("*a", 0, "only at the end"),
        ("la*nch", 2, "only at the end"),
        ("a*", 1, "at least 2 characters"),
        ("foo:bar", 0, "one of title:"),
        ("title: a", 6, "a term right after it"),
        ("title:", 6, "a term right after it"),
        ("title:AND", 6, "a term (write NOT title:term)"),
        ("title:(text:a)", 0, "a single field"),
        ("title:NOT a", 6, "a term (write NOT title:term)"),
        ("title:-a", 6, "a term (write NOT title:term)"),
        ("(" * 40 + "a" + ")" * 40, 32, "at most 32 levels"),
    ],
)
def test_errors_name_position_and_expectation(query: str, position: int, expected: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(query)
    assert caught.value.position == position
    assert f"at position {position}" in str(caught.value)
    assert f"expected {expected}" in str(caught.value) or expected in str(caught.value)


def test_error_is_a_value_error() -> None:
    assert issubclass(QuerySyntaxError, ValueError)


# -- brand queries -------------------------------------------------------------


def test_brand_query_defaults_to_name_and_aliases() -> None:
    brand = Brand(id="acme", name="Acme", aliases=("Acme Corp", "ACME", "Acme-Corp"))
    # "ACME" and "Acme-Corp" repeat the name and the first alias
    assert brand_query(brand) == Or((w("Acme"), w("Acme", "Corp")))
    assert brand_query(Brand(id="a", name="Acme")) == w("Acme")


def test_brand_query_uses_the_query_when_set() -> None:
    brand = Brand(id="apple", name="Apple", query='Apple NOT "apple pie"')
    assert brand_query(brand) == And((w("Apple"), Not(w("apple", "pie"))))


def test_brand_without_words_is_an_error() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        brand_query(Brand(id="x", name="!!!"))
    assert caught.value.brand_id == "x"


# -- formatting ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        ('Apple OR "Apple Inc" NOT "apple pie"', 'Apple OR "Apple Inc" AND NOT "apple pie"'),
        ("(a OR b) c", "(a OR b) AND c"),
        ("a -(b OR c)", "a AND NOT (b OR c)"),
        ("a NOT (b c)", "a AND NOT (b AND c)"),
        ("(a OR b) NEAR/5f (c NEAR/2 d)", "(a OR b) ONEAR/5 (c NEAR/2 d)"),
        ("Coca-Cola", '"Coca Cola"'),
        ('"NEAR"', '"NEAR"'),
        ("title:(a OR {Bx*})", "title:a OR title:{Bx*}"),
        ('"launch*"', "launch*"),
    ],
)
def test_format_is_canonical(query: str, canonical: str) -> None:
    assert format_query(parse_query(query)) == canonical
    assert parse_query(canonical) == parse_query(query)


# -- properties ----------------------------------------------------------------

_WORDS = st.sampled_from(
    ["apple", "Apple", "pie", "Coca", "iPhone", "NEAR", "AND", "or", "Müller", "東", "x2", "7"]
)


@st.composite
def phrases(draw: st.DrawFn) -> Phrase:
    words = tuple(draw(st.lists(_WORDS, min_size=1, max_size=3)))
    prefix = draw(st.booleans()) and len(words[-1]) >= 2
    field = draw(st.sampled_from([None, None, "title", "text", "author"]))
    return Phrase(words, field=field, case_sensitive=draw(st.booleans()), prefix=prefix)


def positional(depth: int) -> st.SearchStrategy[Node]:
    if depth == 0:
        return phrases()
    inner = positional(depth - 1)
    return st.one_of(
        phrases(),
        st.builds(Near, inner, inner, st.integers(min_value=1, max_value=100), st.booleans()),
        st.lists(phrases(), min_size=2, max_size=3).map(lambda c: Or(tuple(c))),
    )


def queries(depth: int) -> st.SearchStrategy[Node]:
    """Normalized ASTs: what ``parse_query`` can return."""
    if depth == 0:
        return positional(1)
    inner = queries(depth - 1)
    not_or = inner.filter(lambda n: not isinstance(n, Or))
    and_child = inner.filter(lambda n: not isinstance(n, And))

    @st.composite
    def ands(draw: st.DrawFn) -> Node:
        positive = draw(st.lists(and_child, min_size=1, max_size=3))
        negative = [Not(n) for n in draw(st.lists(not_or | inner, max_size=2))]
        children = positive + negative
        if len(children) < 2:
            children.append(draw(phrases()))
        return And(tuple(draw(st.permutations(children))))

    ors = st.lists(inner.filter(lambda n: not isinstance(n, Or)), min_size=2, max_size=3).map(
        lambda c: Or(tuple(c))
    )
    values = st.sampled_from(
        [Value("site", "bbc.co.uk"), Value("lang", "en"), Value("country", "gb")]
    )
    return st.one_of(positional(2), ands(), ors, values)


@settings(max_examples=300, deadline=None)
@given(queries(2))
def test_parse_inverts_format(node: Node) -> None:
    assert parse_query(format_query(node)) == node


_QUERY_CHARS = st.sampled_from(list('ab ()"{}*-:/AND OR NOT NEAR/3 title:“”é東\t'))


@settings(max_examples=500, deadline=None)
@given(st.text(_QUERY_CHARS, max_size=40) | st.text(max_size=40))
def test_parser_only_raises_query_syntax_errors(text: str) -> None:
    try:
        node = parse_query(text)
    except QuerySyntaxError as exc:
        assert 0 <= exc.position <= len(text)
    else:
        assert parse_query(format_query(node)) == node
