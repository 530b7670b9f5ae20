"""Clarion's crawlers: sources in, documents out. Knows nothing of the rest of Clarion."""

from crawlers._types import CHANNELS, Channel, Document, FeedEntry, FeedState, Source

__all__ = ["CHANNELS", "Channel", "Document", "FeedEntry", "FeedState", "Source"]
