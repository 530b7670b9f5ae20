"""The abstract syntax tree of Clarion's brand query language.

The parser (``enrichment.parse_query``) builds it, the evaluator matches it
against a document's text, and each store compiles it to its own search syntax
(SQLite FTS5, Elasticsearch query DSL). All of them agree on one meaning:

- ``Phrase`` matches its words consecutively, at word boundaries,
  case-insensitively unless ``case_sensitive``; a ``prefix`` phrase lets its
  last word be the start of a longer word (``launch*``). ``field`` limits the
  match to one part of the document (``title``, ``text``, ...; ``None`` means
  title and text).
- ``And`` / ``Or`` / ``Not`` are the boolean connectives; ``Not`` only occurs
  as a child of ``And`` (``a NOT b`` means ``a AND NOT b``) or at the top of a
  query that also has a positive part.
- ``Near`` matches when its two parts occur within ``distance`` words of each
  other (in that order when ``ordered``).
- ``Value`` is a condition on a document's metadata, not on its words:
  ``site`` (the outlet's domain or one of its subdomains), ``lang`` (the
  language code, or a regional form of it: ``en`` matches ``en-gb``) and
  ``country`` (the ISO country code); compared case-insensitively. ``value``
  is normalized by the parser (lower case, no ``www.``, no trailing dot).
- ``Except`` is ``query`` with the hits inside a hit of ``exclusions`` not
  counted (a brand's known false friends: ``Apple`` inside ``apple pie``). It
  is built from a brand's ``exclusions`` (``enrichment.brand_query``), never
  written in the query language; ``exclusions`` is a ``Phrase``, a ``Near``
  or an ``Or`` of those.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Phrase:
    words: tuple[str, ...]
    field: str | None = None
    case_sensitive: bool = False
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class Near:
    left: Node
    right: Node
    distance: int
    ordered: bool = False


@dataclass(frozen=True, slots=True)
class Value:
    field: str
    value: str


@dataclass(frozen=True, slots=True)
class Except:
    query: Node
    exclusions: Node


Node = Phrase | And | Or | Not | Near | Value | Except
