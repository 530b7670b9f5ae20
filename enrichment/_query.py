"""Clarion's brand query language: parse text into a ``Node``, format it back.

The language is the boolean syntax of Brandwatch and Talkwalker queries::

    Apple OR "Apple Inc" NOT "apple pie"
    (Tesla OR {TSLA}) NEAR/5 (recall* OR lawsuit)
    title:Acme -"Acme Hardware"

Grammar (``NEAR`` binds tightest, then ``NOT``, then ``AND``, then ``OR``)::

    query     := or_expr END
    or_expr   := and_expr ("OR" and_expr)*
    and_expr  := not_expr (["AND"] not_expr)*       adjacent terms are ANDed
    not_expr  := ("NOT" | "-") near_expr | near_expr
    near_expr := primary (("NEAR/n" | "ONEAR/n") primary)*
    primary   := [field ":"] ( "(" or_expr ")" | term )
    term      := word ["*"] | '"' words ['*'] '"' | "{" words ["*"] "}"
    field     := title | text | author | site | lang | country

- ``word``: any run of characters other than spaces, quotes, braces and
  parentheses; it is cut into words at punctuation, so ``Coca-Cola`` is the
  phrase ``"Coca Cola"`` (see ``enrichment._tokens``). Matching ignores case
  and Latin accents.
- ``"exact phrase"``: its words in order, adjacent. Curly quotes work too.
- ``{Apple}`` / ``{Apple Music}``: case-sensitive, as in Brandwatch: matches
  ``Apple`` but not ``apple`` or ``APPLE``.
- ``launch*`` / ``"product launch*"``: the last word is a prefix (at least
  two characters before ``*``); ``*`` anywhere else is an error.
- ``AND``, ``OR``, ``NOT``, ``NEAR``, ``ONEAR`` are operators only in capitals;
  lowercase ``and`` / ``or`` / ``not`` are words. Quote an operator to search
  for it: ``"NEAR"``.
- ``NOT x`` / ``-x`` excludes documents containing ``x``: ``a NOT b`` means
  ``a AND NOT b``. A ``-`` counts as NOT only at the start of a term
  (``Coca-Cola`` is a phrase). ``NOT`` must stand in an AND beside a term
  that is not excluded: a pure-NOT query, ``a OR NOT b`` and ``NOT NOT a``
  are errors.
- ``a NEAR/n b``: ``a`` and ``b`` in the same field with at most ``n`` words
  between them (1 ≤ n ≤ 100), in either order; ``ONEAR/n`` (or Brandwatch's
  ``NEAR/nf``) wants ``a`` first. Each side is a term, a NEAR, or a
  parenthesized OR of those.
- ``title:x`` / ``text:x`` / ``author:x`` limit ``x`` to the title, the
  body or the authors' names (the default is title or body);
  ``title:(a OR b)`` applies the field to every term inside.
- ``site:bbc.co.uk`` (the outlet's domain or a subdomain of it: also
  ``news.bbc.co.uk``), ``lang:en`` (also ``en-gb``) and ``country:gb`` are
  conditions on the document's metadata (``Value``), compared
  case-insensitively; ``site:(a.com OR b.com)`` works, a metadata field
  beside ``NEAR`` does not.

Every error is a ``QuerySyntaxError`` (a ``ValueError``) whose ``position``
is the 0-based offset of the problem and whose message says what was
expected there.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from enrichment._query_ast import And, Except, Near, Node, Not, Or, Phrase, Value
from enrichment._query_lex import (
    FIELDS,
    KEYWORDS,
    MAX_NEAR,
    MIN_PREFIX,
    VALUE_FIELDS,
    QuerySyntaxError,
    Tok,
    lex,
    syntax_error,
)
from enrichment._tokens import words
from enrichment._types import Brand

__all__ = [
    "FIELDS",
    "MAX_NEAR",
    "MIN_PREFIX",
    "QuerySyntaxError",
    "brand_query",
    "format_query",
    "parse_exclusion",
    "parse_query",
]

MAX_DEPTH = 32
"""Deepest nesting of parentheses and operators: hand-written queries stay far
below it, and it keeps a hostile query from exhausting the parser's stack."""

_TERM_START = frozenset({"TERM", "FIELD", "(", "NOT"})

# What a metadata value may be: a domain (letters of any script, digits,
# hyphens, dots between labels), a BCP 47-ish language tag, an ISO 3166 code.
_VALUE_PATTERNS = {
    "site": (
        re.compile(r"[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)*"),
        "a domain, as in site:bbc.co.uk",
    ),
    "lang": (
        re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})*"),
        "a language code, as in lang:en or lang:pt-br",
    ),
    "country": (re.compile(r"[a-z]{2}"), "a two-letter country code, as in country:gb"),
}
_TERM = "a word, a \"phrase\" or '('"


@dataclass(frozen=True, slots=True)
class _At:
    node: Node
    pos: int


