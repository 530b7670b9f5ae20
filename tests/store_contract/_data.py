"""Small hand-built documents and mentions for the contract suite."""

from __future__ import annotations

from datetime import UTC, datetime

from crawlers import Document
from enrichment import Mention, Sentiment, SentimentLabel

# A fixed fetch time, after every publication time used in the tests.
FETCHED = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def doc(
    doc_id: str,
    *,
    published_at: datetime | None,
    title: str = "A title",
    text: str = "Some text.",
    fetched_at: datetime = FETCHED,
    **fields: object,
) -> Document:
    return Document(
        id=doc_id,
        url=f"https://news.example/{doc_id}",
        source_id="example",
        outlet="Example News",
        domain="news.example",
        title=title,
        text=text,
        fetched_at=fetched_at,
        published_at=published_at,
        **fields,  # type: ignore[arg-type]
    )


def mention(
    doc_id: str, brand_id: str, label: SentimentLabel = "neutral", score: float = 0.5
) -> Mention:
    return Mention(
        document_id=doc_id,
        brand_id=brand_id,
        sentiment=Sentiment(label, score),
        snippets=(f"… {brand_id} in {doc_id} …",),
        in_title=True,
        count=1,
    )
