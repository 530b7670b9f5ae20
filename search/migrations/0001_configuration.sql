-- Configuration and crawl state. Each row holds the object as JSON, keyed by id,
-- so that a new optional field of Brand, Source or FeedState needs no migration.
CREATE TABLE brands (
    id TEXT PRIMARY KEY,
    json TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sources (
    id TEXT PRIMARY KEY,
    json TEXT NOT NULL
) WITHOUT ROWID;

-- One row per source; no foreign key, so that deleting a source and adding it
-- back keeps its conditional-GET validators.
CREATE TABLE feed_states (
    source_id TEXT PRIMARY KEY,
    json TEXT NOT NULL
) WITHOUT ROWID;
