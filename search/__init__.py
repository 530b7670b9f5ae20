"""Clarion's storage and queries: one Store contract, SQLite and Elasticsearch behind it."""

from search._store import (
    BucketCount,
    Interval,
    InvalidCursor,
    MentionFilter,
    MentionHit,
    MentionPage,
    SaveOutcome,
    Store,
    StoreError,
    TemporaryStoreError,
)

__all__ = [
    "BucketCount",
    "Interval",
    "InvalidCursor",
    "MentionFilter",
    "MentionHit",
    "MentionPage",
    "SaveOutcome",
    "Store",
    "StoreError",
    "TemporaryStoreError",
]
