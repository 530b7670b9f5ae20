"""Clarion's enrichment: documents in, mentions of each tracked brand out."""

from enrichment._enricher import Enricher, ProbabilisticSentimentClassifier, SentimentClassifier
from enrichment._language import detect_language, load_language_model
from enrichment._match import DocumentIndex, MatchResult, Span, evaluate, find_spans
from enrichment._mentions import MentionDraft, Target, find_mentions
from enrichment._messages import MessageFinder, MessageRequest, SentenceEncoder
from enrichment._query import QuerySyntaxError, brand_query, format_query, parse_query
from enrichment._query_ast import And, Except, Near, Node, Not, Or, Phrase, Value
from enrichment._sentiment import SentimentModel
from enrichment._syndication import Syndication, SyndicationCandidate
from enrichment._types import (
    SENTIMENT_LABELS,
    Brand,
    Location,
    Mention,
    MessageMatch,
    Sentiment,
    SentimentLabel,
    Stance,
)

__all__ = [
    "SENTIMENT_LABELS",
    "And",
    "Brand",
    "DocumentIndex",
    "Enricher",
    "Except",
    "Location",
    "MatchResult",
    "Mention",
    "MentionDraft",
    "MessageFinder",
    "MessageMatch",
    "MessageRequest",
    "Near",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "ProbabilisticSentimentClassifier",
    "QuerySyntaxError",
    "SentenceEncoder",
    "Sentiment",
    "SentimentClassifier",
    "SentimentLabel",
    "SentimentModel",
    "Span",
    "Stance",
    "Syndication",
    "SyndicationCandidate",
    "Target",
    "Value",
    "brand_query",
    "detect_language",
    "evaluate",
    "find_mentions",
    "find_spans",
    "format_query",
    "load_language_model",
    "parse_query",
]
