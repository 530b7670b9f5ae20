"""API schemas for share of voice (``/v1/share-of-voice``) and its CSV form."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from search import CountBy, Interval
from search._sov import Tally, Voice, VoiceCell

Breakdown = Literal["channel", "market", "tier", "outlet", "language"]
"""What ``by`` can break share of voice down by (``market`` is the country)."""

_DIGITS = 6  # ratios are rounded: dashboards show percentages, not float noise


class BrandVoice(BaseModel):
    """One brand's figures and every SoV variant, in one cell (window, bucket or group)."""

    brand: str
    mentions: int
    share: float = Field(description="volume SoV: mentions / all mentions of the set; 0 if none")
    reach: int = Field(description="summed audience; each outlet once per document")
    reach_share: float = Field(description="reach-weighted SoV: reach / reach of the set")
    positive: int
    neutral: int
    negative: int
    positive_share: float = Field(description="positive SoV: positive / positive of the set")
    net_sentiment: float = Field(description="(positive - negative) / mentions of the brand")

    @classmethod
    def of(cls, v: Voice) -> BrandVoice:
        t = v.tally
        return cls(
            brand=v.brand_id,
            mentions=t.mentions,
            share=round(v.share, _DIGITS),
            reach=t.reach,
            reach_share=round(v.reach_share, _DIGITS),
            positive=t.positive,
            neutral=t.neutral,
            negative=t.negative,
            positive_share=round(v.positive_share, _DIGITS),
            net_sentiment=round(v.net_sentiment, _DIGITS),
        )


class SetTotal(BaseModel):
    mentions: int
    reach: int
    positive: int
    neutral: int
    negative: int

    @classmethod
    def of(cls, t: Tally) -> SetTotal:
        return cls(
            mentions=t.mentions,
            reach=t.reach,
            positive=t.positive,
            neutral=t.neutral,
            negative=t.negative,
        )


class VoiceBucket(BaseModel):
    start: datetime = Field(description="bucket start, local time in `tz`")
    total: int = Field(description="mentions of the whole set in the bucket")
    reach: int = Field(description="reach of the whole set in the bucket")
    brands: list[BrandVoice]

    @classmethod
    def of(cls, cell: VoiceCell) -> VoiceBucket:
        assert cell.start is not None
        return cls(
            start=cell.start,
            total=cell.total.mentions,
            reach=cell.total.reach,
            brands=[BrandVoice.of(v) for v in cell.voices],
        )


class VoiceGroup(BaseModel):
    key: str | int | None = Field(description="the group's value; null: documents without one")
    total: SetTotal
    brands: list[BrandVoice]

    @classmethod
    def of(cls, cell: VoiceCell) -> VoiceGroup:
        return cls(
            key=cell.key,
            total=SetTotal.of(cell.total),
            brands=[BrandVoice.of(v) for v in cell.voices],
        )


class ShareOfVoice(BaseModel):
    """Every SoV variant per brand, over the window (``totals``), per bucket
    (``series``) and, with ``by``, per group (``breakdown``): shares are within
    the cell (the bucket, or the group)."""

    brands: list[str]
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    interval: Interval
    time_zone: str
    count: CountBy
    by: Breakdown | None
    total: SetTotal
    totals: list[BrandVoice]
    series: list[VoiceBucket]
    breakdown: list[VoiceGroup] | None = Field(
        description="with `by`: one group per value, most mentions first; else null"
    )
