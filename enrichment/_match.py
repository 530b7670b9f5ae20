"""The query evaluator: does a document match a query, and where.

A document is tokenized once per field into a ``DocumentIndex``
(``enrichment._tokens.Tokens`` for the title, the text and the authors'
names, with the document's domain, language and country), and every brand's
query is evaluated against that index: phrases are looked up by their first
word and compared word by word, never by a regular expression per brand.

Semantics (those of ``enrichment._query_ast``, shared with the stores):

- A ``Phrase`` matches where its words occur consecutively in one field, at
  word boundaries, ignoring case and Latin accents unless ``case_sensitive``;
  with ``prefix`` its last word only has to start a word of the text. A phrase
  with no ``field`` looks in the title and the text; an ``author`` phrase in
  the authors' names, taken as one text in order (so a phrase may run from
  one name into the next, as in the stores).
- A ``Value`` compares metadata: ``site`` matches the document's domain (less
  ``www.``) or any domain under it; ``lang`` the language code or a regional
  form of it; ``country`` the country code; all case-insensitively. A
  document without that metadata never matches.
- ``Except`` drops every phrase hit of ``query`` lying inside a hit of
  ``exclusions`` (in the same field) before ``query`` is evaluated, so
  ``Apple`` in "apple pie" is not a hit, but an "Apple" elsewhere in the
  document still is.
- ``And`` / ``Or`` / ``Not`` are document-level: ``a NOT b`` matches a
  document that contains ``a`` and nowhere ``b``.
- ``Near`` matches two non-overlapping hits in the same field with at most
  ``distance`` words between them (``left`` first when ``ordered``), like
  Elasticsearch's ``span_near`` with ``slop = distance`` and SQLite FTS5's
  ``NEAR(a b, distance)``.

The spans of a ``MatchResult`` are the character ranges of the phrase hits
that make the document match, in the title and text (hits under a ``Not`` and
hits in the authors' names are never spans); overlapping spans in a field are
merged.
"""

from __future__ import annotations

import functools
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Literal

from enrichment._query_ast import And, Except, Near, Node, Not, Or, Phrase, Value
from enrichment._tokens import Tokens, exact, fold, words

__all__ = [
    "DocumentIndex",
    "MatchField",
    "MatchResult",
    "Span",
    "evaluate",
    "find_spans",
    "value_matches",
]

MatchField = Literal["title", "text"]
SPAN_FIELDS: tuple[MatchField, ...] = ("title", "text")
_Field = Literal["title", "text", "author"]
MATCH_FIELDS: tuple[_Field, ...] = ("title", "text", "author")

# Documents whose index ``find_spans`` keeps: matching many brands against one
# document in a row tokenizes it once. Strings cache their hash, so a hit costs
# an identity comparison.
_INDEX_CACHE_SIZE = 16
# Phrases whose compiled form is kept: every brand query and spokesperson name.
_PHRASE_CACHE_SIZE = 4096


@dataclass(frozen=True, slots=True)
class Span:
    """A phrase hit: ``field`` text ``[start:end]`` (character offsets)."""

    field: MatchField
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Whether a query matched, and the spans of its positive hits (title first)."""

    matched: bool
    spans: tuple[Span, ...] = ()


class DocumentIndex:
    """A document's title, text and authors, tokenized once for any number of
    queries, with the metadata ``Value`` conditions compare (normalized:
    lower case, ``www.`` and a trailing dot removed from the domain)."""

    __slots__ = ("author", "country", "domain", "language", "text", "title")

    def __init__(
        self,
        *,
        title: str,
        text: str,
        authors: tuple[str, ...] = (),
        domain: str = "",
        language: str | None = None,
        country: str | None = None,
    ) -> None:
        self.title = Tokens(title)
        self.text = Tokens(text)
        self.author = Tokens("\n".join(authors))
        self.domain = domain.strip().lower().rstrip(".").removeprefix("www.")
        self.language = (language or "").strip().lower().replace("_", "-")
        self.country = (country or "").strip().lower()

    def field(self, name: _Field) -> Tokens:
        if name == "title":
            return self.title
        return self.text if name == "text" else self.author


@functools.lru_cache(maxsize=_INDEX_CACHE_SIZE)
def _cached_index(
    title: str,
    text: str,
    authors: tuple[str, ...],
    domain: str,
    language: str | None,
    country: str | None,
) -> DocumentIndex:
    return DocumentIndex(
        title=title, text=text, authors=authors, domain=domain, language=language, country=country
    )


def find_spans(
    node: Node,
    *,
    title: str,
    text: str,
    authors: tuple[str, ...] = (),
    domain: str = "",
    language: str | None = None,
    country: str | None = None,
) -> MatchResult:
    """Match ``node`` against a document's ``title``, ``text`` and metadata."""
    return evaluate(node, _cached_index(title, text, tuple(authors), domain, language, country))


