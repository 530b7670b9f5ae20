-- Other URLs' ids under which a document is known: a feed entry's link whose page
-- declared a same-site canonical URL (the document's id comes from the canonical).
-- Looked up by alias id before a page is fetched again (SQLiteStore.stored_versions).
-- No foreign key: an alias of a deleted document is ignored by the lookup's join.
CREATE TABLE url_aliases (
    alias_id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL
) WITHOUT ROWID;
