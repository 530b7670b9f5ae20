"""The word rule (``enrichment._tokens``): its fast pattern against the rule as written."""

from __future__ import annotations

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from enrichment._tokens import _ACRONYM_S, _CJK, Tokens, fold, folded_words, words

# The rule as the module docstring states it, one lookahead per character: slower,
# and the reference the set-difference pattern must agree with everywhere.
_REFERENCE = regex.compile(rf"{_ACRONYM_S}|[{_CJK}]|(?:(?![{_CJK}])[\p{{L}}\p{{N}}\p{{M}}])+")

# Letters of several scripts, CJK, combining marks, digits, separators, and the
# capitals-then-s acronym case, so short texts hit every branch of the pattern.
_ALPHABET = st.sampled_from(
    [*"aZsSéß漢字ひらカタｱ0९\u0301\u0903\u093f한글İı-' ’_#&\n", "RILs", "CEOs ", "\U0001f600"]
)


# ASCII and non-ASCII separators only (curly quotes, dashes, a no-break space, an
# emoji, a currency sign): the texts cut by the standard-library pattern.
_SEPARATED = st.sampled_from(
    [*"aZsS09 -'_#&.\n\u2019\u201c\u201d\u2014\u00a0\u2026\u20ac", "RILs", "ABs", "\U0001f600"]
)


def _texts(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(alphabet, max_size=40).map("".join)


@settings(max_examples=4000, deadline=None)
@given(st.one_of(_texts(_ALPHABET), _texts(_SEPARATED)))
def test_words_follow_the_rule_as_written(text: str) -> None:
    expected = [(m.start(), m.end()) for m in _REFERENCE.finditer(text)]
    tokens = Tokens(text)
    assert list(zip(tokens.starts, tokens.ends, strict=True)) == expected
    assert words(text) == tuple(text[s:e] for s, e in expected)
    assert folded_words(text) == tuple(fold(text[s:e]) for s, e in expected)


def test_examples_from_the_docstring() -> None:
    assert words("Apple's (Coca-Cola) L&T #Apple RILs") == (
        "Apple", "s", "Coca", "Cola", "L", "T", "Apple", "RIL", "s",
    )  # fmt: skip
    assert words("日本語テキスト") == tuple("日本語テキスト")
    assert folded_words("Nestlé STRASSE Straße") == ("nestle", "strasse", "strasse")
    # Separators outside ASCII only: the standard-library pattern, same words.
    assert folded_words("“ABs” — CEOs’ U.S.\u00a0plan") == (
        "ab", "s", "ceo", "s", "u", "s", "plan",
    )  # fmt: skip
