"""API schemas of ``/v1/executive-visibility``."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from search import CountBy, Interval


class SpokespersonVisibility(BaseModel):
    spokesperson: str
    brand: str = Field(description="the brand whose spokesperson this is")
    mentions: int = Field(description="the brand's mentions that quote or name them")
    share: float = Field(description="share of voice among the set's spokespeople")
    reach: int
    reach_share: float = Field(description="reach ÷ the set's spokespeople's reach")
    positive: int
    neutral: int
    negative: int
    net_sentiment: float = Field(
        description="(positive - negative) / mentions, toward the brand, in these mentions"
    )
    brand_mentions: int = Field(description="all the brand's mentions in the window")
    brand_share: float = Field(
        description="mentions ÷ brand_mentions: the brand's coverage "
        "that features this spokesperson"
    )


class SpokespersonPoint(BaseModel):
    spokesperson: str
    brand: str
    mentions: int
    share: float
    reach: int


class VisibilityBucket(BaseModel):
    start: datetime
    mentions: int = Field(description="all the set's spokespeople's mentions in the bucket")
    items: list[SpokespersonPoint]


class ExecutiveVisibility(BaseModel):
    brand: str | None = Field(description="the brand asked for (its competitive set)")
    brands: list[str]
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    time_zone: str
    count: CountBy
    interval: Interval | None
    mentions: int = Field(
        description="the set's spokespeople's mentions (a mention naming "
        "two spokespeople counts for each)"
    )
    reach: int
    items: list[SpokespersonVisibility]
    series: list[VisibilityBucket] | None = None
