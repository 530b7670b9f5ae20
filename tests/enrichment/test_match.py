"""The evaluator on real-looking sentences: word boundaries, case, prefixes, NEAR, fields."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrichment import And, DocumentIndex, Near, Not, Or, Phrase, evaluate, find_spans, parse_query


def hits(query: str, text: str, title: str = "") -> list[str]:
    """The matched substrings, or ``[]`` when the query does not match."""
    result = find_spans(parse_query(query), title=title, text=text)
    assert result.matched == bool(result.spans)
    fields = {"title": title, "text": text}
    return [fields[s.field][s.start : s.end] for s in result.spans]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Apple's new iPhone sold out.", ["Apple"]),
        ("Apple’s new iPhone sold out.", ["Apple"]),  # typographic apostrophe
        ("Shares of Apple (AAPL) rose.", ["Apple"]),
        ("Samsung, not Apple, leads.", ["Apple"]),
        ("It was Apple.", ["Apple"]),
        ('"Apple" said nothing.', ["Apple"]),
        ("#Apple trends again", ["Apple"]),
        ("APPLE SHARES SOAR", ["APPLE"]),
        ("Applebee's opens a new restaurant.", []),
        ("Pineapple sales rose.", []),
        ("Snapple is a drink.", []),
    ],
)
def test_word_boundaries_and_possessives(text: str, found: list[str]) -> None:
    assert hits("Apple", text) == found


def test_hyphens_and_ampersands_are_word_separators() -> None:
    assert hits("Coca-Cola", "The Coca-Cola Company and Coca Cola HBC") == [
        "Coca-Cola",
        "Coca Cola",
    ]
    assert hits('"Coca Cola"', "Coca-Cola raised prices") == ["Coca-Cola"]
    assert hits("L&T", "L&T Finance case: Factorial says will cooperate with Sebi") == ["L&T"]
    assert hits("AT&T", "Verizon and AT&T’s networks") == ["AT&T"]


def test_case_sensitive_terms() -> None:
    assert hits("{Apple}", "an apple a day; Apple Inc reported") == ["Apple"]
    assert hits("{Apple}", "APPLE SHARES SOAR") == []
    assert hits("{BT}", "BT Group cut jobs; a bt of text") == ["BT"]
    assert hits("{Launch*}", "Launches today, launched yesterday") == ["Launches"]


def test_prefix_wildcard() -> None:
    text = "The firm launches, launched and will relaunch the launch event"
    assert hits("launch*", text) == ["launches", "launched", "launch"]
    assert hits('"will relaunch*"', text) == ["will relaunch"]
    assert hits("relaunch*", "relaunching") == ["relaunching"]


def test_unicode_case_and_accent_folding() -> None:
    assert hits("Nestle", "Nestlé reported higher sales") == ["Nestlé"]
    assert hits("Nestlé", "NESTLE REPORTED") == ["NESTLE"]
    assert hits("strasse", "Die Hauptstraße ist lang; Straße") == ["Straße"]  # not mid-word
    assert hits("Müller", "Thomas MÜLLER traf") == ["MÜLLER"]
    assert hits("{Müller}", "MÜLLER und Müller") == ["Müller"]


def test_scripts_without_spaces_and_with_vowel_signs() -> None:
    assert hits("苹果", "苹果公司发布了新款手机") == ["苹果"]
    assert hits("アップル", "アップルは新しいiPhoneを発表した") == ["アップル"]
    assert hits("हिन्दी", "हिन्दी भाषा में समाचार") == ["हिन्दी"]
    assert hits("हिन्द", "हिन्दी भाषा") == []  # a vowel sign is part of the word


def test_false_friends_are_excluded_document_wide() -> None:
    query = 'Apple NOT "apple pie"'
    assert hits(query, "Apple unveiled a new iPhone on Tuesday.") == ["Apple"]
    assert hits(query, "Grandma's apple pie recipe: bake for an hour.") == []
    assert hits(query, "Apple's earnings, and an apple pie contest") == []


def test_near_counts_words_between() -> None:
    text = "Tesla announced on Monday a recall of 2 million vehicles"
    assert hits("Tesla NEAR/4 recall", text) == ["Tesla", "recall"]  # 4 words between
    assert hits("Tesla NEAR/3 recall", text) == []
    assert hits("recall NEAR/4 Tesla", text) == ["Tesla", "recall"]  # either order
    assert hits("recall ONEAR/4 Tesla", text) == []  # ordered
    assert hits("Tesla ONEAR/4 recall*", text) == ["Tesla", "recall"]
    assert hits("(Tesla OR Ford) NEAR/5 (recall OR lawsuit)", text) == ["Tesla", "recall"]
    assert hits('"a recall" NEAR/1 Monday', text) == ["Monday", "a recall"]
    assert hits("Tesla NEAR/3 Monday NEAR/2 recall", text) == ["Tesla", "Monday", "recall"]


def test_near_needs_distinct_hits_in_one_field() -> None:
    assert hits("apple NEAR/5 apple", "one apple here") == []
    assert hits("apple NEAR/5 apple", "apple and apple") == ["apple", "apple"]
    assert hits("Tesla NEAR/5 recall", "recall notice", title="Tesla") == []


def test_fields() -> None:
    title, text = "Acme wins award", "The award went to Acme Corp in Paris."
    assert hits("title:Acme", text, title) == ["Acme"]
    assert hits("text:Acme", text, title) == ["Acme"]
    assert hits("Acme", text, title) == ["Acme", "Acme"]  # title first
    assert hits("title:Paris", text, title) == []
    assert hits("title:(Paris OR award)", text, title) == ["award"]
    assert hits("author:Acme", text, title) == []  # no authors here (and never spans)
    assert hits("Acme OR author:Acme", text, title) == ["Acme", "Acme"]


def test_boolean_spans() -> None:
    text = "Samsung and Apple sell phones; Google sells ads."
    assert hits("Apple Samsung", text) == ["Samsung", "Apple"]
    assert hits("Apple OR Nokia", text) == ["Apple"]
    assert hits("(Apple Nokia) OR Google", text) == ["Google"]  # a failed AND leaves no spans
    assert hits("Apple NOT Nokia", text) == ["Apple"]
    assert hits("Apple NOT Google", text) == []


def test_overlapping_hits_merge() -> None:
    assert hits('"Apple Inc" OR Apple OR Inc', "Apple Inc said") == ["Apple Inc"]


def test_index_is_reused_across_queries() -> None:
    index = DocumentIndex(title="Apple results", text="Samsung and Apple sell phones.")
    assert evaluate(parse_query("Apple"), index).matched
    assert evaluate(parse_query("Samsung"), index).matched
    assert not evaluate(parse_query("Nokia"), index).matched
    assert index.title.text == "Apple results"


def test_hand_built_phrases_are_cut_like_parsed_ones() -> None:
    result = find_spans(Phrase(("Coca-Cola",)), title="", text="Coca Cola")
    assert result.matched


def test_empty_document() -> None:
    assert not find_spans(parse_query("Apple"), title="", text="").matched
    assert not find_spans(parse_query("Apple NOT pie"), title="", text="").matched


# -- properties ----------------------------------------------------------------

_VOCAB = ["apple", "Apple", "APPLE", "pie", "inc", "applepie", "x1"]
_SEPARATORS = [" ", "  ", "'s ", "-", ", ", ". ", "\n", "’", "(", ")"]


@st.composite
def texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(st.sampled_from(_VOCAB), st.sampled_from(_SEPARATORS))))
    return "".join(word + sep for word, sep in parts)


def naive_count(phrase: Phrase, text: str) -> int:
    """Occurrences by a regular expression on the lowercased text (ASCII words only)."""
    flags = 0 if phrase.case_sensitive else re.IGNORECASE
    body = r"[^a-zA-Z0-9]+".join(re.escape(w) for w in phrase.words)
    tail = r"[a-zA-Z0-9]*" if phrase.prefix else ""
    return len(re.findall(rf"(?<![a-zA-Z0-9]){body}{tail}(?![a-zA-Z0-9])", text, flags))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["apple", "pie", "inc", "app"]), min_size=1, max_size=2),
    st.booleans(),
    st.booleans(),
    texts(),
)
def test_phrase_hits_agree_with_a_naive_regex(
    words: list[str], case_sensitive: bool, prefix: bool, text: str
) -> None:
    if case_sensitive:
        words = [w.capitalize() for w in words]
    phrase = Phrase(tuple(words), case_sensitive=case_sensitive, prefix=prefix)
    result = find_spans(phrase, title="", text=text)
    expected = naive_count(phrase, text)
    # merged spans can only be fewer than hits when hits overlap ("pie pie" in "pie pie pie")
    assert result.matched == (expected > 0)
    if len(set(words)) == len(words) == 1:
        assert len(result.spans) == expected


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["apple", "pie", "inc"]), st.sampled_from(["apple", "pie", "x1"]), texts())
def test_boolean_connectives_compose(a: str, b: str, text: str) -> None:
    pa, pb = Phrase((a,)), Phrase((b,))
    ma = find_spans(pa, title="", text=text).matched
    mb = find_spans(pb, title="", text=text).matched
    assert find_spans(And((pa, pb)), title="", text=text).matched == (ma and mb)
    assert find_spans(Or((pa, pb)), title="", text=text).matched == (ma or mb)
    assert find_spans(And((pa, Not(pb))), title="", text=text).matched == (ma and not mb)
    near = find_spans(Near(pa, pb, 3), title="", text=text)
    assert not near.matched or (ma and mb)
    for span in near.spans:
        assert text[span.start : span.end].casefold() in (a, b)
