-- Earned traffic (issue 6): web-analytics visits to owned domains, keyed by the
-- client's idempotency id, with the attribution decided at ingest
-- (service._attribution). The columns are the ones aggregated; json holds the rest.
CREATE TABLE traffic_events (
    id TEXT PRIMARY KEY,
    brand_id TEXT NOT NULL,            -- '' when the landing page is on no brand's domain
    ts_us INTEGER NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('document', 'outlet', 'owned', 'paid', 'other')),
    earned INTEGER NOT NULL,           -- channel IN ('document', 'outlet')
    sessions INTEGER NOT NULL,
    conversions INTEGER NOT NULL,
    document_id TEXT NOT NULL,
    outlet TEXT NOT NULL,
    campaign TEXT NOT NULL,
    json TEXT NOT NULL
) WITHOUT ROWID;
-- Every aggregation is one brand over a time range.
CREATE INDEX traffic_by_brand_time ON traffic_events (brand_id, ts_us);