def parse_query(text: str) -> Node:
    """Parse a query (grammar in the module docstring); raise ``QuerySyntaxError``."""
    return _Parser(text).parse()


def brand_query(brand: Brand) -> Node:
    """The query a brand is matched with: its own, or its name and aliases as phrases.

    ``aliases`` only count when the brand has no ``query`` (a query is the
    whole definition, as in Brandwatch). ``exclusions`` (each a phrase, or a
    query that is a phrase, a NEAR or an OR of those) wrap the query in an
    ``Except``: a hit inside a hit of an exclusion does not count.
    """
    base = _base_query(brand)
    if not brand.exclusions:
        return base
    found: list[Node] = []
    for text in brand.exclusions:
        node = parse_exclusion(text)
        found.extend(node.children if isinstance(node, Or) else (node,))
    return Except(base, found[0] if len(found) == 1 else Or(tuple(found)))


def parse_exclusion(text: str) -> Node:
    """One exclusion of a brand: ``apple pie`` (plain words are a phrase) or a
    query that is a phrase, a NEAR or an OR of those; raise ``QuerySyntaxError``."""
    node = parse_query(text)
    if (
        isinstance(node, And)
        and "AND" not in text.split()
        and all(isinstance(c, Phrase) and c == Phrase(c.words) for c in node.children)
    ):
        return Phrase(words(text))  # adjacent plain words: the phrase the user meant
    if not _positional(node) or _has_value(node):
        raise syntax_error(
            0,
            f"exclusion {text!r} is not a phrase",
            'a phrase ("apple pie"), a NEAR, or an OR of those',
        )
    return node


def _has_value(node: Node) -> bool:
    if isinstance(node, Value):
        return True
    if isinstance(node, Or):
        return any(_has_value(c) for c in node.children)
    if isinstance(node, Near):
        return _has_value(node.left) or _has_value(node.right)
    return False


def _base_query(brand: Brand) -> Node:
    if brand.query.strip():
        return parse_query(brand.query)
    phrases: dict[tuple[str, ...], Phrase] = {}
    for name in (brand.name, *brand.aliases):
        found = words(name)
        if found:
            phrases.setdefault(tuple(w.casefold() for w in found), Phrase(found))
    if not phrases:
        raise QuerySyntaxError(
            "no query, and no word in the brand's name or aliases at position 0: "
            "expected a query or a name with letters or digits",
            position=0,
            brand_id=brand.id,
        )
    found_phrases = tuple(phrases.values())
    return found_phrases[0] if len(found_phrases) == 1 else Or(found_phrases)


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = lex(text)
        self.i = 0
        self.depth = 0
        self.value_field: str | None = None  # inside site:, lang: or country:

    def peek(self) -> Tok:
        return self.toks[self.i]

    def take(self) -> Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if self.peek().kind == "END":
            raise syntax_error(0, "an empty query", _TERM)
        top = self.or_expr()
        tok = self.peek()
        if tok.kind == ")":
            raise syntax_error(tok.pos, "an unmatched ')'", "a term or the end of the query")
        assert tok.kind == "END", tok  # or_expr stops only at ")" or END
        if isinstance(top.node, Not):
            raise _only_not(top.pos)
        return top.node

    def or_expr(self) -> _At:
        parts = [self.and_expr()]
        while self.peek().kind == "OR":
            self.take()
            parts.append(self.and_expr())
        if len(parts) == 1:
            return parts[0]
        for part in parts:
            if isinstance(part.node, Not):
                raise syntax_error(
                    part.pos,
                    "NOT inside OR",
                    "NOT beside a term to search for, as in 'a AND NOT b'",
                )
        children = [
            c for p in parts for c in (p.node.children if isinstance(p.node, Or) else (p.node,))
        ]
        return _At(Or(tuple(children)), parts[0].pos)

    def and_expr(self) -> _At:
        parts = [self.not_expr()]
        while True:
            kind = self.peek().kind
            if kind == "AND":
                self.take()
            elif kind not in _TERM_START:
                break
            parts.append(self.not_expr())
        if len(parts) == 1:
            return parts[0]
        if all(isinstance(p.node, Not) for p in parts):
            raise _only_not(parts[0].pos)
        children = [
            c for p in parts for c in (p.node.children if isinstance(p.node, And) else (p.node,))
        ]
        return _At(And(tuple(children)), parts[0].pos)

    def not_expr(self) -> _At:
        if self.peek().kind != "NOT":
            return self.near_expr()
        tok = self.take()
        child = self.near_expr()
        if isinstance(child.node, Not):
            raise syntax_error(child.pos, "NOT after NOT", "a term to exclude")
        return _At(Not(child.node), tok.pos)

    def near_expr(self) -> _At:
        left = self.primary()
        while self.peek().kind == "NEAR":
            op = self.take()
            right = self.primary()
            for side in (left, right):
                if not _positional(side.node):
                    raise syntax_error(
                        side.pos,
                        f"a boolean expression beside {op.text}",
                        "a term, a NEAR, or a parenthesized OR of those",
                    )
            left = _At(Near(left.node, right.node, op.distance, op.ordered), left.pos)
        return left

    def primary(self) -> _At:
        tok = self.peek()
        if tok.kind == "TERM":
            self.take()
            assert tok.phrase is not None
            if self.value_field is not None:
                return _At(_value(self.value_field, tok), tok.pos)
            return _At(tok.phrase, tok.pos)
        if tok.kind == "(":
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise syntax_error(
                    tok.pos, "a query nested too deeply", f"at most {MAX_DEPTH} levels"
                )
            inner = self.or_expr()
            if self.peek().kind != ")":
                raise syntax_error(tok.pos, "an unclosed '('", "a ')' before the end of the query")
            self.take()
            self.depth -= 1
            # errors about a NOT point at the NOT, others at the group
            return inner if isinstance(inner.node, Not) else _At(inner.node, tok.pos)
        if tok.kind == "FIELD":
            self.take()
            field = tok.text.rstrip(":")
            if self.value_field is not None:
                raise syntax_error(
                    tok.pos, f"{tok.text!r} inside {self.value_field + ':'!r}", "a value"
                )
            if field in VALUE_FIELDS:
                self.value_field = field
                try:
                    inner = self.primary()
                finally:
                    self.value_field = None
                return _At(inner.node, tok.pos)
            inner = self.primary()
            try:
                return _At(_with_field(inner.node, field), tok.pos)
            except ValueError as exc:
                raise syntax_error(tok.pos, str(exc), f"a single field inside {tok.text}") from None
        previous = self.toks[self.i - 1] if self.i else None
        after = f" after {previous.text!r}" if previous is not None else ""
        raise syntax_error(tok.pos, f"unexpected {tok.describe()}", _TERM + after)


