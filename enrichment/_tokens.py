"""Words: the one tokenization that the query parser and the matcher share.

A *word* is a maximal run of letters, digits and combining marks, in any
script. Everything else separates words: spaces, punctuation, apostrophes,
hyphens, underscores, symbols. So ``Apple's`` is ``Apple`` + ``s``,
and so is an acronym's ``s`` written without an apostrophe (``RILs`` is
``RIL`` + ``s``: capitals, at least two, then a final lowercase ``s``),
``Coca-Cola`` is ``Coca`` + ``Cola``, ``L&T`` is ``L`` + ``T`` and
``#Apple`` is ``Apple``. Han, Hiragana and Katakana characters, written
without spaces between words, are one word each (as Elasticsearch's standard
analyzer treats them), so a phrase in those scripts matches as a run of
characters.

Because queries are cut into words by the same rule, ``"Coca-Cola"``,
``"Coca Cola"`` and ``Coca-Cola`` are the same phrase, and a query word always
lands on word boundaries in the text: ``Apple`` matches ``Apple's`` and
``(Apple)`` but never ``Applebee's``.

Case-insensitive comparison uses ``fold``: Unicode case folding, then the
Latin combining accents removed (``Nestlé`` ~ ``nestle``, ``Straße`` ~
``STRASSE``). Only the U+0300–U+036F block is removed: the vowel signs of
Indic scripts are combining marks too, and removing them would merge
different words.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping

import regex

_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}"
# An acronym with a plural or possessive "s" written without an apostrophe
# ("RILs", "BHELs", "CEOs"): the capitals are a word and the "s" another, exactly
# as in "RIL's". Headlines stripped of apostrophes write possessives this way
# (SEntFiN: "ICICIs provisioning", "GAILs nine LNG ships").
_ACRONYM_S = r"\p{Lu}{2,}(?=s(?![\p{L}\p{N}\p{M}]))"
# A run of letters, digits and marks other than the CJK scripts, written as a set
# difference (regex's V1 syntax): twice as fast as a lookahead at every character.
_WORD = regex.compile(
    rf"{_ACRONYM_S}|[{_CJK}]|[[\p{{L}}\p{{N}}\p{{M}}]--[{_CJK}]]+", flags=regex.V1
)

# The same cut for a text whose characters outside ASCII are all separators (curly
# quotes, dashes, no-break spaces: most English news), where only ASCII letters and
# digits can be word characters; the standard library's engine runs it about three
# times as fast as ``_WORD`` (0.15 against 0.46 ms on an average demo article).
_ASCII_WORD = re.compile(r"[A-Z]{2,}(?=s(?![A-Za-z0-9]))|[A-Za-z0-9]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")

# Folded forms of distinct words seen recently; a document repeats most of its
# words and a corpus shares most of its vocabulary, so a bounded cache pays.
_FOLD_CACHE_SIZE = 1 << 16
# Texts whose folded words are remembered: a document is sketched when it is
# enriched and indexed when it is saved, a few batches of 16 later at most.
_FOLDED_TEXTS = 64


@functools.lru_cache(maxsize=_FOLD_CACHE_SIZE)
def fold(word: str) -> str:
    """The case- and accent-insensitive form of one word."""
    folded = word.casefold()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFD", folded)
    stripped = "".join(c for c in decomposed if not "\u0300" <= c <= "\u036f")
    return unicodedata.normalize("NFC", stripped)


def exact(word: str) -> str:
    """The form of a word compared case-sensitively (canonically composed)."""
    return word if word.isascii() else unicodedata.normalize("NFC", word)


def words(text: str) -> tuple[str, ...]:
    """The words of ``text``, as written."""
    return tuple(_WORD.findall(text))


@functools.lru_cache(maxsize=_FOLDED_TEXTS)
def folded_words(text: str) -> tuple[str, ...]:
    """The folded words of ``text``. Remembered for the last few texts: the full-text
    index and the syndication shingles of a document both read its text's words."""
    pattern = _pattern(text)
    return tuple(_folded(pattern, pattern.findall(text)))


def index_text(text: str) -> str:
    """What the full-text indexes hold for ``text`` (``search._fts``): its folded
    words, joined by spaces."""
    return " ".join(folded_words(text))


def _pattern(text: str) -> re.Pattern[str] | regex.Pattern[str]:
    """``_ASCII_WORD`` when it cuts ``text`` exactly as ``_WORD`` does (no letter, digit
    or mark outside ASCII), else ``_WORD``."""
    others = set(_NON_ASCII.findall(text))
    if any(unicodedata.category(c)[0] in "LNM" for c in others):
        return _WORD
    return _ASCII_WORD


def _folded(pattern: re.Pattern[str] | regex.Pattern[str], found: list[str]) -> list[str]:
    """``fold`` of each word that ``pattern`` found; words found by ``_ASCII_WORD``
    are ASCII, whose folded form is their lower case: one call for all of them."""
    if pattern is _ASCII_WORD and found:
        return " ".join(found).lower().split(" ")
    return [fold(w) for w in found]


class Tokens:
    """The words of one text with their character offsets, built once and reused.

    ``starts[i]:ends[i]`` is word ``i`` in ``text``; ``exact[i]`` and
    ``folded[i]`` are its case-sensitive and case-insensitive forms;
    ``positions`` maps each folded form to the indices where it occurs.
    """

    __slots__ = ("ends", "exact", "folded", "positions", "starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        pattern = _pattern(text)
        matches = list(pattern.finditer(text))
        found = [m.group() for m in matches]
        self.starts = [m.start() for m in matches]
        self.ends = [m.end() for m in matches]
        self.exact = [exact(w) for w in found]
        self.folded = _folded(pattern, found)
        positions: dict[str, list[int]] = {}
        for i, folded in enumerate(self.folded):
            positions.setdefault(folded, []).append(i)
        self.positions: Mapping[str, list[int]] = positions

    def __len__(self) -> int:
        return len(self.starts)
