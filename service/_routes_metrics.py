"""Share of voice and mention lists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query
from pydantic import BeforeValidator

from enrichment import SentimentLabel
from enrichment._query import parse_query
from search import Interval, MentionFilter, Store
from search._buckets import bucket_starts
from search._sov import Share, share_series, total_shares
from service._deps import StoreDep
from service._problems import BadRequest
from service._schemas_metrics import (
    BrandShare,
    MentionPublic,
    MentionsPage,
    ShareBucket,
    ShareOfVoice,
)

router = APIRouter(prefix="/v1", tags=["metrics"])

DEFAULT_WINDOW = timedelta(days=30)  # what dashboards show when no window is asked for
# A series longer than this is a mistake (an hourly series over years), not a chart.
MAX_BUCKETS = 5000
MAX_SET = 50
INTERVAL_LENGTH = {
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}  # brands in one share-of-voice set


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


async def _brand_set(store: Store, brand: str | None, brands: str | None) -> list[str]:
    if brand and brands:
        raise BadRequest("give either `brand` (its competitive set) or `brands`", field="brands")
    known = {b.id: b for b in await store.list_brands()}
    if brand:
        found = known.get(brand)
        if found is None:
            raise BadRequest(f"no brand {brand!r}", field="brand")
        ids = [found.id, *found.competitors]
    elif brands:
        ids = [b.strip() for b in brands.split(",") if b.strip()]
    else:
        ids = list(known)
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise BadRequest("no brands to compare: add brands first", field="brands")
    if len(ids) > MAX_SET:
        raise BadRequest(f"at most {MAX_SET} brands in one set", field="brands")
    unknown = [b for b in ids if b not in known]
    if unknown:
        raise BadRequest(f"unknown brand(s): {', '.join(unknown)}", field="brands")
    return ids


@router.get("/share-of-voice")
async def share_of_voice(
    store: StoreDep,
    brand: Annotated[str | None, Query(description="a brand: its competitive set")] = None,
    brands: Annotated[str | None, Query(description="comma-separated brand ids")] = None,
    start: FromParam = None,
    end: ToParam = None,
    interval: Interval = "day",
    tz: TzParam = "UTC",
) -> ShareOfVoice:
    """Mentions and share of voice per brand of a set, per bucket and in total."""
    zone = _zone(tz)
    start_utc, end_utc = _window(start, end, zone)
    ids = await _brand_set(store, brand, brands)
    # Estimated first (an hourly series over decades is refused without enumerating it).
    estimate = (end_utc - start_utc) / INTERVAL_LENGTH[interval]
    starts = (
        []
        if estimate > MAX_BUCKETS + 2
        else bucket_starts(start_utc, end_utc, interval=interval, tz=zone)
    )
    if not starts or len(starts) > MAX_BUCKETS:
        raise BadRequest(
            f"about {int(estimate)} {interval} buckets, more than {MAX_BUCKETS}: "
            "narrow the window or widen the interval",
            field="interval",
        )
    where = MentionFilter(brand_ids=tuple(ids), start=start_utc, end=end_utc)
    counts = await store.mention_counts(where, interval=interval, tz=zone)
    series = share_series(counts, brand_ids=ids, bucket_starts=starts)

    def public(shares: Sequence[Share]) -> list[BrandShare]:
        return [
            BrandShare(brand=s.brand_id, mentions=s.mentions, share=round(s.share, 6))
            for s in shares
        ]

    return ShareOfVoice(
        brands=ids,
        start=start_utc.astimezone(zone),
        end=end_utc.astimezone(zone),
        interval=interval,
        time_zone=tz,
        totals=public(total_shares(series, ids)),
        series=[ShareBucket(start=b.start, total=b.total, brands=public(b.shares)) for b in series],
    )


@router.get("/mentions")
async def mentions(
    store: StoreDep,
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
) -> MentionsPage:
    """Mentions newest first, with snippets and sentiment toward the brand; cursor paging."""
    zone = _zone(tz)
    start_utc = _instant(start, zone) if start is not None else None
    end_utc = _instant(end, zone) if end is not None else None
    if start_utc and end_utc and start_utc >= end_utc:
        raise BadRequest("`from` must be before `to`", field="from")
    where = MentionFilter(
        brand_ids=tuple(brand or ()),
        start=start_utc,
        end=end_utc,
        sentiment=sentiment,
        query=parse_query(q) if q else None,
    )
    page = await store.search_mentions(where, limit=limit, cursor=cursor)
    return MentionsPage(
        items=[MentionPublic.of(h) for h in page.hits], next_cursor=page.next_cursor
    )
