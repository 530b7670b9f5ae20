"""The nouns of enrichment: what is tracked (brands) and what was found (mentions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SentimentLabel = Literal["negative", "neutral", "positive"]
SENTIMENT_LABELS: tuple[SentimentLabel, ...] = ("negative", "neutral", "positive")

Location = Literal["title", "lead", "body"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Brand:
    """A tracked organisation, product or person.

    ``query`` is written in Clarion's boolean query language (see
    ``enrichment.parse_query``); an empty query means "any of the name and
    aliases as phrases". ``competitors`` are brand ids: the brand and its
    competitors form its competitive set for share of voice.
    """

    id: str
    name: str
    query: str = ""
    aliases: tuple[str, ...] = ()
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
