-- Documents, their full-text index and their mentions.
-- Instants are integer microseconds since the Unix epoch (UTC).
CREATE TABLE documents (
    pk INTEGER PRIMARY KEY,            -- rowid, shared with documents_fts
    id TEXT NOT NULL UNIQUE,           -- Document.id (hash of the normalized URL)
    url TEXT NOT NULL,
    source_id TEXT NOT NULL,
    outlet TEXT NOT NULL,
    domain TEXT NOT NULL,
    channel TEXT NOT NULL,
    country TEXT,
    tier INTEGER NOT NULL,
    audience INTEGER NOT NULL,
    language TEXT,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    authors TEXT NOT NULL,             -- JSON array
    published_us INTEGER,
    fetched_us INTEGER NOT NULL,
    counted_us INTEGER NOT NULL,       -- published_us, or fetched_us when unknown
    extra TEXT NOT NULL                -- JSON object
);

-- Clarion's folded words of the title and text (search/_fts.py::index_text),
-- rowid = documents.pk. A regular (not contentless) FTS table: deleting a row
-- needs no copy of what was indexed, so an upgrade of the word rules can never
-- leave stale tokens behind.
CREATE VIRTUAL TABLE documents_fts USING fts5(
    title,
    text,
    tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'"
);

-- A document x brand pair, with the document fields that metrics group and
-- filter on copied in, so that counts never join documents.
CREATE TABLE mentions (
    document_pk INTEGER NOT NULL REFERENCES documents (pk) ON DELETE CASCADE,
    document_id TEXT NOT NULL,
    brand_id TEXT NOT NULL,
    sentiment TEXT NOT NULL CHECK (sentiment IN ('negative', 'neutral', 'positive')),
    score REAL NOT NULL,
    snippets TEXT NOT NULL,            -- JSON array
    in_title INTEGER NOT NULL,
    in_lead INTEGER NOT NULL,
    count INTEGER NOT NULL,
    spokespeople TEXT NOT NULL,        -- JSON array
    counted_us INTEGER NOT NULL,
    channel TEXT NOT NULL,
    tier INTEGER NOT NULL,
    audience INTEGER NOT NULL,
    outlet TEXT NOT NULL,
    country TEXT,
    language TEXT,
    PRIMARY KEY (document_id, brand_id)
) WITHOUT ROWID;

-- Counts per brand over a window, and keyset paging of one brand newest first.
CREATE INDEX mentions_brand_time ON mentions (brand_id, counted_us, document_id);
-- Counts over every brand, and keyset paging newest first.
CREATE INDEX mentions_time ON mentions (counted_us, document_id, brand_id);
-- Replacing a document's mentions, the foreign key, and FTS joins.
CREATE INDEX mentions_document ON mentions (document_pk);
