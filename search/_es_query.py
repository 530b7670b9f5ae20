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
matching ones. The cases are those of ``search._fts``:

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
- a ``NOT`` with nothing positive beside it excludes only what is exact.

When ``exact`` is ``False`` the store checks each candidate with
``enrichment.find_spans``. A superset is only ever widened: the child of a
``NOT`` is used to exclude documents only when it is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from enrichment._query_ast import And, Near, Node, Not, Or, Phrase
from enrichment._tokens import fold, words
from search._fts import FTS_FIELDS

__all__ = ["WORD_FIELDS", "EsQuery", "compile_query"]

# The indexed words field of each document field a query can name.
WORD_FIELDS = {name: f"{name}_words" for name in FTS_FIELDS}
# NEAR between two ORs of phrases becomes one span_near per pair, up to this
# many pairs (the same bound as SQLite's); beyond it the AND of both sides
# narrows the candidates and the evaluator checks the distance.
_MAX_NEAR_PAIRS = 64

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
    expr, exact = _compile(node)
    if expr is False:
        return EsQuery(None, exact=True, never=True)
    if expr is True:
        return EsQuery(None, exact=exact)
    return EsQuery(expr, exact=exact)


# A compiled node: a DSL clause, True (every document) or False (none), and
# whether it is exact. False is only ever produced exactly.
_Expr = Dsl | bool
_Compiled = tuple[_Expr, bool]


def _compile(node: Node) -> _Compiled:
    if isinstance(node, Phrase):
        return _phrase(node)
    if isinstance(node, And):
        return _and(node)
    if isinstance(node, Or):
        return _or(node)
    if isinstance(node, Not):
        return _not(node)
    return _near(node)


def _tokens(phrase: Phrase) -> list[str]:
    return [fold(w) for w in words(" ".join(phrase.words))]


def _fields(phrase: Phrase) -> list[str]:
    return [phrase.field] if phrase.field is not None else list(FTS_FIELDS)


def _any(clauses: list[Dsl]) -> Dsl:
    if len(clauses) == 1:
        return clauses[0]
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def _all(clauses: list[Dsl], *, exclude: list[Dsl] | None = None) -> Dsl:
    if len(clauses) == 1 and not exclude:
        return clauses[0]
    body: Dsl = {"filter": clauses}
    if exclude:
        body["must_not"] = exclude
    return {"bool": body}


def _phrase_in(field: str, tokens: list[str], *, prefix: bool) -> tuple[Dsl, bool]:
    words_field = WORD_FIELDS[field]
    if not prefix:
        return {"match_phrase": {words_field: {"query": " ".join(tokens)}}}, True
    last = {"prefix": {words_field: {"value": tokens[-1]}}}
    if len(tokens) == 1:
        return last, True
    lead = {"match_phrase": {words_field: {"query": " ".join(tokens[:-1])}}}
    return {"bool": {"filter": [lead, last]}}, False


def _phrase(phrase: Phrase) -> _Compiled:
    if phrase.field is not None and phrase.field not in FTS_FIELDS:
        return False, True
    tokens = _tokens(phrase)
    if not tokens:
        return True, False  # nothing the index can look for: let the evaluator decide
    exact = not phrase.case_sensitive
    clauses = []
    for field in _fields(phrase):
        clause, clause_exact = _phrase_in(field, tokens, prefix=phrase.prefix)
        clauses.append(clause)
        exact = exact and clause_exact
    return _any(clauses), exact


def _and(node: And) -> _Compiled:
    exact = True
    positive: list[Dsl] = []
    negative: list[Dsl] = []
    for child in node.children:
        if isinstance(child, Not):
            inner, inner_exact = _compile(child.child)
            if inner is False:
                continue  # excludes nothing
            if inner is True:
                if inner_exact:
                    return False, True  # excludes everything
                exact = False
                continue
            if not inner_exact:
                exact = False  # excluding a superset would drop matches
                continue
            negative.append(inner)
            continue
        expr, child_exact = _compile(child)
        exact = exact and child_exact
        if expr is False:
            return False, True
        if expr is not True:
            positive.append(expr)
    if not positive and not negative:
        return True, exact
    if not positive:
        # Elasticsearch can say "everything but": a bool with only must_not.
        return {"bool": {"must_not": negative}}, exact
    return _all(positive, exclude=negative), exact


