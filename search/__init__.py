"""Clarion's storage and queries: one Store contract, SQLite and Elasticsearch behind it."""

from search._buckets import bucket_start, bucket_starts
from search._es import ElasticsearchStore
from search._es_client import ElasticsearchBusy, ElasticsearchConfig
from search._sqlite import SQLiteStore
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
    "ElasticsearchBusy",
    "ElasticsearchConfig",
    "ElasticsearchStore",
    "Interval",
    "InvalidCursor",
    "MentionFilter",
    "MentionHit",
    "MentionPage",
    "SQLiteStore",
    "SaveOutcome",
    "Store",
    "StoreError",
    "TemporaryStoreError",
    "bucket_start",
    "bucket_starts",
]
