"""API schemas of the shared KPIs compared between two windows: the scorecard
(``/v1/scorecard``) and campaign reports (``/v1/campaigns/{id}/report``).

Every figure is a ``Change``: its value in ``period``, in ``baseline`` (the window
of the same length immediately before), the absolute change and the relative
change. Ratios (shares, net sentiment, pull-through) are in [0, 1] (net sentiment
in [-1, 1]), so their ``change`` is in points of the ratio (0.05 = 5 percentage
points) and ``relative_change`` is relative to the baseline's ratio.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from search import CountBy
from search._sov import Voice
from service._kpis import Kpis
from service._schemas_executives import SpokespersonVisibility

__all__ = [
    "BrandChange",
    "Change",
    "Comparison",
    "KpiChanges",
    "MessageChange",
    "Scorecard",
    "SpokespersonChange",
    "Window",
    "change",
]

_DIGITS = 6  # ratios are rounded: dashboards show percentages, not float noise
Number = int | float


class Change(BaseModel):
    """One figure in the period and in the baseline, and how it moved."""

    current: Number | None = Field(description="the figure in `period`; null: undefined")
    baseline: Number | None = Field(description="the figure in `baseline`; null: undefined")
    change: Number | None = Field(description="current - baseline; null when either is null")
    relative_change: float | None = Field(
        description="(current - baseline) / |baseline|; null when the baseline is 0 or null"
    )


def _round(value: Number | None) -> Number | None:
    return round(value, _DIGITS) if isinstance(value, float) else value


def change(current: Number | None, baseline: Number | None) -> Change:
    """A ``Change`` (ratios rounded to ``_DIGITS``; counts stay integers)."""
    if current is None or baseline is None:
        return Change(current=_round(current), baseline=_round(baseline), change=None,
                      relative_change=None)  # fmt: skip
    delta = current - baseline
    relative = delta / abs(baseline) if baseline else None
    return Change(
        current=_round(current),
        baseline=_round(baseline),
        change=_round(delta),
        relative_change=None if relative is None else round(relative, _DIGITS),
    )


class KpiChanges(BaseModel):
    """The shared KPIs of the brand (see PRODUCT.md's definitions)."""

    coverage_volume: Change = Field(
        description="the brand's mentions (`count=document`: a syndicated story once)"
    )
    share_of_voice: Change = Field(
        description="volume SoV: the brand's mentions / mentions of the whole set"
    )
    reach: Change = Field(description="summed outlet audience of the brand's mentions")
    reach_share: Change = Field(description="reach-weighted SoV: reach / reach of the set")
    net_sentiment: Change = Field(description="(positive - negative) / the brand's mentions")
    positive_share: Change = Field(
        description="positive SoV: the brand's positive mentions / positive mentions of the set"
    )
    positive_rate: Change = Field(description="positive mentions / the brand's mentions")
    tier1_placements: Change = Field(description="the brand's mentions in tier-1 outlets")
    pull_through: Change = Field(
        description="share of the brand's mentions (every copy) carrying at least one key message"
    )
    executive_mentions: Change = Field(
        description="mentions quoting each of the brand's spokespeople, summed"
    )
    executive_share_of_voice: Change = Field(
        description="the brand's spokespeople's share of all spokesperson mentions of the set"
    )
    earned_sessions: Change = Field(
        description="sessions on the brand's owned domains referred by coverage"
    )
    earned_conversions: Change = Field(description="conversions of the earned sessions")
    sessions: Change = Field(description="all sessions on the brand's owned domains")
    earned_share: Change = Field(
        description="earned sessions / all sessions; null when there were none"
    )

    @classmethod
    def of(cls, now: Kpis, before: Kpis) -> KpiChanges:
        def pair(get: Callable[[Kpis], Number | None]) -> Change:
            return change(get(now), get(before))

        def pulled(k: Kpis) -> float:
            p = k.pull_through
            return p.any_carried / p.mentions if p.mentions else 0.0

        return cls(
            coverage_volume=pair(lambda k: k.voice.tally.mentions),
            share_of_voice=pair(lambda k: k.voice.share),
            reach=pair(lambda k: k.voice.tally.reach),
            reach_share=pair(lambda k: k.voice.reach_share),
            net_sentiment=pair(lambda k: k.voice.net_sentiment),
            positive_share=pair(lambda k: k.voice.positive_share),
            positive_rate=pair(
                lambda k: (
                    k.voice.tally.positive / k.voice.tally.mentions
                    if k.voice.tally.mentions
                    else 0.0
                )
            ),
            tier1_placements=pair(lambda k: k.tier1.get(k.brand_id, 0)),
            pull_through=pair(pulled),
            executive_mentions=pair(lambda k: k.executive_mentions),
            executive_share_of_voice=pair(lambda k: k.executive_share),
            earned_sessions=pair(lambda k: k.traffic.earned_sessions),
            earned_conversions=pair(lambda k: k.traffic.earned_conversions),
            sessions=pair(lambda k: k.traffic.sessions),
            earned_share=pair(lambda k: k.traffic.earned_share),
        )


class MessageChange(BaseModel):
    message: str = Field(description="a key message of the brand")
    carried: Change = Field(description="the brand's mentions carrying it")
    carried_share: Change = Field(description="carried / the brand's mentions")
    contradicted: Change = Field(description="mentions contradicting it (never pull-through)")

    @classmethod
    def all_of(cls, now: Kpis, before: Kpis) -> list[MessageChange]:
        """The brand's key messages, then any other message found in either window."""
        found = (now.pull_through, before.pull_through)
        messages = list(dict.fromkeys([*now.key_messages, *(m for p in found for m in p.carried)]))

        def share(carried: int, total: int) -> float:
            return carried / total if total else 0.0

        a, b = found
        return [
            cls(
                message=m,
                carried=change(a.carried.get(m, 0), b.carried.get(m, 0)),
                carried_share=change(
                    share(a.carried.get(m, 0), a.mentions), share(b.carried.get(m, 0), b.mentions)
                ),
                contradicted=change(a.contradicted.get(m, 0), b.contradicted.get(m, 0)),
            )
            for m in messages
        ]


class SpokespersonChange(BaseModel):
    brand: str
    spokesperson: str
    mentions: Change = Field(description="mentions of the brand quoting them")
    share_of_voice: Change = Field(
        description="their mentions / mentions of every spokesperson of the set"
    )
    reach: Change
    net_sentiment: Change = Field(description="of the brand, in the mentions quoting them")

    @classmethod
    def all_of(cls, now: Kpis, before: Kpis) -> list[SpokespersonChange]:
        """Every spokesperson of either window, ranked as in the current window (most
        mentions first, then most reach, brand, name: ``/v1/executive-visibility``)."""
        old = {(s.brand, s.spokesperson): s for s in before.spokespeople}
        new = {(s.brand, s.spokesperson): s for s in now.spokespeople}
        keys = list(dict.fromkeys([*new, *old]))
        out: list[SpokespersonChange] = []
        for key in keys:
            a, b = new.get(key), old.get(key)
            out.append(
                cls(
                    brand=key[0],
                    spokesperson=key[1],
                    mentions=change(_count(a, "mentions"), _count(b, "mentions")),
                    share_of_voice=change(_ratio(a, "share"), _ratio(b, "share")),
                    reach=change(_count(a, "reach"), _count(b, "reach")),
                    net_sentiment=change(_ratio(a, "net_sentiment"), _ratio(b, "net_sentiment")),
                )
            )
        return out


def _count(s: SpokespersonVisibility | None, name: str) -> int:
    return 0 if s is None else int(getattr(s, name))


def _ratio(s: SpokespersonVisibility | None, name: str) -> float:
    return 0.0 if s is None else float(getattr(s, name))


class BrandChange(BaseModel):
    """One brand of the competitive set."""

    brand: str
    mentions: Change
    share_of_voice: Change
    reach: Change
    reach_share: Change
    net_sentiment: Change
    tier1_placements: Change

    @classmethod
    def all_of(cls, now: Kpis, before: Kpis) -> list[BrandChange]:
        old = {v.brand_id: v for v in before.voices}
        out: list[BrandChange] = []
        for v in now.voices:
            w: Voice = old[v.brand_id]
            out.append(
                cls(
                    brand=v.brand_id,
                    mentions=change(v.tally.mentions, w.tally.mentions),
                    share_of_voice=change(v.share, w.share),
                    reach=change(v.tally.reach, w.tally.reach),
                    reach_share=change(v.reach_share, w.reach_share),
                    net_sentiment=change(v.net_sentiment, w.net_sentiment),
                    tier1_placements=change(
                        now.tier1.get(v.brand_id, 0), before.tier1.get(v.brand_id, 0)
                    ),
                )
            )
        return out


class Window(BaseModel):
    start: datetime = Field(serialization_alias="from", description="inclusive, in `tz`")
    end: datetime = Field(serialization_alias="to", description="exclusive, in `tz`")

    @classmethod
    def of(cls, start: datetime, end: datetime, tz: ZoneInfo) -> Window:
        return cls(start=start.astimezone(tz), end=end.astimezone(tz))


class Comparison(BaseModel):
    """The shared KPIs of ``brand`` in ``period`` against ``baseline``."""

    brand: str
    brands: list[str] = Field(description="the competitive set, the brand first")
    count: CountBy = Field(description="how syndicated copies count (see /v1/share-of-voice)")
    time_zone: str
    period: Window
    baseline: Window = Field(description="the window of the same length right before `period`")
    kpis: KpiChanges
    key_messages: list[MessageChange] = Field(description="pull-through per key message")
    spokespeople: list[SpokespersonChange] = Field(
        description="executive visibility: every spokesperson of the set, most mentions first"
    )
    competitive_set: list[BrandChange]

    @classmethod
    def fields_of(cls, now: Kpis, before: Kpis, *, count: CountBy, tz: ZoneInfo) -> dict[str, Any]:
        """The fields every comparison shares (a subclass adds its own)."""
        return {
            "brand": now.brand_id,
            "brands": [v.brand_id for v in now.voices],
            "count": count,
            "time_zone": tz.key,
            "period": Window.of(now.start, now.end, tz),
            "baseline": Window.of(before.start, before.end, tz),
            "kpis": KpiChanges.of(now, before),
            "key_messages": MessageChange.all_of(now, before),
            "spokespeople": SpokespersonChange.all_of(now, before),
            "competitive_set": BrandChange.all_of(now, before),
        }


class Scorecard(Comparison):
    """``GET /v1/scorecard``: the one view PR, marketing and leadership report from."""

    @classmethod
    def of(cls, now: Kpis, before: Kpis, *, count: CountBy, tz: ZoneInfo) -> Scorecard:
        return cls(**cls.fields_of(now, before, count=count, tz=tz))