def _or(node: Or) -> _Compiled:
    exact = True
    parts: list[Dsl] = []
    for child in node.children:
        expr, child_exact = _compile(child)
        exact = exact and child_exact
        if expr is True:
            return True, child_exact
        if expr is not False:
            parts.append(expr)
    if not parts:
        return False, True
    return _any(parts), exact


def _not(node: Not) -> _Compiled:
    # A NOT outside an AND: "every document except ...".
    inner, inner_exact = _compile(node.child)
    if inner is False:
        return True, True
    if inner is True:
        return (False, True) if inner_exact else (True, False)
    if not inner_exact:
        return True, False
    return {"bool": {"must_not": [inner]}}, True


def _near(node: Near) -> _Compiled:
    lefts, rights = _alternatives(node.left), _alternatives(node.right)
    if lefts is None or rights is None or len(lefts) * len(rights) > _MAX_NEAR_PAIRS:
        # NEAR over other expressions: both sides must match somewhere; the
        # evaluator checks the distance.
        if _has_not(node.left) or _has_not(node.right):
            return True, False
        expr, _ = _and(And((node.left, node.right)))
        return expr, expr is False
    # (a OR b) NEAR (c OR d) = NEAR(a c) OR NEAR(a d) OR NEAR(b c) OR NEAR(b d).
    exact = True
    parts: list[Dsl] = []
    for left in lefts:
        for right in rights:
            expr, pair_exact = _near_pair(left, right, node.distance, node.ordered)
            exact = exact and pair_exact
            if expr is True:
                return True, False
            if expr is not False:
                parts.append(expr)
    if not parts:
        return False, True
    return _any(parts), exact


def _alternatives(node: Node) -> list[Phrase] | None:
    """The phrases ``node`` is an OR of (a phrase is an OR of itself), else ``None``."""
    if isinstance(node, Phrase):
        return [node]
    if isinstance(node, Or) and all(isinstance(c, Phrase) for c in node.children):
        return [c for c in node.children if isinstance(c, Phrase)]
    return None


def _span(field: str, tokens: list[str], *, prefix: bool) -> Dsl:
    words_field = WORD_FIELDS[field]
    clauses: list[Dsl] = [{"span_term": {words_field: t}} for t in tokens]
    if prefix:
        clauses[-1] = {"span_multi": {"match": {"prefix": {words_field: {"value": tokens[-1]}}}}}
    if len(clauses) == 1:
        return clauses[0]
    return {"span_near": {"clauses": clauses, "slop": 0, "in_order": True}}


def _near_pair(left: Phrase, right: Phrase, distance: int, ordered: bool) -> _Compiled:
    named = {p.field for p in (left, right) if p.field is not None}
    if not named <= set(FTS_FIELDS) or len(named) > 1:
        return False, True  # a field the index does not hold, or two different fields
    lt, rt = _tokens(left), _tokens(right)
    if not lt or not rt:
        return True, False
    fields = sorted(named) if named else list(FTS_FIELDS)
    clauses = [
        {
            "span_near": {
                "clauses": [
                    _span(field, lt, prefix=left.prefix),
                    _span(field, rt, prefix=right.prefix),
                ],
                "slop": max(distance, 0),
                "in_order": ordered,
            }
        }
        for field in fields
    ]
    exact = not (
        left.case_sensitive
        or right.case_sensitive
        or _may_overlap(lt, left.prefix, rt, right.prefix)
    )
    return _any(clauses), exact


def _may_overlap(lt: list[str], lprefix: bool, rt: list[str], rprefix: bool) -> bool:
    """Whether one word of the text could be part of a hit of both phrases."""
    for i, a in enumerate(lt):
        a_prefix = lprefix and i == len(lt) - 1
        for j, b in enumerate(rt):
            b_prefix = rprefix and j == len(rt) - 1
            if a == b or (a_prefix and b.startswith(a)) or (b_prefix and a.startswith(b)):
                return True
            if a_prefix and b_prefix:
                return True  # two prefixes can always share a long enough word
    return False


def _has_not(node: Node) -> bool:
    if isinstance(node, Not):
        return True
    if isinstance(node, And | Or):
        return any(_has_not(c) for c in node.children)
    if isinstance(node, Near):
        return _has_not(node.left) or _has_not(node.right)
    return False
