"""The lexer of the brand query language (the grammar is in ``enrichment._query``).

It cuts a query into operators, parentheses, field prefixes and terms; a term
is already a ``Phrase`` (its words cut by ``enrichment._tokens.words``).
Errors carry the 0-based character offset of the problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from enrichment._query_ast import Phrase
from enrichment._tokens import words

TEXT_FIELDS: tuple[str, ...] = ("title", "text", "author")
"""Fields whose words a phrase is matched against (``author``: the authors' names)."""

VALUE_FIELDS: tuple[str, ...] = ("site", "lang", "country")
"""Metadata fields: ``site:bbc.co.uk``, ``lang:en``, ``country:gb`` are ``Value``
conditions on the document's domain, language and country, not phrases."""

FIELDS: tuple[str, ...] = TEXT_FIELDS + VALUE_FIELDS
"""Field prefixes the parser accepts (``title:``)."""

KEYWORDS = frozenset({"AND", "OR", "NOT", "NEAR", "ONEAR"})

MAX_NEAR = 100
"""Largest NEAR distance: beyond a hundred words, two terms are merely in the same
article, which ``a AND b`` already says."""

MIN_PREFIX = 2
"""Characters a wildcard word needs before ``*``: a one-letter prefix matches a
large part of any vocabulary, which is never what a brand query means."""

_OPEN_QUOTES = '"“„”'  # straight quotes, and the curly ones word processors put in
_CLOSE_QUOTES = '"”“'
_DELIMITERS = frozenset("(){}" + _OPEN_QUOTES)
_NEAR = re.compile(r"(O?)NEAR/(\d+)(f?)")
_FIELD = re.compile(r"([A-Za-z]+):")

Kind = Literal["(", ")", "AND", "OR", "NOT", "NEAR", "FIELD", "TERM", "END"]


class QuerySyntaxError(ValueError):
    """A query that does not parse; ``position`` is the 0-based offset of the problem.

    The message names the position and what was expected there. ``brand_id``
    is set when the query is a brand's (``Enricher.set_brands``).
    """

    def __init__(self, message: str, *, position: int, brand_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.brand_id = brand_id


def syntax_error(position: int, what: str, expected: str) -> QuerySyntaxError:
    return QuerySyntaxError(
        f"{what} at position {position}: expected {expected}", position=position
    )


@dataclass(frozen=True, slots=True)
class Tok:
    kind: Kind
    pos: int
    text: str
    phrase: Phrase | None = None
    distance: int = 0
    ordered: bool = False

    def describe(self) -> str:
        return "end of the query" if self.kind == "END" else repr(self.text)


def lex(text: str) -> list[Tok]:
    """The tokens of ``text``, ending with an ``END`` token at ``len(text)``."""
    toks: list[Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            toks.append(Tok(c, i, c))  # type: ignore[arg-type]  # c is "(" or ")"
            i += 1
        elif c in _OPEN_QUOTES:
            i = _quoted(text, i, toks)
        elif c == "{":
            i = _braced(text, i, toks)
        elif c == "}":
            raise syntax_error(i, "unmatched '}'", "a term ('}' closes a '{' case-sensitive term)")
        elif c == "-":
            if i + 1 >= n or text[i + 1].isspace() or text[i + 1] in ")-":
                raise syntax_error(i + 1, "a lone '-'", "a term right after '-' (as in -term)")
            toks.append(Tok("NOT", i, "-"))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _DELIMITERS:
                j += 1
            _bare(text, i, j, toks)
            i = j
    toks.append(Tok("END", n, ""))
    return toks


def _quoted(text: str, i: int, toks: list[Tok]) -> int:
    end = next((j for j in range(i + 1, len(text)) if text[j] in _CLOSE_QUOTES), -1)
    if end < 0:
        raise syntax_error(
            i, "an unterminated phrase", "a closing '\"' before the end of the query"
        )
    phrase = make_phrase(text[i + 1 : end], i + 1, case_sensitive=False)
    toks.append(Tok("TERM", i, text[i : end + 1], phrase=phrase))
    return end + 1


def _braced(text: str, i: int, toks: list[Tok]) -> int:
    end = text.find("}", i + 1)
    nested = text.find("{", i + 1)
    if 0 <= nested and (end < 0 or nested < end):
        raise syntax_error(nested, "a '{' inside a case-sensitive term", "'}' before another '{'")
    if end < 0:
        raise syntax_error(i, "an unclosed '{'", "a '}' before the end of the query")
    content = "".join(" " if ch in _OPEN_QUOTES else ch for ch in text[i + 1 : end])
    phrase = make_phrase(content, i + 1, case_sensitive=True)
    toks.append(Tok("TERM", i, text[i : end + 1], phrase=phrase))
    return end + 1


def _bare(text: str, i: int, j: int, toks: list[Tok]) -> None:
    run = text[i:j]
    if run in ("AND", "OR", "NOT"):
        toks.append(Tok(run, i, run))  # type: ignore[arg-type]  # run is an operator name
        return
    if run in ("NEAR", "ONEAR") or run.startswith(("NEAR/", "ONEAR/")):
        near = _NEAR.fullmatch(run)
        slash = i + len(run.split("/")[0]) + ("/" in run)  # where the distance belongs
        if near is None:
            raise syntax_error(slash, f"{run!r}", "a distance in words, as in NEAR/3 or ONEAR/3")
        distance = int(near.group(2))
        if not 1 <= distance <= MAX_NEAR:
            raise syntax_error(slash, f"distance {distance}", f"a distance from 1 to {MAX_NEAR}")
        ordered = bool(near.group(1) or near.group(3))
        toks.append(Tok("NEAR", i, run, distance=distance, ordered=ordered))
        return
    field = _FIELD.match(run)
    if field is not None:
        name = field.group(1).lower()
        if name not in FIELDS:
            raise syntax_error(
                i,
                f"unknown field {field.group(1)!r}",
                f"one of {', '.join(f + ':' for f in FIELDS)} (quote the term to search for it)",
            )
        toks.append(Tok("FIELD", i, name + ":"))
        rest = i + field.end()
        if rest == j:  # the term is a "phrase", a {term} or a (group) right after the colon
            if j >= len(text) or text[j] not in "({" + _OPEN_QUOTES:
                raise syntax_error(j, f"nothing after {name + ':'!r}", "a term right after it")
            return
        if text[rest:j] in KEYWORDS or text[rest] == "-":
            raise syntax_error(
                rest, f"{text[rest:j]!r} after {name + ':'!r}", f"a term (write NOT {name}:term)"
            )
        i = rest
    toks.append(Tok("TERM", i, text[i:j], phrase=make_phrase(text[i:j], i, case_sensitive=False)))


def make_phrase(content: str, pos: int, *, case_sensitive: bool) -> Phrase:
    """The phrase written as ``content`` (which starts at ``pos`` in the query)."""
    prefix = False
    star = content.find("*")
    if star >= 0:
        if content[star + 1 :].strip():
            raise syntax_error(
                pos + star, "a '*' not at the end of a term", "'*' only at the end of a word"
            )
        if not star or not words(content[star - 1]):
            raise syntax_error(pos + star, "a '*' after no word", "a word right before '*'")
        prefix = True
        content = content[:star]
    found = words(content)
    if not found:
        what = "an empty phrase" if not content.strip() else f"no word in {content!r}"
        raise syntax_error(pos, what, "letters or digits")
    if prefix and len(found[-1]) < MIN_PREFIX:
        raise syntax_error(
            pos + star,
            f"a wildcard after {found[-1]!r}",
            f"at least {MIN_PREFIX} characters before '*'",
        )
    return Phrase(found, case_sensitive=case_sensitive, prefix=prefix)
