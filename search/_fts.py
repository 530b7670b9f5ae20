"""Clarion queries as SQLite FTS5 ``MATCH`` expressions (pure), and the text the index holds.

The FTS index does not hold a document's raw title and text but its *words*
as Clarion cuts them (``enrichment._tokens.words``), folded (``fold``: case and
Latin accents) and joined by spaces; ``index_text`` builds that. The FTS5
tokenizer is ``unicode61`` with ``categories 'L* N* Co M*'`` (so that combining
marks stay inside words, as in Clarion's rule) and no diacritic removal (fold
did it). FTS5 therefore sees exactly Clarion's words: ``Coca-Cola`` is two
words, a Han character is one word, ``Straße`` is ``strasse``. Without that, FTS5's
own rules (Han runs as one token, marks as separators, ß kept) would miss
documents that Clarion's evaluator matches.

``compile_query`` turns a query into an ``FtsQuery``: a ``MATCH`` expression
that every matching document satisfies, and whether the rows it selects are
*exactly* the matching documents. Where FTS5 cannot say the same thing —
case-sensitive phrases, ordered ``NEAR``, ``NEAR`` over expressions other than
ORs of phrases or over phrases that could overlap, a ``NOT`` with nothing positive beside it — it
compiles to a superset and ``exact`` is ``False``: the store then checks each
candidate with ``enrichment.find_spans``. A superset is only ever widened: the
child of a ``NOT`` is used to exclude documents only when it is exact.

Every phrase is written as an FTS5 string (``"..."``, inner quotes doubled), so
no text in a query can reach FTS5 as syntax.
"""

from __future__ import annotations

from dataclasses import dataclass

from enrichment._query_ast import And, Near, Node, Not, Or, Phrase
from enrichment._tokens import fold, words

__all__ = ["FTS_FIELDS", "FtsQuery", "compile_query", "index_text"]

# The document fields the FTS table has, as columns of that name. Queries on
# other fields (author, site, lang) never match a document's title or text.
FTS_FIELDS = ("title", "text")
# NEAR between two ORs of phrases is compiled as an OR of one NEAR per pair of
# phrases, up to this many pairs; beyond it the expression costs FTS5 more than
# narrowing by AND and checking each candidate with the evaluator.
_MAX_NEAR_PAIRS = 64


@dataclass(frozen=True, slots=True)
class FtsQuery:
    """A compiled query.

    ``match`` is the FTS5 expression, or ``None`` when FTS cannot narrow the
    candidates (every document is one); ``never`` is ``True`` when no document
    can match; ``exact`` is ``True`` when the rows ``match`` selects are exactly
    the matching documents (otherwise check each with ``find_spans``).
    """

    match: str | None
    exact: bool
    never: bool = False


def index_text(text: str) -> str:
    """What the FTS index holds for ``text``: its folded words, joined by spaces."""
    return " ".join(fold(w) for w in words(text))


def compile_query(node: Node) -> FtsQuery:
    """Compile ``node`` (see the module docstring for what "exact" means)."""
    expr, exact = _compile(node)
    if expr is False:
        return FtsQuery(None, exact=True, never=True)
    if expr is True:
        return FtsQuery(None, exact=exact)
    return FtsQuery(expr, exact=exact)


# A compiled node: an FTS5 expression, True (every document) or False (none),
# and whether it is exact. False is only ever produced exactly.
_Expr = str | bool
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


def _quote(tokens: list[str], *, prefix: bool) -> str:
    body = " ".join(tokens).replace('"', '""')
    return f'"{body}"' + ("*" if prefix else "")


def _phrase(phrase: Phrase) -> _Compiled:
    if phrase.field is not None and phrase.field not in FTS_FIELDS:
        return False, True
    tokens = _tokens(phrase)
    if not tokens:
        return True, False  # nothing FTS can look for: let the evaluator decide
    quoted = _quote(tokens, prefix=phrase.prefix)
    expr = f"{phrase.field} : {quoted}" if phrase.field else quoted
    return expr, not phrase.case_sensitive


def _and(node: And) -> _Compiled:
    exact = True
    positive: list[str] = []
    negative: list[str] = []
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
    if not positive:
        # Only exclusions (or nothing FTS can narrow): FTS5's NOT needs a left side.
        return True, exact and not negative
    combined = _join("AND", positive)
    for n in negative:
        combined = f"({combined}) NOT ({n})"
    return combined, exact


def _or(node: Or) -> _Compiled:
    exact = True
    parts: list[str] = []
    for child in node.children:
        expr, child_exact = _compile(child)
        exact = exact and child_exact
        if expr is True:
            return True, child_exact
        if expr is not False:
            parts.append(expr)
    if not parts:
        return False, True
    return _join("OR", parts), exact


def _join(operator: str, parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return f" {operator} ".join(f"({p})" for p in parts)


def _not(node: Not) -> _Compiled:
    # A NOT outside an AND: "every document except ...", which FTS5 cannot say.
    inner, inner_exact = _compile(node.child)
    if inner is False:
        return True, True
    if inner is True and inner_exact:
        return False, True
    return True, False


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
    parts: list[str] = []
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
    return _join("OR", parts), exact


def _alternatives(node: Node) -> list[Phrase] | None:
    """The phrases ``node`` is an OR of (a phrase is an OR of itself), else ``None``."""
    if isinstance(node, Phrase):
        return [node]
    if isinstance(node, Or) and all(isinstance(c, Phrase) for c in node.children):
        return [c for c in node.children if isinstance(c, Phrase)]
    return None


def _near_pair(left: Phrase, right: Phrase, distance: int, ordered: bool) -> _Compiled:
    fields = {p.field for p in (left, right) if p.field is not None}
    if not fields <= set(FTS_FIELDS) or len(fields) > 1:
        return False, True  # a field FTS does not hold, or two different fields
    lt, rt = _tokens(left), _tokens(right)
    if not lt or not rt:
        return True, False
    group = (
        f"NEAR({_quote(lt, prefix=left.prefix)} {_quote(rt, prefix=right.prefix)}, "
        f"{max(distance, 0)})"
    )
    expr = f"{fields.pop()} : {group}" if fields else group
    exact = not (
        ordered
        or left.case_sensitive
        or right.case_sensitive
        or _may_overlap(lt, left.prefix, rt, right.prefix)
    )
    return expr, exact


def _may_overlap(lt: list[str], lprefix: bool, rt: list[str], rprefix: bool) -> bool:
    """Whether one word of the text could be part of a hit of both phrases.

    Clarion's NEAR needs two non-overlapping hits; FTS5's accepts one word for
    both, so NEAR is only exact when no word can serve both sides.
    """
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
