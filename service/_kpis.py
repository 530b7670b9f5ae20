"""The shared KPIs of one brand over one window: what the scorecard and campaign
reports compare between two windows.

``measure`` reads the store (five aggregations, run together) and folds them with
the share-of-voice arithmetic of ``search._sov`` (never re-derived here):

- coverage volume, reach, sentiment and the shares of voice: ``Store.mention_stats``
  by brand over the competitive set, counted ``count=document`` (a syndicated story
  once per cluster) or ``count=outlet``, folded by ``search._sov.voices``;
- tier-1 placements: the same over the copies in tier ``TIER_ONE`` only (a story
  syndicated into tier 1 and tier 3 is one tier-1 placement, at its first tier-1 copy);
- key-message pull-through: ``Store.pull_through`` of the brand's mentions (every
  copy counts: a message carried by a syndicated copy reached that outlet's readers);
- executive visibility: ``mention_stats`` by brand and spokesperson over the set,
  folded by ``service._executives`` (as ``/v1/executive-visibility`` folds them):
  each spokesperson's share is of the mentions of every spokesperson of the set;
- earned traffic: ``TrafficStore.traffic_slots`` of the brand (sessions on its owned
  domains; earned = attributed to coverage), summed as ``/v1/traffic/earned`` sums
  them; with ``tags``, also the earned traffic whose campaign is one of them.

Traffic carries no channel, market or tier: the coverage filters do not narrow it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from enrichment import Brand
from search import (
    CountBy,
    MentionFilter,
    PullThrough,
    StatRow,
    Store,
    TrafficRow,
    traffic_store,
)
from search._sov import Tally, Voice, voices
from service._executives import roster_of, visibility_totals
from service._routes_traffic import _totals
from service._schemas_executives import SpokespersonVisibility
from service._schemas_traffic import EarnedTotals

__all__ = ["TIER_ONE", "Kpis", "measure"]

TIER_ONE = 1
"""The tier of a "tier-1 placement": sources' tiers rank influence, 1 = most."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Kpis:
    """Every shared KPI of ``brand_id`` over ``[start, end)`` (see the module docstring).

    ``voices`` holds one ``Voice`` per brand of the set (the brand first);
    ``tier1`` the tier-1 units per brand; ``spokespeople`` every spokesperson of
    the set (configured, or quoted in the window) as ``/v1/executive-visibility``
    ranks them, and ``spokesperson_mentions`` the mentions of them all.
    """

    brand_id: str
    start: datetime
    end: datetime
    voices: tuple[Voice, ...]
    tier1: dict[str, int]
    pull_through: PullThrough
    key_messages: tuple[str, ...]
    spokespeople: tuple[SpokespersonVisibility, ...]
    spokesperson_mentions: int
    traffic: EarnedTotals
    tagged_sessions: int = 0
    tagged_conversions: int = 0

    @property
    def voice(self) -> Voice:
        """The brand's own figures."""
        return next(v for v in self.voices if v.brand_id == self.brand_id)

    @property
    def executive_mentions(self) -> int:
        """Mentions of the brand's spokespeople (a mention naming two counts twice)."""
        return sum(s.mentions for s in self.spokespeople if s.brand == self.brand_id)

    @property
    def executive_share(self) -> float:
        """The brand's spokespeople's share of every spokesperson mention of the set."""
        total = self.spokesperson_mentions
        return self.executive_mentions / total if total else 0.0


def _tallies(rows: Sequence[StatRow]) -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}
    for row in rows:
        brand = str(row.key[0])
        tallies[brand] = tallies.get(brand, Tally()) + Tally.of(row)
    return tallies


async def measure(
    store: Store,
    *,
    brands: Sequence[Brand],
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    narrow: MentionFilter | None = None,
    count: CountBy = "document",
    tags: tuple[str, ...] = (),
) -> Kpis:
    """The KPIs of ``brands[0]`` in the set ``brands`` over ``[start, end)`` (aware
    UTC times), coverage narrowed by ``narrow``'s channel / market / language /
    outlet / tier filters (its brands and window are replaced). Store errors
    propagate."""
    brand = brands[0]
    ids = tuple(b.id for b in brands)
    where = replace(narrow or MentionFilter(), brand_ids=ids, start=start, end=end)
    traffic = traffic_store(store)

    async def tier_one() -> list[StatRow]:
        """Units in tier 1: the filter reads only tier-1 copies (a small part of all)."""
        if where.tiers and TIER_ONE not in where.tiers:
            return []  # the caller's filter leaves tier 1 out
        tier1_only = replace(where, tiers=(TIER_ONE,))
        return await store.mention_stats(tier1_only, group_by=("brand",), tz=tz, count=count)

    async def by_campaign() -> list[TrafficRow]:
        if not tags:
            return []
        return await traffic.traffic_breakdown(brand.id, start=start, end=end, by="campaign")

    by_brand, by_tier, by_spokesperson, pulled, slots, campaigns = await asyncio.gather(
        store.mention_stats(where, group_by=("brand",), tz=tz, count=count),
        tier_one(),
        store.mention_stats(where, group_by=("brand", "spokesperson"), tz=tz, count=count),
        store.pull_through(replace(where, brand_ids=(brand.id,))),
        traffic.traffic_slots(brand.id, start=start, end=end),
        by_campaign(),
    )
    tier1 = {str(row.key[0]): row.mentions for row in by_tier}
    tagged = [r for r in campaigns if r.key in tags]
    tallies = _tallies(by_brand)
    spokespeople, spoken, _ = visibility_totals(
        by_spokesperson,
        roster=roster_of(brands, by_spokesperson),
        brand_mentions={b: t.mentions for b, t in tallies.items()},
    )
    return Kpis(
        brand_id=brand.id,
        start=start,
        end=end,
        voices=voices(tallies, ids),
        tier1=tier1,
        pull_through=pulled,
        key_messages=brand.key_messages,
        spokespeople=tuple(spokespeople),
        spokesperson_mentions=spoken,
        traffic=_totals(slots),
        tagged_sessions=sum(r.sessions for r in tagged),
        tagged_conversions=sum(r.conversions for r in tagged),
    )