def evaluate(node: Node, index: DocumentIndex) -> MatchResult:
    """Match ``node`` against an already tokenized document."""
    matched, hits = _eval(node, index, {})
    if not matched:
        return MatchResult(False)
    return MatchResult(True, _merge(index, hits))


def value_matches(node: Value, index: DocumentIndex) -> bool:
    """Whether the document's metadata satisfies ``node`` (see the module docstring)."""
    want = node.value
    if node.field == "site":
        return bool(index.domain) and (index.domain == want or index.domain.endswith("." + want))
    if node.field == "lang":
        return bool(index.language) and (
            index.language == want or index.language.startswith(want + "-")
        )
    if node.field == "country":
        return bool(index.country) and index.country == want
    raise ValueError(f"unknown metadata field {node.field!r}")


# A hit is a range of word indices [start, end) in one field, with the word
# ranges of the phrase hits it is made of (one for a phrase, more for NEAR).
_Range = tuple[int, int]


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    parts: tuple[_Range, ...]


_Hits = dict[_Field, list[_Hit]]
# Word ranges per field inside which a phrase hit does not count (``Except``).
_Mask = dict[_Field, list[_Range]]


def _eval(node: Node, index: DocumentIndex, mask: _Mask) -> tuple[bool, _Hits]:
    if isinstance(node, Phrase | Near):
        hits = _positions(node, index, mask)
        return any(hits.values()), hits
    if isinstance(node, Value):
        return value_matches(node, index), {}
    if isinstance(node, Except):
        excluded = _positions(node.exclusions, index, {})
        inner: _Mask = {k: list(v) for k, v in mask.items()}
        for name, found_hits in excluded.items():
            inner.setdefault(name, []).extend((h.start, h.end) for h in found_hits)
        return _eval(node.query, index, inner)
    if isinstance(node, Not):
        matched, _ = _eval(node.child, index, mask)
        return not matched, {}
    if isinstance(node, And):
        found: _Hits = {}
        for child in sorted(node.children, key=_cost):
            matched, hits = _eval(child, index, mask)
            if not matched:
                return False, {}
            _extend(found, hits)
        return True, found
    found = {}
    any_matched = False
    for child in node.children:
        matched, hits = _eval(child, index, mask)
        if matched:
            any_matched = True
            _extend(found, hits)
    return any_matched, found


def _cost(node: Node) -> int:
    """Evaluation order inside an AND: exclusions and plain phrases before NEARs."""
    return 0 if isinstance(node, Phrase | Not | Value) else 1


def _extend(into: _Hits, hits: _Hits) -> None:
    for name, found in hits.items():
        into.setdefault(name, []).extend(found)


