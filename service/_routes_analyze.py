"""``POST /v1/analyze``: the ingest path's extraction and enrichment, on one item."""

from __future__ import annotations

import asyncio
import functools
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from fastapi import APIRouter

from crawlers import Document, Extracted, FetchError, document_id, extract_article
from enrichment import Brand, Enricher
from enrichment._query import QuerySyntaxError
from service._auth import Reader
from service._deps import RuntimeDep
from service._problems import BadRequest
from service._schemas_metrics import (
    AnalyzeMention,
    AnalyzeRequest,
    AnalyzeResponse,
    KeyMessagesPublic,
    SentimentPublic,
)

router = APIRouter(prefix="/v1", tags=["analysis"])


def _brand_id(name: str, index: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return f"{slug or 'brand'}-{index}"


async def _page(runtime: RuntimeDep, body: AnalyzeRequest) -> Extracted | None:
    html: str | bytes | None = body.html
    url = body.url or "http://analyze.invalid/"
    if html is None and body.url and not body.text:
        try:
            fetched = await runtime.fetcher.get(body.url)
        except FetchError as exc:
            raise BadRequest(f"could not fetch {body.url}: {exc}", field="url") from exc
        html, url = fetched.content, fetched.url
    if html is None:
        return None
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        runtime.pool, functools.partial(extract_article, html, url=url)
    )


@router.post("/analyze")
async def analyze(body: AnalyzeRequest, runtime: RuntimeDep, principal: Reader) -> AnalyzeResponse:
    """Extract (for html or url) and find each brand's mentions with sentiment toward it.

    The brands are the request's own (names and queries), not stored ones: the answer
    holds no stored brand's data, so a key limited to brands may use it freely."""
    brands = [
        Brand(
            id=_brand_id(b.name, i),
            name=b.name,
            query=b.query,
            exclusions=tuple(b.exclusions),
            key_messages=tuple(b.key_messages),
        )
        for i, b in enumerate(body.brands)
    ]
    try:
        enricher = Enricher(brands=brands, sentiment=runtime.model, messages=runtime.messages)
    except QuerySyntaxError as exc:
        raise BadRequest(str(exc), field="brands") from exc
    page = await _page(runtime, body)
    title = body.title or (page.title if page else "") or ""
    text = body.text if body.text is not None else (page.text if page else "")
    now = datetime.now(UTC)
    document = Document(
        id=document_id(body.url or "http://analyze.invalid/"),
        url=body.url or "",
        source_id="analyze",
        outlet="",
        domain=(urlsplit(body.url).hostname or "") if body.url else "",  # for site: queries
        title=title,
        text=text,
        fetched_at=now,
        authors=page.authors if page else (),
        published_at=page.published_at if page else None,
        language=page.language if page else None,
    )
    [(document, found)] = await enricher.enrich([document])
    names = {b.id: b.name for b in brands}
    return AnalyzeResponse(
        title=document.title,
        text=document.text,
        language=document.language,
        published_at=document.published_at,
        authors=list(document.authors),
        url=body.url,
        mentions=[
            AnalyzeMention(
                brand=names[m.brand_id],
                sentiment=SentimentPublic(label=m.sentiment.label, score=m.sentiment.score),
                snippets=list(m.snippets),
                in_title=m.in_title,
                in_lead=m.in_lead,
                count=m.count,
                key_messages=KeyMessagesPublic.of(m.messages),
            )
            for m in found
        ],
    )
