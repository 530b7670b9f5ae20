"""Coverage rankings of one brand: top outlets, top authors (journalists) and top
stories (syndication clusters).

Both aggregate in the store (``Store.mention_stats``) over the window and the
channel / market / language / outlet / tier filters of ``/v1/share-of-voice``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Literal, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from search import MentionFilter, StatRow, StatTop, Store
from service._auth import Principal, Reader
from service._deps import StoreDep
from service._problems import BadRequest
from service._routes_metrics import (
    CountParam,
    FromParam,
    Narrowing,
    ToParam,
    TzParam,
    _window,
    _zone,
)
from service._schemas_coverage import (
    AuthorRank,
    OutletRank,
    StoryOutlet,
    StoryRank,
    TopAuthors,
    TopOutlets,
    TopStories,
)

router = APIRouter(prefix="/v1/coverage", tags=["coverage"])

MAX_RANKED = 100  # a ranking longer than this is an export: page /v1/mentions instead
BrandParam = Annotated[str, Query(description="the brand whose coverage to rank")]
LimitParam = Annotated[int, Query(ge=1, le=MAX_RANKED)]


async def _known(store: Store, brand: str) -> None:
    if await store.get_brand(brand) is None:
        raise BadRequest(f"no brand {brand!r}", field="brand")


async def _brand_window(
    store: Store,
    narrow: MentionFilter,
    brand: str,
    start: datetime | None,
    end: datetime | None,
    tz: str,
    principal: Principal,
) -> tuple[ZoneInfo, datetime, datetime, MentionFilter]:
    """The zone, the UTC window and the filter of one known ``brand`` in it, for
    every ranking; unknown zones, windows and brands raise ``BadRequest``, a brand
    the key may not see is a 404."""
    principal.require_brand(brand)
    zone = _zone(tz)
    start_utc, end_utc = _window(start, end, zone)
    await _known(store, brand)
    where = replace(narrow, brand_ids=(brand,), start=start_utc, end=end_utc)
    return zone, start_utc, end_utc, where


def _net(row: StatRow) -> float:
    return round((row.positive - row.negative) / row.mentions, 6) if row.mentions else 0.0


SortParam = Annotated[
    Literal["mentions", "reach"], Query(description="rank by mentions or by reach")
]


def _ranked(rows: list[StatRow], sort: str, limit: int) -> list[StatRow]:
    """Most first by ``sort``, ties by the other figure, then by name."""

    def rank(r: StatRow) -> tuple[int, int, str]:
        first, second = (r.mentions, r.reach) if sort == "mentions" else (r.reach, r.mentions)
        return (-first, -second, str(r.key[0]))

    return sorted(rows, key=rank)[:limit]


_Rank = TypeVar("_Rank", OutletRank, AuthorRank)


def _rank_items(
    rows: list[StatRow], sort: str, limit: int, model: type[_Rank], name: str
) -> list[_Rank]:
    """``rows`` ranked (``_ranked``) as ``model`` items: the group's key under
    ``name``, its figures and its net sentiment."""
    return [
        model.model_validate(
            {
                name: str(r.key[0]),
                "mentions": r.mentions,
                "reach": r.reach,
                "positive": r.positive,
                "neutral": r.neutral,
                "negative": r.negative,
                "net_sentiment": _net(r),
            }
        )
        for r in _ranked(rows, sort, limit)
    ]


@router.get("/top-outlets")
async def top_outlets(
    store: StoreDep,
    principal: Reader,
    narrow: Narrowing,
    brand: BrandParam,
    start: FromParam = None,
    end: ToParam = None,
    tz: TzParam = "UTC",
    count: CountParam = "document",
    sort: SortParam = "mentions",
    limit: LimitParam = 10,
) -> TopOutlets:
    """The outlets that covered the brand most, with their sentiment toward it;
    ties by the other figure, then by name."""
    zone, start_utc, end_utc, where = await _brand_window(
        store, narrow, brand, start, end, tz, principal
    )
    top = StatTop(by=sort, limit=limit)
    rows = await store.mention_stats(where, group_by=("outlet",), tz=zone, count=count, top=top)
    items = _rank_items(rows, sort, limit, OutletRank, "outlet")
    return TopOutlets(
        brand=brand,
        start=start_utc.astimezone(zone),
        end=end_utc.astimezone(zone),
        count=count,
        items=items,
    )


@router.get("/top-authors")
async def top_authors(
    store: StoreDep,
    principal: Reader,
    narrow: Narrowing,
    brand: BrandParam,
    start: FromParam = None,
    end: ToParam = None,
    tz: TzParam = "UTC",
    count: CountParam = "document",
    sort: SortParam = "mentions",
    limit: LimitParam = 10,
) -> TopAuthors:
    """The authors (journalists) who covered the brand most, with their sentiment
    toward it; a document with several authors counts for each. Ties by the other
    figure, then by name."""
    zone, start_utc, end_utc, where = await _brand_window(
        store, narrow, brand, start, end, tz, principal
    )
    rows = await store.mention_stats(where, group_by=("author",), tz=zone, count=count)
    named = [r for r in rows if r.key[0] is not None]
    items = _rank_items(named, sort, limit, AuthorRank, "author")
    return TopAuthors(
        brand=brand,
        start=start_utc.astimezone(zone),
        end=end_utc.astimezone(zone),
        count=count,
        items=items,
        unattributed=sum(r.mentions for r in rows if r.key[0] is None),
    )


@router.get("/top-stories")
async def top_stories(
    store: StoreDep,
    principal: Reader,
    narrow: Narrowing,
    brand: BrandParam,
    start: FromParam = None,
    end: ToParam = None,
    tz: TzParam = "UTC",
    limit: LimitParam = 10,
) -> TopStories:
    """The brand's most syndicated stories in the window: most copies first, then
    most reach, then cluster id; each with the outlets that carried it."""
    zone, start_utc, end_utc, where = await _brand_window(
        store, narrow, brand, start, end, tz, principal
    )
    ranked = await store.mention_stats(
        where,
        group_by=("cluster",),
        tz=zone,
        count="document",
        top=StatTop(by="copies", limit=limit),
    )
    clusters = tuple(str(r.key[0]) for r in ranked)
    copies = (
        await store.mention_stats(
            replace(where, clusters=clusters),
            group_by=("cluster", "outlet"),
            tz=zone,
            count="outlet",
        )
        if clusters
        else []
    )
    outlets: dict[str, list[StoryOutlet]] = {}
    for r in copies:
        outlets.setdefault(str(r.key[0]), []).append(
            StoryOutlet(outlet=str(r.key[1]), copies=r.mentions)
        )
    items: list[StoryRank] = []
    for r in ranked:
        cluster = str(r.key[0])
        carried = sorted(outlets.get(cluster, []), key=lambda o: (-o.copies, o.outlet))
        first = await store.get_document(cluster)
        items.append(
            StoryRank(
                cluster_id=cluster,
                title=first.title if first else None,
                url=first.url if first else None,
                copies=sum(o.copies for o in carried),
                outlets=carried,
                reach=r.reach,
                sentiment="positive" if r.positive else "negative" if r.negative else "neutral",
            )
        )
    return TopStories(
        brand=brand, start=start_utc.astimezone(zone), end=end_utc.astimezone(zone), items=items
    )
