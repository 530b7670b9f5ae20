"""Request and response bodies of the earned-traffic API (``service._routes_traffic``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "BreakdownPublic",
    "BreakdownRow",
    "EarnedBucket",
    "EarnedSeries",
    "EarnedTotals",
    "IngestResult",
    "ReattributeResult",
    "TrafficEventIn",
]

MAX_ID_BYTES = 256
"""Longest event id: well under Elasticsearch's 512-byte ``_id`` limit, and longer than
any UUID, hash or analytics row key a client sends."""


class TrafficEventIn(BaseModel):
    """One visit (or ``sessions`` visits) to an owned page."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, description="client idempotency id")
    timestamp: AwareDatetime
    landing_url: str = Field(min_length=1, max_length=4096)
    referrer: str = Field(default="", max_length=4096, description="a URL, or empty")
    sessions: int = Field(default=1, ge=1, le=10_000_000)
    conversions: int = Field(default=0, ge=0, le=10_000_000)
    utm_source: str | None = Field(default=None, max_length=500)
    utm_medium: str | None = Field(default=None, max_length=500)
    utm_campaign: str | None = Field(default=None, max_length=500)
    tags: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=50)

    @field_validator("id")
    @classmethod
    def _short_id(cls, value: str) -> str:
        if len(value.encode("utf-8")) > MAX_ID_BYTES:
            raise ValueError(f"at most {MAX_ID_BYTES} bytes (UTF-8)")
        return value

    @field_validator("landing_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.strip().lower().startswith(("http://", "https://")):
            raise ValueError("must be an absolute http(s) URL")
        return value.strip()


class IngestResult(BaseModel):
    received: int
    created: int
    duplicates: int
    earned: int = Field(description="of the created events, those attributed as earned")
    unowned: int = Field(description="events whose landing page is on no brand's domain")


class ReattributeResult(BaseModel):
    events: int = Field(description="events judged again")
    changed: int = Field(description="events whose attribution changed")


class EarnedBucket(BaseModel):
    start: datetime
    sessions: int = Field(description="earned sessions")
    conversions: int = Field(description="earned conversions")
    total_sessions: int = Field(description="all sessions on the brand's owned domains")


class EarnedTotals(BaseModel):
    earned_sessions: int
    earned_conversions: int
    sessions: int = Field(description="all sessions on the brand's owned domains")
    conversions: int
    earned_share: float | None = Field(description="earned_sessions / sessions; null when 0")


class EarnedSeries(BaseModel):
    brand: str
    start: datetime
    end: datetime
    interval: Literal["hour", "day", "week"]
    tz: str
    buckets: list[EarnedBucket]
    totals: EarnedTotals


class BreakdownRow(BaseModel):
    key: str = Field(description="document id, outlet domain or campaign ('' = none)")
    sessions: int
    conversions: int
    share: float = Field(description="of the brand's earned sessions in the window")
    url: str | None = None
    title: str | None = None


class BreakdownPublic(BaseModel):
    brand: str
    by: Literal["outlet", "document", "campaign"]
    start: datetime
    end: datetime
    rows: list[BreakdownRow]
    totals: EarnedTotals
