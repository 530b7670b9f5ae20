"""The nouns of enrichment: what is tracked (brands) and what was found (mentions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SentimentLabel = Literal["negative", "neutral", "positive"]
SENTIMENT_LABELS: tuple[SentimentLabel, ...] = ("negative", "neutral", "positive")

Location = Literal["title", "lead", "body"]

Stance = Literal["carried", "contradicted"]
"""How a sentence relates to a key message: it says it, or it says the opposite."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Brand:
    """A tracked organisation, product or person.

    ``query`` is written in Clarion's boolean query language (see
    ``enrichment.parse_query``); an empty query means "any of the name and
    aliases as phrases". ``exclusions`` are known false friends (``apple
    pie`` for Apple): phrases, or queries that are a phrase, a NEAR or an OR of
    those, whose hits do not count as the brand's (``enrichment.brand_query``).
    ``competitors`` are brand ids: the brand and its
    competitors form its competitive set for share of voice.
    """

    id: str
    name: str
    query: str = ""
    aliases: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()
    competitors: tuple[str, ...] = ()
    owned_domains: tuple[str, ...] = ()
    spokespeople: tuple[str, ...] = ()
    key_messages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Sentiment:
    """Sentiment toward one brand: a label and the model's probability for it."""

    label: SentimentLabel
    score: float


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageMatch:
    """A key message found in a mention's document (``enrichment._messages``).

    ``message`` is the brand's key message as written in its configuration;
    ``sentence`` the document's sentence that carries or contradicts it;
    ``score`` the cosine similarity of their sentence embeddings.
    """

    message: str
    stance: Stance
    sentence: str
    score: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Mention:
    """A document × brand pair: where and how the brand appears in the document."""

    document_id: str
    brand_id: str
    sentiment: Sentiment
    snippets: tuple[str, ...] = ()
    in_title: bool = False
    in_lead: bool = False
    count: int = 0
    spokespeople: tuple[str, ...] = field(default=())
    cluster_id: str | None = None
    """The syndication cluster of the document (the id of its first copy);
    ``None`` means the document is its own cluster."""
    messages: tuple[MessageMatch, ...] = ()
    """Key messages of the brand carried or contradicted by the document."""
