-- Syndication clusters and key messages (enrichment._syndication, enrichment._messages).

-- Each mention's syndication cluster (the id of the cluster's first document;
-- the document's own id when it has no earlier copy), so that share of voice
-- can count a syndicated story once. Rows written before this migration are
-- their own clusters.
ALTER TABLE mentions ADD COLUMN cluster_id TEXT;
UPDATE mentions SET cluster_id = document_id;
-- The key messages a mention carries or contradicts: a JSON array of
-- {"message", "stance", "sentence", "score"} objects.
ALTER TABLE mentions ADD COLUMN messages TEXT NOT NULL DEFAULT '[]';
-- Counting once per cluster: per brand and window, covering.
CREATE INDEX mentions_brand_cluster ON mentions (brand_id, counted_us, cluster_id);

-- A document's MinHash signature (PERMUTATIONS little-endian uint64) and cluster.
CREATE TABLE syndication (
    document_pk INTEGER PRIMARY KEY REFERENCES documents (pk) ON DELETE CASCADE,
    cluster_id TEXT NOT NULL,
    signature BLOB NOT NULL
);

-- Its LSH band keys: documents sharing a key are near-duplicate candidates.
CREATE TABLE syndication_bands (
    band_key INTEGER NOT NULL,
    document_pk INTEGER NOT NULL REFERENCES documents (pk) ON DELETE CASCADE,
    PRIMARY KEY (band_key, document_pk)
) WITHOUT ROWID;
CREATE INDEX syndication_bands_document ON syndication_bands (document_pk);
