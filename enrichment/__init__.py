"""Clarion's enrichment: documents in, mentions of each tracked brand out."""

from enrichment._types import SENTIMENT_LABELS, Brand, Location, Mention, Sentiment, SentimentLabel

__all__ = ["SENTIMENT_LABELS", "Brand", "Location", "Mention", "Sentiment", "SentimentLabel"]
