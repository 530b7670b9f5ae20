"""Share of voice and mention lists."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BeforeValidator, Field

from crawlers import Channel
from enrichment import SentimentLabel, Stance
from enrichment._query import parse_query
from search import Collapse, CountBy, Dimension, Interval, MentionFilter, MentionSort, Store
from search._buckets import bucket_starts
from search._sov import voice_groups, voice_series, voice_total
from service._auth import Principal, Reader
from service._deps import StoreDep
from service._problems import BadRequest
from service._schemas_metrics import (
    MentionPublic,
    MentionsPage,
    MessagePullThrough,
    PullThroughPublic,
)
from service._schemas_sov import (
    BrandVoice,
    Breakdown,
    SetTotal,
    ShareOfVoice,
    VoiceBucket,
    VoiceGroup,
)
from service._sov_csv import sov_csv

router = APIRouter(prefix="/v1", tags=["metrics"])

DEFAULT_WINDOW = timedelta(days=30)  # what dashboards show when no window is asked for
# A series longer than this is a mistake (an hourly series over years), not a chart.
MAX_BUCKETS = 5000
MAX_SET = 50  # brands in one share-of-voice set
INTERVAL_LENGTH = {
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    "month": timedelta(days=28),  # the shortest: the estimate errs on the high side
}
MAX_TIER = 10  # tiers are small ranks (1 = most influential); 10 leaves room


def _date_or_datetime(value: object) -> object:
    """A bare date (``2026-11-01``) means that day's midnight, in the caller's zone."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return datetime.combine(date.fromisoformat(value), time(0))
        except ValueError:
            return value  # let pydantic say what is wrong with it
    return value


DateTime = Annotated[datetime, BeforeValidator(_date_or_datetime)]

FromParam = Annotated[
    DateTime | None,
    Query(alias="from", description="start (inclusive); a date or date-time, naive = in `tz`"),
]
ToParam = Annotated[
    DateTime | None,
    Query(alias="to", description="end (exclusive); default now"),
]
TzParam = Annotated[str, Query(description="IANA time zone for buckets and naive times")]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequest(f"unknown time zone {name!r}", field="tz") from None


def _instant(value: datetime, tz: ZoneInfo) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def _window(
    start: datetime | None, end: datetime | None, tz: ZoneInfo
) -> tuple[datetime, datetime]:
    end_utc = _instant(end, tz) if end is not None else datetime.now(UTC)
    start_utc = _instant(start, tz) if start is not None else end_utc - DEFAULT_WINDOW
    if start_utc >= end_utc:
        raise BadRequest("`from` must be before `to`", field="from")
    return start_utc, end_utc


def listed_brands(brands: str, principal: Principal) -> list[str]:
    """The ids of a comma-separated ``brands`` parameter, in order; naming one the
    key may not see is a 404 (``require_brand``)."""
    ids = [b.strip() for b in brands.split(",") if b.strip()]
    for named in ids:
        principal.require_brand(named)
    return ids


