-- Campaigns (issue 6): a brand's campaign windows, as JSON configuration rows
-- (search._campaigns_store.encode_campaign); the columns beside the JSON are the
-- ones queried: a brand's campaigns, latest start first.
CREATE TABLE campaigns (
    id TEXT PRIMARY KEY,
    brand_id TEXT NOT NULL,
    start_us INTEGER NOT NULL,
    json TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX campaigns_by_brand ON campaigns (brand_id, start_us);
