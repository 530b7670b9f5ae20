"""Compiling Clarion queries to a search backend's syntax (pure), whatever the backend.

Each store compiles a query to its own syntax (SQLite FTS5 ``MATCH`` strings in
``search._fts``, Elasticsearch query DSL in ``search._es_query``); the rules
that decide *what* to emit are the same for both and live here. A backend
supplies a ``QueryDialect``: how to write a phrase, an AND with exclusions, an
OR and a ``NEAR`` between two phrases. ``compile_node`` does the rest.

A node compiles to an expression every matching document satisfies, or to
``True`` (every document is a candidate) or ``False`` (no document matches),
with whether the documents it selects are *exactly* the matching ones. The
rules:

- a phrase on a field the index does not hold (``author``) is ``True``, not
  exact, and so is a phrase with no words the index can look for (the
  evaluator decides); a case-sensitive phrase matches its folded form (a
  superset);
- a metadata ``Value`` (``site:``, ``lang:``, ``country:``) is what the
  dialect's ``value`` says, or ``True``, not exact, when it cannot say it;
- an ``Except`` (a brand's exclusions) is its query, not exact: dropping hits
  inside exclusions can only narrow what matches;
- an AND is ``False`` as soon as one child is, or one excluded child is
  ``True`` exactly; an OR is ``True`` as soon as one child is;
- a ``NOT`` excludes only what is exact: excluding a superset would drop
  matches, so an inexact child of a ``NOT`` is dropped and the result is no
  longer exact;
- ``NEAR`` between ORs of phrases is an OR of one backend ``NEAR`` per pair
  (up to ``MAX_NEAR_PAIRS``), exact unless one word could be part of both
  sides (Clarion's NEAR needs two non-overlapping hits, the backends' accept
  one word for both) or a side is case-sensitive; ``NEAR`` over other
  expressions is the AND of its sides (a superset), or ``True`` when a side
  has a ``NOT``.

``False`` is only ever produced exactly. When the result is not exact the
store checks each candidate with ``enrichment.find_spans``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from enrichment._query_ast import And, Except, Near, Node, Not, Or, Phrase, Value
from enrichment._tokens import fold, words

__all__ = ["MAX_NEAR_PAIRS", "Compiled", "QueryDialect", "Words", "compile_node"]

# NEAR between two ORs of phrases is compiled as an OR of one NEAR per pair of
# phrases, up to this many pairs; beyond it the expression costs the backend
# more than narrowing by AND and checking each candidate with the evaluator.
MAX_NEAR_PAIRS = 64

E = TypeVar("E")


@dataclass(frozen=True, slots=True)
class Words:
    """A phrase as the index holds it: its folded words (never empty), the last a prefix or not."""

    tokens: list[str]
    prefix: bool


@dataclass(frozen=True, slots=True)
class QueryDialect(Generic[E]):
    """How one backend writes the parts of a query; ``E`` is its expression type.

    - ``fields``: the document fields the index holds (a phrase on another
      field matches nothing);
    - ``phrase(words, field)``: the phrase in ``field`` (``None``: any of
      ``fields``), and whether that is exact;
    - ``all(positive, negative)``: every one of ``positive`` (maybe none) and
      none of ``negative``, both not both empty; ``None`` when the backend
      cannot say it (the result is then every document, not exactly);
    - ``any(parts)``: at least one of ``parts`` (one or more);
    - ``near(left, right, field, distance, ordered)``: both phrases within
      ``distance`` (never negative) words of each other in ``field`` (``None``:
      any of ``fields``), and whether that is exact;
    - ``value(node)``: the exact expression of a metadata condition
      (``enrichment.Value``, semantics in ``enrichment._match``), or ``None``
      when the backend cannot say it inside its expressions.
    """

    fields: tuple[str, ...]
    phrase: Callable[[Words, str | None], tuple[E, bool]]
    all: Callable[[list[E], list[E]], E | None]
    any: Callable[[list[E]], E]
    near: Callable[[Words, Words, str | None, int, bool], tuple[E, bool]]
    value: Callable[[Value], E | None] = lambda _node: None


@dataclass(frozen=True, slots=True)
class Compiled(Generic[E]):
    """A compiled query: ``expr`` is ``None`` when the backend cannot narrow the
    candidates; ``never`` is ``True`` when no document can match."""

    expr: E | None
    exact: bool
    never: bool = False


def compile_node(node: Node, dialect: QueryDialect[E]) -> Compiled[E]:
    """Compile ``node`` with ``dialect`` (see the module docstring)."""
    expr, exact = _Compiler(dialect).compile(node)
    if expr is False:
        return Compiled(None, exact=True, never=True)
    if expr is True:
        return Compiled(None, exact=exact)
    return Compiled(expr, exact=exact)


class _Compiler(Generic[E]):
    # A compiled node is (expression | True | False, exact).

    def __init__(self, dialect: QueryDialect[E]) -> None:
        self._d = dialect

    def compile(self, node: Node) -> tuple[E | bool, bool]:
        if isinstance(node, Phrase):
            return self._phrase(node)
        if isinstance(node, Value):
            value = self._d.value(node)
            if value is None:
                return True, False
            return value, True
        if isinstance(node, Except):
            expr, _ = self.compile(node.query)
            return expr, expr is False
        if isinstance(node, And):
            return self._all(node.children)
        if isinstance(node, Or):
            return self._any(self.compile(child) for child in node.children)
        if isinstance(node, Not):
            # A NOT outside an AND: "every document except ...".
            return self._all((node,))
        return self._near(node)

    def _phrase(self, phrase: Phrase) -> tuple[E | bool, bool]:
        if phrase.field is not None and phrase.field not in self._d.fields:
            return True, False  # a field the index does not hold: the evaluator decides
        tokens = _tokens(phrase)
        if not tokens:
            return True, False  # nothing the index can look for: let the evaluator decide
        expr, exact = self._d.phrase(Words(tokens, phrase.prefix), phrase.field)
        return expr, exact and not phrase.case_sensitive

    def _all(self, children: Sequence[Node]) -> tuple[E | bool, bool]:
        exact = True
        positive: list[E] = []
        negative: list[E] = []
        for child in children:
            if isinstance(child, Not):
                inner, inner_exact = self.compile(child.child)
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
            expr, child_exact = self.compile(child)
            exact = exact and child_exact
            if expr is False:
                return False, True
            if expr is not True:
                positive.append(expr)
        if not positive and not negative:
            return True, exact
        combined = self._d.all(positive, negative)
        if combined is None:
            return True, False  # the backend cannot say it: every document is a candidate
        return combined, exact

    def _any(self, compiled: Iterable[tuple[E | bool, bool]]) -> tuple[E | bool, bool]:
        # Consumed lazily: once one part is every document, the rest need not compile.
        exact = True
        parts: list[E] = []
        for expr, part_exact in compiled:
            exact = exact and part_exact
            if expr is True:
                return True, part_exact
            if expr is not False:
                parts.append(expr)
        if not parts:
            return False, True
        return self._d.any(parts), exact

    def _near(self, node: Near) -> tuple[E | bool, bool]:
        lefts, rights = _alternatives(node.left), _alternatives(node.right)
        if lefts is None or rights is None or len(lefts) * len(rights) > MAX_NEAR_PAIRS:
            # NEAR over other expressions: both sides must match somewhere; the
            # evaluator checks the distance.
            if _has_not(node.left) or _has_not(node.right):
                return True, False
            expr, _ = self._all((node.left, node.right))
            return expr, expr is False
        # (a OR b) NEAR (c OR d) = NEAR(a c) OR NEAR(a d) OR NEAR(b c) OR NEAR(b d).
        return self._any(
            self._near_pair(left, right, node.distance, node.ordered)
            for left in lefts
            for right in rights
        )

    def _near_pair(
        self, left: Phrase, right: Phrase, distance: int, ordered: bool
    ) -> tuple[E | bool, bool]:
        named = {p.field for p in (left, right) if p.field is not None}
        if len(named) > 1:
            return False, True  # two different fields: never in one field
        if not named <= set(self._d.fields):
            return True, False  # a field the index does not hold: the evaluator decides
        lw, rw = Words(_tokens(left), left.prefix), Words(_tokens(right), right.prefix)
        if not lw.tokens or not rw.tokens:
            return True, False
        field = named.pop() if named else None
        expr, exact = self._d.near(lw, rw, field, max(distance, 0), ordered)
        exact = exact and not (left.case_sensitive or right.case_sensitive or _may_overlap(lw, rw))
        return expr, exact


def _tokens(phrase: Phrase) -> list[str]:
    return [fold(w) for w in words(" ".join(phrase.words))]


def _alternatives(node: Node) -> list[Phrase] | None:
    """The phrases ``node`` is an OR of (a phrase is an OR of itself), else ``None``."""
    if isinstance(node, Phrase):
        return [node]
    if isinstance(node, Or) and all(isinstance(c, Phrase) for c in node.children):
        return [c for c in node.children if isinstance(c, Phrase)]
    return None


def _may_overlap(left: Words, right: Words) -> bool:
    """Whether one word of the text could be part of a hit of both phrases.

    Clarion's NEAR needs two non-overlapping hits; the backends' NEAR accepts
    one word for both, so NEAR is only exact when no word can serve both sides.
    """
    for i, a in enumerate(left.tokens):
        a_prefix = left.prefix and i == len(left.tokens) - 1
        for j, b in enumerate(right.tokens):
            b_prefix = right.prefix and j == len(right.tokens) - 1
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
