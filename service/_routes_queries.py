"""``POST /v1/queries/validate``: explain a query and show what it matches.

A valid query is answered 200 with its explanation (the normalized query, an
indented outline, a tree) and the newest stored documents it matches, with
the spans of the hits and snippets around them. An invalid one is answered 422
with a problem body whose error names the character ``position``.

Matches come from the coverage the store holds: documents with at least one
tracked brand's mention, newest first, filtered by the query exactly as
``/v1/mentions?q=`` filters them (the store's compiled query, checked by the
evaluator when inexact). Up to ``SCAN_MENTIONS`` mentions are scanned; past
that, ``total`` is a floor and ``complete`` is false.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from crawlers import Document
from enrichment import Brand, Node, find_mentions, find_spans
from enrichment._query import QuerySyntaxError, format_query, parse_query
from enrichment._query_explain import explain, outline
from search import MentionFilter, MentionHit, Store
from service._auth import Principal, Reader
from service._deps import StoreDep
from service._problems import problem
from service._schemas_queries import (
    QueryExplanation,
    QueryMatch,
    QueryMatches,
    QueryValidateRequest,
    QueryValidation,
    SpanPublic,
)

router = APIRouter(prefix="/v1/queries", tags=["queries"])

SCAN_MENTIONS = 2000
"""Mentions read to count matching documents: a few store pages (``PAGE``), enough
to tell a precise query from a noisy one without reading a whole archive per request."""

PAGE = 200
"""Mentions per store page while scanning: the API's largest page."""

_PROBE = Brand(id="query", name="query")  # find_mentions needs a brand; only its query counts


@router.post(
    "/validate",
    response_model=QueryValidation,
    responses={422: {"description": "the query does not parse; the error names the position"}},
)
async def validate_query(
    body: QueryValidateRequest, store: StoreDep, principal: Reader
) -> QueryValidation | JSONResponse:
    """Explain ``query`` and list up to ``limit`` recent stored documents it matches
    (for a key limited to brands: documents mentioning those brands)."""
    try:
        node = parse_query(body.query)
    except QuerySyntaxError as exc:
        error = {"field": "body.query", "message": exc.message, "position": exc.position}
        return problem(422, "Invalid query", str(exc), errors=[error])
    explanation = QueryExplanation(
        query=format_query(node), outline=outline(node), tree=explain(node)
    )
    first, total, complete = await _scan(store, node, keep=body.limit, principal=principal)
    documents = await asyncio.gather(*(store.get_document(h.mention.document_id) for h in first))
    items = [
        _match(node, hit, document)
        for hit, document in zip(first, documents, strict=True)
        if document is not None
    ]
    return QueryValidation(
        explanation=explanation, matches=QueryMatches(total=total, complete=complete, items=items)
    )


async def _scan(
    store: Store, node: Node, *, keep: int, principal: Principal
) -> tuple[list[MentionHit], int, bool]:
    """The newest hit of the first ``keep`` matching documents, how many documents
    matched, and whether every mention was scanned; only mentions of the brands the
    key may see."""
    visible = () if principal.brands is None else tuple(sorted(principal.brands))
    where = MentionFilter(query=node, brand_ids=visible)
    first: dict[str, MentionHit] = {}
    seen: set[str] = set()
    scanned = 0
    cursor: str | None = None
    while scanned < SCAN_MENTIONS:
        page = await store.search_mentions(where, limit=PAGE, cursor=cursor)
        scanned += len(page.hits)
        for hit in page.hits:
            doc_id = hit.mention.document_id
            seen.add(doc_id)
            if len(first) < keep and doc_id not in first:
                first[doc_id] = hit
        if page.next_cursor is None:
            return list(first.values()), len(seen), True
        cursor = page.next_cursor
    return list(first.values()), len(seen), False


def _match(node: Node, hit: MentionHit, document: Document) -> QueryMatch:
    d = document
    result = find_spans(
        node, title=d.title, text=d.text, authors=d.authors, domain=d.domain,
        language=d.language, country=d.country,
    )  # fmt: skip
    drafts = find_mentions(
        document_id=d.id, title=d.title, text=d.text, brands=[(_PROBE, node)],
        authors=d.authors, domain=d.domain, language=d.language, country=d.country,
    )  # fmt: skip
    fields = {"title": d.title, "text": d.text}
    return QueryMatch(
        document_id=d.id,
        url=d.url,
        title=d.title,
        outlet=d.outlet,
        domain=d.domain,
        language=d.language,
        published_at=hit.published_at,
        snippets=list(drafts[0].snippets) if drafts else [],
        spans=[
            SpanPublic(
                field=s.field, start=s.start, end=s.end, text=fields[s.field][s.start : s.end]
            )
            for s in result.spans
        ],
    )