def _positions(node: Node, index: DocumentIndex, mask: _Mask) -> _Hits:
    if isinstance(node, Phrase):
        hits: _Hits = {}
        for name in MATCH_FIELDS:
            if node.field is None and name == "author":
                continue  # an unscoped phrase looks in the title and the text
            if node.field in (None, name) and (
                found := _unmasked(_phrase_hits(node, index.field(name)), mask.get(name))
            ):
                hits[name] = found
        return hits
    if isinstance(node, Or):
        hits = {}
        for child in node.children:
            _extend(hits, _positions(child, index, mask))
        return hits
    if isinstance(node, Near):
        left, right = _positions(node.left, index, mask), _positions(node.right, index, mask)
        return {
            name: found
            for name in MATCH_FIELDS
            if name in left
            and name in right
            and (found := _near(left[name], right[name], node.distance, node.ordered))
        }
    raise ValueError(f"NEAR operands are phrases, NEARs or ORs of those, not {type(node).__name__}")


def _unmasked(hits: list[_Hit], mask: list[_Range] | None) -> list[_Hit]:
    """The hits not inside one of the ``mask`` ranges."""
    if not mask:
        return hits
    return [h for h in hits if not any(s <= h.start and h.end <= e for s, e in mask)]


@dataclass(frozen=True, slots=True)
class _Compiled:
    words: tuple[str, ...]  # exact or folded forms, as the phrase compares
    case_sensitive: bool
    prefix: bool


@functools.lru_cache(maxsize=_PHRASE_CACHE_SIZE)
def _compile(phrase: Phrase) -> _Compiled:
    # Re-cut the words, so that a hand-built Phrase(("Coca-Cola",)) behaves
    # like the parsed one.
    cut = [w for word in phrase.words for w in words(word)]
    form = exact if phrase.case_sensitive else fold
    return _Compiled(tuple(form(w) for w in cut), phrase.case_sensitive, phrase.prefix)


def _phrase_hits(phrase: Phrase, tokens: Tokens) -> list[_Hit]:
    compiled = _compile(phrase)
    want = compiled.words
    n = len(want)
    if not n or n > len(tokens):
        return []
    seq = tokens.exact if compiled.case_sensitive else tokens.folded
    first = fold(want[0])
    if n == 1 and compiled.prefix:
        candidates = sorted(
            i for key, found in tokens.positions.items() if key.startswith(first) for i in found
        )
    else:
        candidates = list(tokens.positions.get(first, ()))
    hits = []
    last = n - 1
    for i in candidates:
        if i + n > len(seq):
            break
        if all(
            seq[i + k].startswith(want[k])
            if k == last and compiled.prefix
            else seq[i + k] == want[k]
            for k in range(n)
        ):
            hits.append(_Hit(i, i + n, ((i, i + n),)))
    return hits


def _near(left: list[_Hit], right: list[_Hit], distance: int, ordered: bool) -> list[_Hit]:
    """Pairs with at most ``distance`` words between them (``left`` first if ``ordered``)."""
    found: dict[tuple[int, int, tuple[_Range, ...]], None] = {}
    by_start = sorted(right, key=lambda h: h.start)
    starts = [h.start for h in by_start]
    by_end = sorted(right, key=lambda h: h.end)
    ends = [h.end for h in by_end]
    for a in left:
        # b after a: a.end <= b.start <= a.end + distance
        for b in by_start[bisect_left(starts, a.end) : bisect_right(starts, a.end + distance)]:
            found[(a.start, b.end, a.parts + b.parts)] = None
        if not ordered:
            # b before a: a.start - distance <= b.end <= a.start
            for b in by_end[bisect_left(ends, a.start - distance) : bisect_right(ends, a.start)]:
                found[(b.start, a.end, b.parts + a.parts)] = None
    return [_Hit(start, end, parts) for start, end, parts in found]


def _merge(index: DocumentIndex, hits: _Hits) -> tuple[Span, ...]:
    spans: list[Span] = []
    for name in SPAN_FIELDS:
        tokens = index.field(name)
        ranges = sorted({part for hit in hits.get(name, ()) for part in hit.parts})
        merged: list[list[int]] = []
        for start, end in ranges:
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        spans.extend(Span(name, tokens.starts[s], tokens.ends[e - 1]) for s, e in merged)
    return tuple(spans)