def _only_not(pos: int) -> QuerySyntaxError:
    return syntax_error(pos, "only excluded terms", "a term to search for besides NOT ones")


def _positional(node: Node) -> bool:
    if isinstance(node, Phrase | Near):
        return True
    return isinstance(node, Or) and all(_positional(c) for c in node.children)


def _value(field: str, tok: Tok) -> Value:
    raw = tok.text
    if raw[:1] in '{"“„”':
        raw = raw[1:-1]
    value = raw.strip().lower()
    if field == "site":
        value = value.rstrip(".").removeprefix("www.")
    pattern, expected = _VALUE_PATTERNS[field]
    if not pattern.fullmatch(value):
        raise syntax_error(tok.pos, f"{field}:{tok.text}", expected)
    return Value(field, value)


def _with_field(node: Node, field: str) -> Node:
    if isinstance(node, Value):
        raise ValueError(f"field {node.field + ':'!r} inside {field + ':'!r}")
    if isinstance(node, Except):
        return Except(_with_field(node.query, field), node.exclusions)
    if isinstance(node, Phrase):
        if node.field not in (None, field):
            raise ValueError(f"field {node.field + ':'!r} inside {field + ':'!r}")
        return dataclasses.replace(node, field=field)
    if isinstance(node, And):
        return And(tuple(_with_field(c, field) for c in node.children))
    if isinstance(node, Or):
        return Or(tuple(_with_field(c, field) for c in node.children))
    if isinstance(node, Not):
        return Not(_with_field(node.child, field))
    return Near(
        _with_field(node.left, field), _with_field(node.right, field), node.distance, node.ordered
    )


def format_query(node: Node) -> str:
    """The canonical text of a query: ``parse_query(format_query(n)) == n`` for
    any ``n`` that ``parse_query`` can return."""
    if isinstance(node, Phrase):
        return _format_phrase(node)
    if isinstance(node, Value):
        return f"{node.field}:{node.value}"
    if isinstance(node, Except):
        # Not query syntax: an Except comes from a brand's exclusions, not from text.
        return f"{_group(node.query, Or)} EXCEPT IN ({format_query(node.exclusions)})"
    if isinstance(node, Or):
        return " OR ".join(_group(c, Or) for c in node.children)
    if isinstance(node, And):
        return " AND ".join(_group(c, Or, And) for c in node.children)
    if isinstance(node, Not):
        return "NOT " + _group(node.child, Or, And, Not)
    op = "ONEAR" if node.ordered else "NEAR"
    left, right = (_group(side, Or, And, Not, Near) for side in (node.left, node.right))
    return f"{left} {op}/{node.distance} {right}"


def _group(node: Node, *kinds: type) -> str:
    text = format_query(node)
    return f"({text})" if isinstance(node, kinds) else text


def _format_phrase(phrase: Phrase) -> str:
    body = " ".join(phrase.words) + ("*" if phrase.prefix else "")
    if phrase.case_sensitive:
        text = "{" + body + "}"
    elif (
        len(phrase.words) == 1
        and words(phrase.words[0]) == phrase.words
        and phrase.words[0] not in KEYWORDS
    ):
        text = body
    else:
        text = f'"{body}"'
    return f"{phrase.field}:{text}" if phrase.field else text
