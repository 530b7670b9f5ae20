"""API schemas for the coverage rankings (``/v1/coverage/...``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from enrichment import SentimentLabel
from search import CountBy


class OutletRank(BaseModel):
    outlet: str
    mentions: int
    reach: int
    positive: int
    neutral: int
    negative: int
    net_sentiment: float = Field(description="(positive - negative) / mentions toward the brand")


class _Ranking(BaseModel):
    """The fields every per-brand ranking shares; subclasses add ``items``."""

    brand: str
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    count: CountBy


class TopOutlets(_Ranking):
    items: list[OutletRank]


class AuthorRank(BaseModel):
    author: str
    mentions: int
    reach: int
    positive: int
    neutral: int
    negative: int
    net_sentiment: float = Field(description="(positive - negative) / mentions toward the brand")


class TopAuthors(_Ranking):
    items: list[AuthorRank]
    unattributed: int = Field(description="mentions in documents with no author (not ranked)")


class StoryOutlet(BaseModel):
    outlet: str
    copies: int


class StoryRank(BaseModel):
    cluster_id: str = Field(description="the id of the story's first document")
    title: str | None = Field(description="the first document's title; null if it is gone")
    url: str | None
    copies: int = Field(description="documents of the cluster in the window")
    outlets: list[StoryOutlet] = Field(description="outlets that carried it, most copies first")
    reach: int = Field(description="audience of each distinct outlet, once")
    sentiment: SentimentLabel = Field(description="toward the brand, in its first copy")


class TopStories(BaseModel):
    brand: str
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    items: list[StoryRank]
