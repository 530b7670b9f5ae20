"""API schemas for share of voice, mention lists and single-item analysis."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from enrichment import SentimentLabel
from search import Interval, MentionHit
from service._schemas_config import QueryText, ShortText


class Problem(BaseModel):
    """An RFC 9457 problem body: every 4xx/5xx answer has this shape."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[dict[str, object]] | None = None


class BrandShare(BaseModel):
    brand: str
    mentions: int
    share: float = Field(description="mentions / all mentions of the set; 0 when the set has none")


class ShareBucket(BaseModel):
    start: datetime
    total: int
    brands: list[BrandShare]


class ShareOfVoice(BaseModel):
    brands: list[str]
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    interval: Interval
    time_zone: str
    totals: list[BrandShare]
    series: list[ShareBucket]


class SentimentPublic(BaseModel):
    label: SentimentLabel
    score: float


class MentionPublic(BaseModel):
    document_id: str
    brand: str
    url: str
    title: str
    outlet: str
    domain: str
    channel: str
    tier: int
    audience: int
    language: str | None
    published_at: datetime
    sentiment: SentimentPublic
    snippets: list[str]
    in_title: bool
    in_lead: bool
    count: int
    spokespeople: list[str]

    @classmethod
    def of(cls, hit: MentionHit) -> MentionPublic:
        m = hit.mention
        return cls(
            document_id=m.document_id,
            brand=m.brand_id,
            url=hit.url,
            title=hit.title,
            outlet=hit.outlet,
            domain=hit.domain,
            channel=hit.channel,
            tier=hit.tier,
            audience=hit.audience,
            language=hit.language,
            published_at=hit.published_at,
            sentiment=SentimentPublic(label=m.sentiment.label, score=m.sentiment.score),
            snippets=list(m.snippets),
            in_title=m.in_title,
            in_lead=m.in_lead,
            count=m.count,
            spokespeople=list(m.spokespeople),
        )


class MentionsPage(BaseModel):
    items: list[MentionPublic]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )


class AnalyzeBrand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: ShortText
    query: QueryText = ""


class AnalyzeRequest(BaseModel):
    """One item to analyze: plain ``text``, a page's ``html``, or a ``url`` to fetch."""

    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, Field(max_length=1_000_000)] | None = None
    html: Annotated[str, Field(max_length=5_000_000)] | None = None
    url: Annotated[str, Field(max_length=2048)] | None = None
    title: Annotated[str, Field(max_length=1000)] | None = None
    brands: list[AnalyzeBrand] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _something_to_analyze(self) -> AnalyzeRequest:
        if not (self.text or self.html or self.url):
            raise ValueError("give at least one of text, html or url")
        return self


class AnalyzeMention(BaseModel):
    brand: str
    sentiment: SentimentPublic
    snippets: list[str]
    in_title: bool
    in_lead: bool
    count: int


class AnalyzeResponse(BaseModel):
    title: str
    text: str
    language: str | None
    published_at: datetime | None
    authors: list[str]
    url: str | None
    mentions: list[AnalyzeMention]
