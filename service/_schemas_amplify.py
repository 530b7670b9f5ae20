"""API schemas of ``/v1/amplify`` (amplification candidates)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from service._amplify import Candidate
from service._schemas_metrics import SentimentPublic, hit_fields


class ComponentsPublic(BaseModel):
    """The score's parts, each in [0, 1]; see ``weights`` for how they add up."""

    sentiment: float
    reach: float
    tier: float
    messages: float
    engagement: float | None = Field(
        description="null when the document carries no engagement counts (its weight "
        "is spread over the other components)"
    )
    freshness: float


class AmplifyCandidate(BaseModel):
    rank: int
    score: float = Field(description="weighted mean of the components, 0 to 1")
    components: ComponentsPublic
    reasons: list[str] = Field(description="why it ranks, for people")
    document_id: str
    cluster_id: str = Field(description="the syndication cluster (its first copy's id)")
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
    carried: list[str] = Field(description="key messages the story carries")
    contradicted: list[str] = Field(description="key messages the story contradicts")
    engagement: dict[str, int] = Field(description="the post's engagement counts, if any")
    also_in: list[str] = Field(description="outlets of the story's other copies")

    @classmethod
    def of(cls, rank: int, c: Candidate) -> AmplifyCandidate:
        hit, m = c.hit, c.hit.mention
        return cls(
            rank=rank,
            score=c.score,
            components=ComponentsPublic(
                sentiment=round(c.components.sentiment, 6),
                reach=round(c.components.reach, 6),
                tier=round(c.components.tier, 6),
                messages=round(c.components.messages, 6),
                engagement=None
                if c.components.engagement is None
                else round(c.components.engagement, 6),
                freshness=round(c.components.freshness, 6),
            ),
            reasons=list(c.reasons),
            document_id=m.document_id,
            cluster_id=m.cluster_id or m.document_id,
            **hit_fields(hit),
            carried=list(c.carried),
            contradicted=list(c.contradicted),
            engagement=dict(c.engagement),
            also_in=list(c.also_in),
        )


class AmplifyList(BaseModel):
    brand: str
    brand_name: str
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to", description="the time ranked at")
    days: int
    sentiment: list[str] = Field(description="the sentiment labels admitted")
    weights: dict[str, float] = Field(description="each component's weight")
    half_life_hours: float = Field(description="freshness halves every this many hours")
    items: list[AmplifyCandidate]
