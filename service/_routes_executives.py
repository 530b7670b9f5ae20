"""``GET /v1/executive-visibility``: mentions and share of voice of each spokesperson.

Aggregated in the store (``Store.mention_stats`` grouped by ``brand`` and
``spokesperson``); the arithmetic is ``service._executives``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response

from search import Interval, Store
from service._auth import Principal, Reader
from service._deps import StoreDep
from service._executives import roster_of, visibility_csv, visibility_series, visibility_totals
from service._problems import BadRequest
from service._routes_metrics import (
    CSV_MEDIA,
    CSV_RESPONSE,
    BrandsParam,
    CountParam,
    FormatParam,
    FromParam,
    Narrowing,
    ToParam,
    TzParam,
    _window,
    _zone,
    bounded_set,
    checked_buckets,
    wants_csv,
)
from service._schemas_executives import ExecutiveVisibility

router = APIRouter(prefix="/v1", tags=["metrics"])


async def _set(
    store: Store, principal: Principal, brand: str | None, brands: str | None
) -> list[str]:
    """The brand ids compared: ``brand`` and its competitors the caller may see, or
    ``brands``, or every brand the caller may see. A brand that does not exist, or
    that the caller may not see, named in ``brand`` or ``brands``, is a 404."""
    if brand and brands:
        raise BadRequest("give either `brand` (its competitive set) or `brands`", field="brands")
    known = {b.id: b for b in await store.list_brands()}
    if brand:
        principal.require_brand(brand)
        if brand not in known:
            raise HTTPException(404, f"no brand {brand!r}")
        rivals = [c for c in known[brand].competitors if c in known]
        ids = [brand, *principal.visible(rivals)]
    elif brands:
        ids = [b.strip() for b in brands.split(",") if b.strip()]
        for named in ids:
            principal.require_brand(named)
            if named not in known:
                raise HTTPException(404, f"no brand {named!r}")
    else:
        ids = principal.visible(sorted(known))
    return bounded_set(ids)


@router.get(
    "/executive-visibility",
    response_model=ExecutiveVisibility,
    responses={**CSV_RESPONSE, 404: {"description": "no such brand (or one the key may not see)"}},
)
async def executive_visibility(
    request: Request,
    principal: Reader,
    store: StoreDep,
    narrow: Narrowing,
    brand: Annotated[
        str | None, Query(description="a brand: its spokespeople and its competitors'")
    ] = None,
    brands: BrandsParam = None,
    start: FromParam = None,
    end: ToParam = None,
    tz: TzParam = "UTC",
    count: CountParam = "document",
    interval: Annotated[
        Interval | None, Query(description="also a time series in buckets of this length")
    ] = None,
    format: FormatParam = None,
) -> ExecutiveVisibility | Response:
    """Per spokesperson of the brand and of its competitive set: the brand's mentions
    that name them, share of voice among the set's spokespeople, reach, and sentiment
    toward the brand in those mentions; with ``interval``, per bucket too. JSON, or
    CSV (``format=csv`` or ``Accept: text/csv``)."""
    zone = _zone(tz)
    start_utc, end_utc = _window(start, end, zone)
    ids = await _set(store, principal, brand, brands)
    starts = None
    if interval is not None:
        starts = checked_buckets(start_utc, end_utc, interval=interval, tz=zone)
    where = replace(narrow, brand_ids=tuple(ids), start=start_utc, end=end_utc)
    rows = await store.mention_stats(
        where, group_by=("brand", "spokesperson"), tz=zone, count=count
    )
    per_brand = await store.mention_stats(where, group_by=("brand",), tz=zone, count=count)
    by_id = {b.id: b for b in await store.list_brands()}
    roster = roster_of([by_id[i] for i in ids if i in by_id], rows)
    items, total, reach = visibility_totals(
        rows, roster=roster, brand_mentions={str(r.key[0]): r.mentions for r in per_brand}
    )
    series = None
    if interval is not None and starts is not None:
        bucketed = await store.mention_stats(
            where, group_by=("brand", "spokesperson"), interval=interval, tz=zone, count=count
        )
        order = [(v.brand, v.spokesperson) for v in items]
        series = visibility_series(bucketed, order=order, bucket_starts=starts)
    body = ExecutiveVisibility(
        brand=brand,
        brands=ids,
        start=start_utc.astimezone(zone),
        end=end_utc.astimezone(zone),
        time_zone=tz,
        count=count,
        interval=interval,
        mentions=total,
        reach=reach,
        items=items,
        series=series,
    )
    if wants_csv(request, format):
        return Response(visibility_csv(items, series), media_type=CSV_MEDIA)
    return body
