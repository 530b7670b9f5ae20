"""API schemas for share of voice, mention lists and single-item analysis."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crawlers import normalize_url
from enrichment import MessageMatch, SentimentLabel
from search import MentionHit
from service._schemas_config import MAX_LIST, ExclusionText, QueryText, ShortText


class Problem(BaseModel):
    """An RFC 9457 problem body: every 4xx/5xx answer has this shape."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[dict[str, object]] | None = None


MAX_KEY_MESSAGES = 20  # per brand in /v1/analyze: each costs one embedding per sentence pair


class MessagePublic(BaseModel):
    message: str
    sentence: str = Field(description="the document's sentence that carries or contradicts it")
    score: float = Field(description="cosine similarity of the two sentence embeddings")


class KeyMessagesPublic(BaseModel):
    """The brand's key messages found in the document, by stance."""

    carried: list[MessagePublic] = Field(default_factory=list)
    contradicted: list[MessagePublic] = Field(default_factory=list)

    @classmethod
    def of(cls, messages: Sequence[MessageMatch]) -> KeyMessagesPublic:
        def public(stance: str) -> list[MessagePublic]:
            return [
                MessagePublic(message=m.message, sentence=m.sentence, score=m.score)
                for m in messages
                if m.stance == stance
            ]

        return cls(carried=public("carried"), contradicted=public("contradicted"))


class SentimentPublic(BaseModel):
    label: SentimentLabel
    score: float


def hit_fields(hit: MentionHit) -> dict[str, Any]:
    """The fields every answer about one mention shows of its document and sentiment."""
    m = hit.mention
    return {
        "url": hit.url,
        "title": hit.title,
        "outlet": hit.outlet,
        "domain": hit.domain,
        "channel": hit.channel,
        "tier": hit.tier,
        "audience": hit.audience,
        "language": hit.language,
        "published_at": hit.published_at,
        "sentiment": SentimentPublic(label=m.sentiment.label, score=m.sentiment.score),
    }


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
    key_messages: KeyMessagesPublic = Field(default_factory=KeyMessagesPublic)
    cluster_id: str | None = Field(
        default=None, description="syndication cluster (id of its first copy); null: its own"
    )
    copies: int | None = Field(
        default=None,
        description="with `collapse=cluster`: how many of the brand's mentions in this "
        "cluster the filters cover (this one included); else null",
    )

    @classmethod
    def of(cls, hit: MentionHit) -> MentionPublic:
        m = hit.mention
        return cls(
            document_id=m.document_id,
            brand=m.brand_id,
            **hit_fields(hit),
            snippets=list(m.snippets),
            in_title=m.in_title,
            in_lead=m.in_lead,
            count=m.count,
            spokespeople=list(m.spokespeople),
            key_messages=KeyMessagesPublic.of(m.messages),
            cluster_id=m.cluster_id,
            copies=hit.copies,
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
    exclusions: list[ExclusionText] = Field(default_factory=list, max_length=MAX_LIST)
    key_messages: list[Annotated[str, Field(min_length=1, max_length=1000)]] = Field(
        default_factory=list,
        max_length=MAX_KEY_MESSAGES,
        description="key messages to look for (carried or contradicted)",
    )


class AnalyzeRequest(BaseModel):
    """One item to analyze: plain ``text``, a page's ``html``, or a ``url`` to fetch."""

    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, Field(max_length=1_000_000)] | None = None
    html: Annotated[str, Field(max_length=5_000_000)] | None = None
    url: Annotated[str, Field(max_length=2048)] | None = None
    title: Annotated[str, Field(max_length=1000)] | None = None
    brands: list[AnalyzeBrand] = Field(min_length=1, max_length=50)

    @field_validator("url")
    @classmethod
    def _absolute_http_url(cls, url: str | None) -> str | None:
        if url is not None:
            normalize_url(url)  # ValueError (a 422 naming body.url) if not absolute http(s)
        return url

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
    key_messages: KeyMessagesPublic = Field(default_factory=KeyMessagesPublic)


class AnalyzeResponse(BaseModel):
    title: str
    text: str
    language: str | None
    published_at: datetime | None
    authors: list[str]
    url: str | None
    mentions: list[AnalyzeMention]


class MessagePullThrough(BaseModel):
    """Pull-through of one key message (or, as ``overall``, of any of them)."""

    message: str | None = Field(description="the key message; null for the overall figure")
    carried: int = Field(description="mentions carrying it")
    carried_share: float = Field(description="carried / mentions; 0 when there are none")
    contradicted: int = Field(description="mentions contradicting it (counted apart)")
    contradicted_share: float


class PullThroughPublic(BaseModel):
    brand: str
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    mentions: int = Field(description="the brand's mentions in the window")
    overall: MessagePullThrough
    messages: list[MessagePullThrough] = Field(
        description="one per key message of the brand, in its order, then any other found"
    )
