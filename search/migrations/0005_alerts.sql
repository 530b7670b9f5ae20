-- Alerts (issue 7): rules and webhook subscriptions as JSON configuration rows, the
-- alerts raised, and the outbox of webhook deliveries with their attempt log. Every
-- row holds its object as JSON (search._alerts_store.encode); the columns beside it
-- are the ones queried.
CREATE TABLE alert_rules (
    id TEXT PRIMARY KEY,
    json TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    json TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    rule_id TEXT NOT NULL,
    brand_id TEXT NOT NULL,
    updated_us INTEGER NOT NULL,
    json TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX alerts_by_rule ON alerts (rule_id, updated_us);
CREATE INDEX alerts_by_update ON alerts (updated_us, id);

-- The outbox: one row per (event, subscription); state pending | delivered | dead.
CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL,
    state TEXT NOT NULL,
    next_attempt_us INTEGER NOT NULL,
    created_us INTEGER NOT NULL,
    json TEXT NOT NULL
) WITHOUT ROWID;
-- Only pending rows are scanned by the worker: a partial index stays small.
CREATE INDEX deliveries_due ON deliveries (next_attempt_us) WHERE state = 'pending';
CREATE INDEX deliveries_by_subscription ON deliveries (subscription_id, created_us, id);

CREATE TABLE delivery_attempts (
    id TEXT PRIMARY KEY,
    delivery_id TEXT NOT NULL,
    at_us INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    json TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts (delivery_id, at_us, attempt);
