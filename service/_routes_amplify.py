"""``GET /v1/amplify``: recent earned mentions of a brand ranked for paid amplification.

The route reads the brand's mentions of the last ``days`` from the store (newest
first, positive ones, and neutral ones when asked), the engagement counts of the
social posts among them, and hands them to the pure ranking of ``service._amplify``.
Answers JSON, CSV, RSS 2.0 or Atom 1.0 (``format``; CSV also on ``Accept: text/csv``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response

from crawlers.social import engagement_of
from enrichment import SentimentLabel
from search import MentionFilter, MentionHit, Store
from service._amplify import HALF_LIFE, WEIGHTS, rank_candidates
from service._amplify_formats import amplify_atom, amplify_csv, amplify_rss
from service._auth import FeedReader
from service._deps import StoreDep
from service._routes_metrics import CSV_MEDIA, DateTime, Narrowing, TzParam, _instant, _zone
from service._schemas_amplify import AmplifyCandidate, AmplifyList

router = APIRouter(prefix="/v1", tags=["amplify"])

MAX_DAYS = 31
"""Amplification is about stories still worth spreading: freshness has halved 15
times after a month; older coverage is reporting (``/v1/mentions``)."""
MAX_CANDIDATES = 100  # a longer list is an export: page /v1/mentions instead
SCAN_PAGE = 500  # mentions per store round trip (both stores allow up to 1000)
MAX_SCAN = 5000
"""Mentions read per admitted sentiment label, newest first. A big brand's positive
week fits; past it the oldest are left out, and freshness would rank them low anyway."""
SOCIAL = "social"  # the channel whose documents carry engagement counts
FEED_MEDIA = {"rss": "application/rss+xml", "atom": "application/atom+xml"}

FormatParam = Annotated[
    Literal["json", "csv", "rss", "atom"] | None,
    Query(description="default: JSON, or CSV if Accept asks; `rss` / `atom`: a feed"),
]


async def _scan(store: Store, where: MentionFilter) -> list[MentionHit]:
    hits: list[MentionHit] = []
    cursor: str | None = None
    while len(hits) < MAX_SCAN:
        page = await store.search_mentions(
            where, limit=min(SCAN_PAGE, MAX_SCAN - len(hits)), cursor=cursor, sort="time"
        )
        hits += page.hits
        cursor = page.next_cursor
        if cursor is None:
            break
    return hits


async def _engagement(store: Store, hits: list[MentionHit]) -> dict[str, dict[str, int]]:
    """The engagement counts of the social posts among ``hits``, read in one call."""
    ids = sorted({h.mention.document_id for h in hits if h.channel == SOCIAL})
    documents = await store.get_documents(ids) if ids else {}
    return {i: engagement_of(documents[i].extra) if i in documents else {} for i in ids}


def _feed_response(content: bytes, kind: str) -> Response:
    return Response(content, media_type=f"{FEED_MEDIA[kind]}; charset=utf-8")


@router.get(
    "/amplify",
    response_model=AmplifyList,
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/rss+xml": {"schema": {"type": "string"}},
                "application/atom+xml": {"schema": {"type": "string"}},
            }
        },
        404: {"description": "no such brand (or one the key may not see)"},
    },
)
async def amplify(
    request: Request,
    principal: FeedReader,
    store: StoreDep,
    narrow: Narrowing,
    brand: Annotated[str, Query(description="the brand whose earned coverage to rank")],
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="how far back to look")] = 7,
    limit: Annotated[int, Query(ge=1, le=MAX_CANDIDATES)] = 20,
    min_sentiment: Annotated[
        Literal["positive", "neutral"],
        Query(description="`neutral` also admits neutral mentions (negative ones never)"),
    ] = "positive",
    at: Annotated[
        DateTime | None,
        Query(description="rank as of this time (default now); naive = in `tz`"),
    ] = None,
    tz: TzParam = "UTC",
    format: FormatParam = None,
) -> AmplifyList | Response:
    """The brand's earned mentions of the last ``days`` (owned media and negative
    mentions left out), one per syndication cluster, ranked for paid amplification
    by sentiment, reach, tier, key-message pull-through, engagement and freshness;
    each with its score, its components and the reasons it ranks. Filters narrow
    by channel, market, language, outlet and tier."""
    principal.require_brand(brand)
    zone = _zone(tz)
    found = await store.get_brand(brand)
    if found is None:
        raise HTTPException(404, f"no brand {brand!r}")
    now = _instant(at, zone) if at is not None else datetime.now(UTC)
    start = now - timedelta(days=days)
    labels: tuple[SentimentLabel, ...] = (
        ("positive",) if min_sentiment == "positive" else ("positive", "neutral")
    )
    hits: list[MentionHit] = []
    for label in labels:
        where = replace(narrow, brand_ids=(brand,), start=start, end=now, sentiment=label)
        hits += await _scan(store, where)
    ranked = rank_candidates(
        hits,
        brand=found,
        now=now,
        limit=limit,
        engagement=await _engagement(store, hits),
        admit_neutral=min_sentiment == "neutral",
    )
    body = AmplifyList(
        brand=brand,
        brand_name=found.name,
        start=start.astimezone(zone),
        end=now.astimezone(zone),
        days=days,
        sentiment=list(labels),
        weights=dict(WEIGHTS),
        half_life_hours=HALF_LIFE.total_seconds() / 3600,
        items=[
            AmplifyCandidate.of(i, c).model_copy(
                update={"published_at": c.hit.published_at.astimezone(zone)}
            )
            for i, c in enumerate(ranked, start=1)
        ],
    )
    if format == "rss" or format == "atom":
        write = amplify_rss if format == "rss" else amplify_atom
        return _feed_response(
            write(body, self_url=str(request.url.remove_query_params("key")), built_at=now), format
        )
    if format == "csv" or (format is None and "text/csv" in request.headers.get("accept", "")):
        return Response(amplify_csv(body), media_type=CSV_MEDIA)
    return body