def bounded_set(ids: list[str]) -> list[str]:
    """``ids`` in order without repeats; none, or more than ``MAX_SET``, is a 400."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise BadRequest("no brands to compare: add brands first", field="brands")
    if len(ids) > MAX_SET:
        raise BadRequest(f"at most {MAX_SET} brands in one set", field="brands")
    return ids


async def _brand_set(
    store: Store, brand: str | None, brands: str | None, principal: Principal
) -> list[str]:
    """The brands compared: ``brand`` and its competitors, ``brands``, or every brand.
    A key limited to brands gets 404 for naming another brand, and the competitors
    and "every brand" it may see."""
    if brand and brands:
        raise BadRequest("give either `brand` (its competitive set) or `brands`", field="brands")
    known = {b.id: b for b in await store.list_brands()}
    if brand:
        principal.require_brand(brand)
        found = known.get(brand)
        if found is None:
            raise BadRequest(f"no brand {brand!r}", field="brand")
        ids = [found.id, *principal.visible(found.competitors)]
    elif brands:
        ids = listed_brands(brands, principal)
    else:
        ids = principal.visible(known)
    ids = bounded_set(ids)
    unknown = [b for b in ids if b not in known]
    if unknown:
        raise BadRequest(f"unknown brand(s): {', '.join(unknown)}", field="brands")
    return ids


SOV_DIMENSION: dict[Breakdown, Dimension] = {
    "channel": "channel",
    "market": "country",
    "tier": "tier",
    "outlet": "outlet",
    "language": "language",
}
TierParam = Annotated[int, Field(ge=1, le=MAX_TIER)]
CSV_MEDIA = "text/csv; charset=utf-8"


def narrowing(
    channel: Annotated[
        list[Channel] | None, Query(description="only these channels; repeat for several")
    ] = None,
    market: Annotated[
        list[str] | None, Query(description="only these markets (country codes); repeatable")
    ] = None,
    language: Annotated[
        list[str] | None, Query(description="only these languages (ISO 639-1); repeatable")
    ] = None,
    outlet: Annotated[
        list[str] | None, Query(description="only these outlets (by name); repeatable")
    ] = None,
    tier: Annotated[
        list[TierParam] | None, Query(description="only these tiers (1 = top); repeatable")
    ] = None,
) -> MentionFilter:
    """The channel / market / language / outlet / tier filters (a ``MentionFilter``
    that the route completes with ``dataclasses.replace``)."""
    return MentionFilter(
        channels=tuple(channel or ()),
        countries=tuple(m.upper() for m in market or ()),
        languages=tuple(lang.lower() for lang in language or ()),
        outlets=tuple(outlet or ()),
        tiers=tuple(tier or ()),
    )


Narrowing = Annotated[MentionFilter, Depends(narrowing)]
CountParam = Annotated[
    CountBy,
    Query(
        description="`document`: a syndicated story once per cluster (at its first copy); "
        "`outlet`: once per outlet's copy"
    ),
]


BrandsParam = Annotated[str | None, Query(description="comma-separated brand ids")]
FormatParam = Annotated[
    Literal["json", "csv"] | None, Query(description="default: JSON, or CSV if Accept asks")
]
# The OpenAPI ``responses`` of a route that answers JSON or, on request, CSV.
CSV_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}


def wants_csv(request: Request, format: str | None) -> bool:
    return format == "csv" or (format is None and "text/csv" in request.headers.get("accept", ""))


def checked_buckets(
    start: datetime, end: datetime, *, interval: Interval, tz: ZoneInfo
) -> list[datetime]:
    """The bucket starts of ``[start, end)``; more than ``MAX_BUCKETS`` is a 400 (on
    ``interval``). Estimated first: an hourly series over decades is refused without
    enumerating it."""
    estimate = (end - start) / INTERVAL_LENGTH[interval]
    starts = (
        [] if estimate > MAX_BUCKETS + 2 else bucket_starts(start, end, interval=interval, tz=tz)
    )
    if not starts or len(starts) > MAX_BUCKETS:
        raise BadRequest(
            f"about {int(estimate)} {interval} buckets, more than {MAX_BUCKETS}: "
            "narrow the window or widen the interval",
            field="interval",
        )
    return starts


@router.get("/share-of-voice", response_model=ShareOfVoice, responses=CSV_RESPONSE)
async def share_of_voice(
    request: Request,
    store: StoreDep,
    principal: Reader,
    narrow: Narrowing,
    brand: Annotated[str | None, Query(description="a brand: its competitive set")] = None,
    brands: BrandsParam = None,
    start: FromParam = None,
    end: ToParam = None,
    interval: Interval = "day",
    tz: TzParam = "UTC",
    count: CountParam = "document",
    by: Annotated[
        Breakdown | None, Query(description="also break the window down by this dimension")
    ] = None,
    format: FormatParam = None,
) -> ShareOfVoice | Response:
    """Every share-of-voice variant per brand of a set (volume, reach-weighted,
    positive, net sentiment), over the window, per bucket and, with ``by``, per
    channel / market / tier / outlet / language. JSON, or CSV (``format=csv`` or
    ``Accept: text/csv``)."""
    zone = _zone(tz)
    start_utc, end_utc = _window(start, end, zone)
    ids = await _brand_set(store, brand, brands, principal)
    starts = checked_buckets(start_utc, end_utc, interval=interval, tz=zone)
    where = replace(narrow, brand_ids=tuple(ids), start=start_utc, end=end_utc)
    rows = await store.mention_stats(
        where, group_by=("brand",), interval=interval, tz=zone, count=count
    )
    series = voice_series(rows, brand_ids=ids, bucket_starts=starts)
    total = voice_total(series, ids)
    breakdown = None
    if by is not None:
        grouped = await store.mention_stats(
            where, group_by=("brand", SOV_DIMENSION[by]), tz=zone, count=count
        )
        breakdown = [VoiceGroup.of(g) for g in voice_groups(grouped, brand_ids=ids)]
    body = ShareOfVoice(
        brands=ids,
        start=start_utc.astimezone(zone),
        end=end_utc.astimezone(zone),
        interval=interval,
        time_zone=tz,
        count=count,
        by=by,
        total=SetTotal.of(total.total),
        totals=[BrandVoice.of(v) for v in total.voices],
        series=[VoiceBucket.of(b) for b in series],
        breakdown=breakdown,
    )
    if wants_csv(request, format):
        return Response(sov_csv(body), media_type=CSV_MEDIA)
    return body


@router.get("/mentions")
async def mentions(
    store: StoreDep,
    principal: Reader,
    narrow: Narrowing,
    brand: Annotated[list[str] | None, Query(description="brand id(s); repeat for several")] = None,
    start: FromParam = None,
    end: ToParam = None,
    sentiment: SentimentLabel | None = None,
    q: Annotated[
        str | None, Query(max_length=2000, description="a Clarion query over title and text")
    ] = None,
    tz: TzParam = "UTC",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    sort: Annotated[
        MentionSort,
        Query(
            description="`time`: newest first; `reach`: largest outlet audience first; "
            "`prominence`: in the title, then in the lead, then most mentions; "
            "ties newest first. A cursor only continues the sort that issued it."
        ),
    ] = "time",
    message: Annotated[
        str | None,
        Query(
            max_length=2000,
            description="only mentions matching this key message (exact text) with `stance`",
        ),
    ] = None,
    stance: Annotated[
        Stance | None,
        Query(description="with `message`: `carried` (default) or `contradicted`"),
    ] = None,
    cluster: Annotated[
        list[str] | None,
        Query(
            description="only these syndication clusters (a `cluster_id`, or the "
            "`document_id` of an item whose `cluster_id` is null); repeatable"
        ),
    ] = None,
    collapse: Annotated[
        Collapse | None,
        Query(
            description="`cluster`: one item per syndicated story and brand, its first "
            "copy in `sort` order among those the filters cover, with `copies`"
        ),
    ] = None,
) -> MentionsPage:
    """Mentions with snippets and sentiment toward the brand, in ``sort`` order;
    cursor paging (keyset: no page repeats or skips a mention, or with
    ``collapse=cluster`` a story). Without ``brand``, a key limited to brands gets
    the mentions of those brands only. A cursor only continues the query (filters,
    ``message``, ``stance``, ``sort``, ``collapse``) that issued it (else 400)."""
    if stance is not None and message is None:
        raise BadRequest("`stance` needs a `message`", field="stance")
    for named in brand or ():
        principal.require_brand(named)
    if not brand and principal.brands is not None:
        brand = sorted(principal.brands)
    zone = _zone(tz)
    start_utc = _instant(start, zone) if start is not None else None
    end_utc = _instant(end, zone) if end is not None else None
    if start_utc and end_utc and start_utc >= end_utc:
        raise BadRequest("`from` must be before `to`", field="from")
    where = replace(
        narrow,
        brand_ids=tuple(brand or ()),
        start=start_utc,
        end=end_utc,
        sentiment=sentiment,
        query=parse_query(q) if q else None,
        message=message,
        message_stance=stance or "carried",
        clusters=tuple(cluster or ()),
    )
    page = await store.search_mentions(
        where, limit=limit, cursor=cursor, sort=sort, collapse=collapse
    )
    return MentionsPage(
        items=[MentionPublic.of(h) for h in page.hits], next_cursor=page.next_cursor
    )


@router.get("/pull-through")
async def pull_through(
    store: StoreDep,
    principal: Reader,
    brand: Annotated[str, Query(description="the brand whose key messages to measure")],
    start: FromParam = None,
    end: ToParam = None,
    tz: TzParam = "UTC",
) -> PullThroughPublic:
    """Share of the brand's mentions that carry each of its key messages, and any
    of them; mentions that contradict a message are counted apart, never as
    pull-through. Aggregated in the store."""
    principal.require_brand(brand)
    zone = _zone(tz)
    start_utc, end_utc = _window(start, end, zone)
    found = await store.get_brand(brand)
    if found is None:
        raise BadRequest(f"no brand {brand!r}", field="brand")
    counts = await store.pull_through(
        MentionFilter(brand_ids=(brand,), start=start_utc, end=end_utc)
    )
    total = counts.mentions

    def figure(message: str | None, carried: int, contradicted: int) -> MessagePullThrough:
        return MessagePullThrough(
            message=message,
            carried=carried,
            carried_share=round(carried / total, 6) if total else 0.0,
            contradicted=contradicted,
            contradicted_share=round(contradicted / total, 6) if total else 0.0,
        )

    messages = list(dict.fromkeys([*found.key_messages, *counts.carried, *counts.contradicted]))
    return PullThroughPublic(
        brand=brand,
        start=start_utc.astimezone(zone),
        end=end_utc.astimezone(zone),
        mentions=total,
        overall=figure(None, counts.any_carried, counts.any_contradicted),
        messages=[
            figure(m, counts.carried.get(m, 0), counts.contradicted.get(m, 0)) for m in messages
        ],
    )
