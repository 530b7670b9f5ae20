-- API keys (issue 6): one row per key, the key as JSON (search._keys_store.encode_key).
-- Only the SHA-256 of a key's secret is stored, never the secret itself. Revoked keys
-- stay (revoked_at set), so that an audit trail can still name them.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    json TEXT NOT NULL
) WITHOUT ROWID;
