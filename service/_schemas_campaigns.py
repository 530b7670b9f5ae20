"""API schemas of campaigns (``/v1/campaigns``) and their reports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from search import Campaign, CountBy
from service._kpis import Kpis
from service._routes_metrics import _date_or_datetime
from service._schemas_config import ShortText, Slug
from service._schemas_kpis import Change, Comparison, change

__all__ = [
    "CampaignCreate",
    "CampaignPublic",
    "CampaignReport",
    "CampaignsPublic",
    "TaggedTraffic",
]

MAX_TAGS = 50  # utm_campaign values of one campaign: generous, but bounded
Tag = Annotated[str, Field(min_length=1, max_length=200)]
When = Annotated[
    datetime,
    BeforeValidator(_date_or_datetime),
    Field(description="a date (midnight) or a date-time; naive = UTC"),
]


def _utc(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


class CampaignCreate(BaseModel):
    """A campaign: a brand, a window (``start`` inclusive, ``end`` exclusive) and the
    tags (``utm_campaign`` values) its traffic carries."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: Slug
    brand: Slug = Field(description="the brand id")
    name: ShortText
    start: When
    end: When
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    description: Annotated[str, Field(max_length=2000)] = ""

    @model_validator(mode="after")
    def _end_after_start(self) -> CampaignCreate:
        if _utc(self.end) <= _utc(self.start):
            raise ValueError("`end` must be after `start`")
        return self

    def to_campaign(self) -> Campaign:
        return Campaign(
            id=self.id,
            brand_id=self.brand,
            name=self.name,
            start=_utc(self.start),
            end=_utc(self.end),
            tags=tuple(dict.fromkeys(self.tags)),
            description=self.description,
        )


class CampaignPublic(BaseModel):
    id: str
    brand: str
    name: str
    start: datetime = Field(description="inclusive, UTC")
    end: datetime = Field(description="exclusive, UTC")
    tags: list[str]
    description: str

    @classmethod
    def of(cls, c: Campaign) -> CampaignPublic:
        return cls(
            id=c.id,
            brand=c.brand_id,
            name=c.name,
            start=c.start,
            end=c.end,
            tags=list(c.tags),
            description=c.description,
        )


class CampaignsPublic(BaseModel):
    items: list[CampaignPublic] = Field(description="latest start first, ties by id")


class TaggedTraffic(BaseModel):
    """Earned traffic whose campaign (``utm_campaign``) is one of the campaign's tags."""

    tags: list[str]
    earned_sessions: Change
    earned_conversions: Change


class CampaignReport(Comparison):
    """The shared KPIs during the campaign (``period``; up to now while it runs)
    against the window of the same length right before it (``baseline``)."""

    campaign: CampaignPublic
    complete: bool = Field(description="false while the campaign runs: `period` ends now")
    tagged_traffic: TaggedTraffic

    @classmethod
    def of(
        cls,
        campaign: Campaign,
        now: Kpis,
        before: Kpis,
        *,
        complete: bool,
        count: CountBy,
        tz: ZoneInfo,
    ) -> CampaignReport:
        fields: dict[str, Any] = cls.fields_of(now, before, count=count, tz=tz)
        return cls(
            **fields,
            campaign=CampaignPublic.of(campaign),
            complete=complete,
            tagged_traffic=TaggedTraffic(
                tags=list(campaign.tags),
                earned_sessions=change(now.tagged_sessions, before.tagged_sessions),
                earned_conversions=change(now.tagged_conversions, before.tagged_conversions),
            ),
        )
