"""``GET /v1/scorecard``: every shared KPI of a brand for a period against the
previous period of the same length (``service._kpis``), as JSON or CSV.

The competitive set is the brand and its configured competitors (those the
caller's key may see; configured ids with no brand are skipped), or the brand and
``brands`` when given (each must exist, and be visible to the key: else 404).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response

from enrichment import Brand
from search import CountBy, MentionFilter, Store
from service._auth import Principal, Reader
from service._deps import StoreDep
from service._kpis import Kpis, measure
from service._kpis_csv import comparison_csv
from service._problems import BadRequest
from service._routes_metrics import (
    CSV_MEDIA,
    CSV_RESPONSE,
    CountParam,
    FormatParam,
    FromParam,
    Narrowing,
    ToParam,
    TzParam,
    _window,
    _zone,
    bounded_set,
    listed_brands,
    wants_csv,
)
from service._schemas_kpis import Scorecard

__all__ = ["compare", "competitive_set", "router"]

router = APIRouter(prefix="/v1", tags=["metrics"])


async def competitive_set(
    store: Store, principal: Principal, brand_id: str, brands: str | None = None
) -> list[Brand]:
    """The brand and its set (see the module docstring), the brand first. A brand
    the key may not see is 404 (``require_brand``); an unknown one is 400."""
    principal.require_brand(brand_id)
    known = {b.id: b for b in await store.list_brands()}
    found = known.get(brand_id)
    if found is None:
        raise BadRequest(f"no brand {brand_id!r}", field="brand")
    if brands:
        named = listed_brands(brands, principal)
        unknown = [b for b in named if b not in known]
        if unknown:
            raise BadRequest(f"unknown brand(s): {', '.join(unknown)}", field="brands")
        ids = [brand_id, *named]
    else:
        ids = [brand_id, *principal.visible(c for c in found.competitors if c in known)]
    return [known[b] for b in bounded_set(ids)]  # never empty: the brand is first


async def compare(
    store: Store,
    brands: list[Brand],
    *,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    narrow: MentionFilter,
    count: CountBy,
    tags: tuple[str, ...] = (),
) -> tuple[Kpis, Kpis]:
    """The KPIs of ``[start, end)`` and of the window of the same length right before."""
    try:
        before = start - (end - start)
    except OverflowError:
        raise BadRequest("the window reaches too far back for a baseline", field="from") from None

    async def kpis(a: datetime, b: datetime) -> Kpis:
        return await measure(
            store, brands=brands, start=a, end=b, tz=tz, narrow=narrow, count=count, tags=tags
        )

    now, baseline = await asyncio.gather(kpis(start, end), kpis(before, start))
    return now, baseline


@router.get("/scorecard", response_model=Scorecard, responses=CSV_RESPONSE)
async def scorecard(
    request: Request,
    store: StoreDep,
    principal: Reader,
    narrow: Narrowing,
    brand: Annotated[str, Query(min_length=1, description="the brand the scorecard is for")],
    brands: Annotated[
        str | None,
        Query(description="comma-separated brand ids to compare with (default: its competitors)"),
    ] = None,
    start: FromParam = None,
    end: ToParam = None,
    tz: TzParam = "UTC",
    count: CountParam = "document",
    format: FormatParam = None,
) -> Scorecard | Response:
    """Every shared KPI of ``brand`` from ``from`` to ``to`` (default: the last 30
    days) against the previous period of the same length: coverage volume, share of
    voice (volume, reach, positive), net sentiment, tier-1 placements, key-message
    pull-through (overall and per message), executive visibility, earned sessions,
    conversions and the earned share of traffic; and the competitive set's figures.
    The channel / market / language / outlet / tier filters narrow coverage (not
    traffic). JSON, or CSV (``format=csv`` or ``Accept: text/csv``)."""
    zone = _zone(tz)
    start_utc, end_utc = _window(start, end, zone)
    members = await competitive_set(store, principal, brand, brands)
    now, baseline = await compare(
        store, members, start=start_utc, end=end_utc, tz=zone, narrow=narrow, count=count
    )
    body = Scorecard.of(now, baseline, count=count, tz=zone)
    if wants_csv(request, format):
        return Response(comparison_csv(body), media_type=CSV_MEDIA)
    return body
