"""Clarion queries as Elasticsearch query DSL (pure).

The indices hold, next to a document's raw title and text, its *words* as
Clarion cuts and folds them (``search._fts.index_text``, the text SQLite's FTS
index holds too) in ``title_words`` / ``text_words``, analysed by splitting on
whitespace only. A query phrase is cut and folded by the same rule, so
Elasticsearch compares exactly Clarion's words, and both backends agree on
what matches (``Coca-Cola`` is two words, ``Straße`` is ``strasse``, a Han
character is one word).

``compile_query`` turns a query into an ``EsQuery``: a filter every matching
document satisfies, and whether the documents it selects are *exactly* the
matching ones. The rules are those of ``search._fts``, shared in
``search._query_compile``; this module says how the query DSL writes each part:

- a phrase is ``match_phrase`` on the words field (exact); a one-word prefix
  is ``prefix`` (exact); a longer prefix phrase is its leading words as a
  phrase AND its last word as a prefix (a superset: ``match_phrase_prefix``
  expands only ``max_expansions`` terms, a subset, and ``span_multi`` fails on
  broad prefixes);
- ``NEAR`` between ORs of phrases is one ``span_near`` (``slop`` = distance,
  ``in_order`` = ordered) per pair of phrases and field; exact unless one
  word could be part of both sides (Lucene's unordered ``span_near`` accepts
  overlapping spans, Clarion's NEAR does not);
- case-sensitive phrases match their folded form (a superset);
- ``NEAR`` over other expressions is the AND of its sides (a superset);
- a ``NOT`` with nothing positive beside it is a ``bool`` with only
  ``must_not``, and excludes only what is exact;
- a metadata condition is exact, on the ``domain``, ``language`` and
  ``country`` keywords both indices hold: ``site:x`` is ``x`` or a
  ``*.x`` wildcard, ``lang:x`` is ``x`` or the prefix ``x-``, ``country:x`` a
  term, all case-insensitive.

When ``exact`` is ``False`` the store checks each candidate with
``enrichment.find_spans``. A superset is only ever widened: the child of a
``NOT`` is used to exclude documents only when it is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from enrichment._query_ast import Node, Value
from search._fts import FTS_FIELDS
from search._query_compile import QueryDialect, Words, compile_node

__all__ = ["WORD_FIELDS", "EsQuery", "compile_query"]

# The indexed words field of each document field a query can name.
WORD_FIELDS = {name: f"{name}_words" for name in FTS_FIELDS}

Dsl = dict[str, Any]


@dataclass(frozen=True, slots=True)
class EsQuery:
    """A compiled query.

    ``filter`` is a query DSL clause, or ``None`` when Elasticsearch cannot
    narrow the candidates (every document is one); ``never`` is ``True`` when
    no document can match; ``exact`` is ``True`` when the documents ``filter``
    selects are exactly the matching ones (otherwise check each with
    ``find_spans``).
    """

    filter: Dsl | None
    exact: bool
    never: bool = False


def compile_query(node: Node) -> EsQuery:
    """Compile ``node`` (see the module docstring for what "exact" means)."""
    compiled = compile_node(node, _QUERY_DSL)
    return EsQuery(compiled.expr, exact=compiled.exact, never=compiled.never)


def _fields(field: str | None) -> list[str]:
    return [field] if field is not None else list(FTS_FIELDS)


def _any(clauses: list[Dsl]) -> Dsl:
    if len(clauses) == 1:
        return clauses[0]
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def _all(positive: list[Dsl], negative: list[Dsl]) -> Dsl:
    if not positive:
        # Elasticsearch can say "everything but": a bool with only must_not.
        return {"bool": {"must_not": negative}}
    if len(positive) == 1 and not negative:
        return positive[0]
    body: Dsl = {"filter": positive}
    if negative:
        body["must_not"] = negative
    return {"bool": body}


def _phrase_in(field: str, phrase: Words) -> tuple[Dsl, bool]:
    words_field = WORD_FIELDS[field]
    tokens = phrase.tokens
    if not phrase.prefix:
        return {"match_phrase": {words_field: {"query": " ".join(tokens)}}}, True
    last = {"prefix": {words_field: {"value": tokens[-1]}}}
    if len(tokens) == 1:
        return last, True
    lead = {"match_phrase": {words_field: {"query": " ".join(tokens[:-1])}}}
    return {"bool": {"filter": [lead, last]}}, False


def _phrase(phrase: Words, field: str | None) -> tuple[Dsl, bool]:
    exact = True
    clauses = []
    for name in _fields(field):
        clause, clause_exact = _phrase_in(name, phrase)
        clauses.append(clause)
        exact = exact and clause_exact
    return _any(clauses), exact


def _span(field: str, phrase: Words) -> Dsl:
    words_field = WORD_FIELDS[field]
    clauses: list[Dsl] = [{"span_term": {words_field: t}} for t in phrase.tokens]
    if phrase.prefix:
        prefix = {"prefix": {words_field: {"value": phrase.tokens[-1]}}}
        clauses[-1] = {"span_multi": {"match": prefix}}
    if len(clauses) == 1:
        return clauses[0]
    return {"span_near": {"clauses": clauses, "slop": 0, "in_order": True}}


def _near(
    left: Words, right: Words, field: str | None, distance: int, ordered: bool
) -> tuple[Dsl, bool]:
    clauses: list[Dsl] = [
        {
            "span_near": {
                "clauses": [_span(name, left), _span(name, right)],
                "slop": distance,
                "in_order": ordered,
            }
        }
        for name in _fields(field)
    ]
    return _any(clauses), True


def _wildcard(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


def _value(node: Value) -> Dsl:
    v = node.value

    def term(field: str) -> Dsl:
        return {"term": {field: {"value": v, "case_insensitive": True}}}

    if node.field == "site":
        suffix = {"wildcard": {"domain": {"value": "*." + _wildcard(v), "case_insensitive": True}}}
        return _any([term("domain"), suffix])
    if node.field == "lang":
        regional = {"prefix": {"language": {"value": v + "-", "case_insensitive": True}}}
        return _any([term("language"), regional])
    return term("country")


_QUERY_DSL: QueryDialect[Dsl] = QueryDialect(
    fields=FTS_FIELDS, phrase=_phrase, all=_all, any=_any, near=_near, value=_value
)
