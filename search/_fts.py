"""Clarion queries as SQLite FTS5 ``MATCH`` expressions (pure), and the text the index holds.

The FTS index does not hold a document's raw title and text but its *words*
as Clarion cuts them (``enrichment._tokens.folded_words``), folded (``fold``: case and
Latin accents) and joined by spaces; ``index_text`` builds that (it lives beside the
words, so the extraction workers can cut a page's index text without loading this
package). The FTS5 tokenizer is ``unicode61`` with ``categories 'L* N* Co M*'`` (so
that combining marks stay inside words, as in Clarion's rule) and no diacritic removal
(fold did it). FTS5 therefore sees exactly Clarion's words: ``Coca-Cola`` is two
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
child of a ``NOT`` is used to exclude documents only when it is exact. Those
rules are shared with Elasticsearch (``search._query_compile``); this module
says how FTS5 writes each part.

Metadata conditions (``site:``, ``lang:``, ``country:``) are not FTS: the
ones ANDed at the top of a query (``Acme AND lang:en``, ``site:(a.com OR
b.com) NOT country:us``) compile exactly to an SQL condition over the
``documents`` columns (``FtsQuery.sql``); one inside an OR with phrases
(``Acme OR site:acme.com``) makes the FTS expression inexact, and the
evaluator decides.

Every phrase is written as an FTS5 string (``"..."``, inner quotes doubled), so
no text in a query can reach FTS5 as syntax.
"""

from __future__ import annotations

from dataclasses import dataclass

from enrichment._query_ast import And, Node, Not, Or, Value
from enrichment._tokens import index_text
from search._query_compile import QueryDialect, Words, compile_node

__all__ = ["FTS_FIELDS", "FtsQuery", "compile_query", "index_text"]

# The document fields the FTS table has, as columns of that name. Queries on
# other fields (author, site, lang) never match a document's title or text.
FTS_FIELDS = ("title", "text")


@dataclass(frozen=True, slots=True)
class FtsQuery:
    """A compiled query.

    ``match`` is the FTS5 expression, or ``None`` when FTS cannot narrow the
    candidates (every document is one); ``never`` is ``True`` when no document
    can match; ``exact`` is ``True`` when the rows ``match`` selects are exactly
    the matching documents (otherwise check each with ``find_spans``).
    ``sql`` (with ``params``) is a condition over the ``documents`` table's
    columns that matching documents also satisfy (``None``: none).
    """

    match: str | None
    exact: bool
    never: bool = False
    sql: str | None = None
    params: tuple[str, ...] = ()


def compile_query(node: Node) -> FtsQuery:
    """Compile ``node`` (see the module docstring for what "exact" means)."""
    conjuncts = node.children if isinstance(node, And) else (node,)
    metadata = [c for c in conjuncts if _metadata_only(c)]
    rest = [c for c in conjuncts if not _metadata_only(c)]
    sql: str | None = None
    params: list[str] = []
    if metadata:
        sql = " AND ".join(_sql(c, params) for c in metadata)
    if not rest:
        return FtsQuery(None, exact=True, sql=sql, params=tuple(params))
    compiled = compile_node(rest[0] if len(rest) == 1 else And(tuple(rest)), _FTS5)
    return FtsQuery(
        compiled.expr, exact=compiled.exact, never=compiled.never, sql=sql, params=tuple(params)
    )


def _metadata_only(node: Node) -> bool:
    if isinstance(node, Value):
        return True
    if isinstance(node, Not):
        return _metadata_only(node.child)
    if isinstance(node, And | Or):
        return all(_metadata_only(c) for c in node.children)
    return False


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sql(node: Node, params: list[str]) -> str:
    """``node`` (metadata only) as SQL over ``documents``; never NULL (a missing
    value fails a condition, so NOT of it holds, as in the evaluator)."""
    if isinstance(node, Value):
        v = node.value
        if node.field == "site":
            params.extend((v, "%." + _like(v)))
            return "ifnull(lower(domain) = ? OR lower(domain) LIKE ? ESCAPE '\\', 0)"
        if node.field == "lang":
            params.extend((v, _like(v) + "-%"))
            return "ifnull(lower(language) = ? OR lower(language) LIKE ? ESCAPE '\\', 0)"
        params.append(v)
        return "ifnull(lower(country) = ?, 0)"
    if isinstance(node, Not):
        return f"NOT ({_sql(node.child, params)})"
    assert isinstance(node, And | Or), node  # _metadata_only holds
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(_sql(c, params) for c in node.children) + ")"


def _quote(phrase: Words) -> str:
    body = " ".join(phrase.tokens).replace('"', '""')
    return f'"{body}"' + ("*" if phrase.prefix else "")


def _in_field(expr: str, field: str | None) -> str:
    return f"{field} : {expr}" if field else expr


def _phrase(phrase: Words, field: str | None) -> tuple[str, bool]:
    return _in_field(_quote(phrase), field), True


def _all(positive: list[str], negative: list[str]) -> str | None:
    if not positive:
        return None  # FTS5's NOT needs a left side
    combined = _join("AND", positive)
    for n in negative:
        combined = f"({combined}) NOT ({n})"
    return combined


def _any(parts: list[str]) -> str:
    return _join("OR", parts)


def _join(operator: str, parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return f" {operator} ".join(f"({p})" for p in parts)


def _near(
    left: Words, right: Words, field: str | None, distance: int, ordered: bool
) -> tuple[str, bool]:
    # FTS5's NEAR is unordered: an ordered NEAR is a superset.
    return _in_field(f"NEAR({_quote(left)} {_quote(right)}, {distance})", field), not ordered


_FTS5: QueryDialect[str] = QueryDialect(
    fields=FTS_FIELDS, phrase=_phrase, all=_all, any=_any, near=_near
)
