"""A parsed query explained: a JSON-able tree and an indented, readable outline (pure).

``explain(node)`` describes every node in words a PR analyst can check against
what they meant to write, e.g. for ``Apple NOT "apple pie" site:bbc.co.uk``::

    ALL of:
      the word "Apple" (any case) in the title or text
      NOT: the phrase "apple pie" (any case) in the title or text
      the site bbc.co.uk or a subdomain of it
"""

from __future__ import annotations

from typing import Any

from enrichment._query import format_query
from enrichment._query_ast import And, Except, Near, Node, Not, Or, Phrase, Value

__all__ = ["explain", "outline"]

_WHERE = {None: "in the title or text", "title": "in the title", "text": "in the text",
          "author": "in the authors' names"}  # fmt: skip


def explain(node: Node) -> dict[str, Any]:
    """A tree of ``{"type", "query", "description", ...}`` objects: ``children``
    for and/or, ``child`` for not, ``left``/``right`` for near, the fields of a
    phrase or a value; ``query`` is each node's canonical text."""
    out: dict[str, Any] = {"query": format_query(node), "description": _describe(node)}
    if isinstance(node, Phrase):
        out.update(type="phrase", words=list(node.words), field=node.field,
                   case_sensitive=node.case_sensitive, prefix=node.prefix)  # fmt: skip
    elif isinstance(node, Value):
        out.update(type="value", field=node.field, value=node.value)
    elif isinstance(node, And | Or):
        out.update(type="and" if isinstance(node, And) else "or",
                   children=[explain(c) for c in node.children])  # fmt: skip
    elif isinstance(node, Not):
        out.update(type="not", child=explain(node.child))
    elif isinstance(node, Near):
        out.update(type="near", distance=node.distance, ordered=node.ordered,
                   left=explain(node.left), right=explain(node.right))  # fmt: skip
    else:
        out.update(type="except", child=explain(node.query), exclusions=explain(node.exclusions))
    return out


def outline(node: Node, indent: int = 0) -> list[str]:
    """The query as indented lines, one node per line (two spaces per level)."""
    pad = "  " * indent
    if isinstance(node, And | Or):
        head = "ALL of:" if isinstance(node, And) else "ANY of:"
        return [pad + head] + [line for c in node.children for line in outline(c, indent + 1)]
    if isinstance(node, Not):
        inner = outline(node.child, indent + 1)
        if len(inner) == 1:
            return [pad + "NOT: " + inner[0].strip()]
        return [pad + "NOT:", *inner]
    if isinstance(node, Near):
        order = "in this order " if node.ordered else ""
        return [
            pad + f"BOTH, {order}at most {node.distance} words apart in one field:",
            *outline(node.left, indent + 1),
            *outline(node.right, indent + 1),
        ]
    if isinstance(node, Except):
        return [
            *outline(node.query, indent),
            pad + "except hits inside:",
            *outline(node.exclusions, indent + 1),
        ]
    return [pad + _describe(node)]


def _describe(node: Node) -> str:
    if isinstance(node, Phrase):
        kind = "word" if len(node.words) == 1 else "phrase"
        text = " ".join(node.words) + ("*" if node.prefix else "")
        case = "exactly this case" if node.case_sensitive else "any case"
        prefix = ", the last word as a prefix" if node.prefix else ""
        return f'the {kind} "{text}" ({case}{prefix}) {_WHERE[node.field]}'
    if isinstance(node, Value):
        if node.field == "site":
            return f"the site {node.value} or a subdomain of it"
        if node.field == "lang":
            return f"language {node.value} (or a regional form of it)"
        return f"country {node.value.upper()}"
    if isinstance(node, And):
        return "all of its parts"
    if isinstance(node, Or):
        return "any of its parts"
    if isinstance(node, Not):
        return "documents without its part"
    if isinstance(node, Near):
        order = ", in this order" if node.ordered else ""
        return f"both parts at most {node.distance} words apart in one field{order}"
    return "its query, not counting hits inside the exclusions"
