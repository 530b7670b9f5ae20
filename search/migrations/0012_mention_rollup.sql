-- Rollups of the mentions, kept at write time (search/_sqlite_rollup.py): share of
-- voice, its breakdowns and rankings read rows per (brand, UTC hour or day, value of
-- one dimension, sentiment) instead of every mention of the window (issue 6).

-- One row per (grain, dimension, brand, chunk, value, sentiment). A chunk is the UTC
-- quarter hour (only for '' and the dimensions of few values), hour, day or 7-day block
-- (from the epoch) starting at start_us (grain: its length in microseconds). dim is ''
-- (the brand alone, value '') or the dimension the value is of; x'' (an empty blob,
-- never equal to a text) stands for NULL. mentions / reach: every mention
-- (count="outlet"). units / unit_reach: the units of count="document" (a brand's
-- syndication cluster within one value) whose earliest copy is in the chunk, each
-- with its distinct outlets' largest audiences summed over all of its copies.
CREATE TABLE mention_rollup (
    grain INTEGER NOT NULL,
    dim TEXT NOT NULL,
    brand_id TEXT NOT NULL,
    start_us INTEGER NOT NULL,
    value NOT NULL,
    sentiment INTEGER NOT NULL,        -- 0 negative, 1 neutral, 2 positive
    mentions INTEGER NOT NULL,
    reach INTEGER NOT NULL,
    units INTEGER NOT NULL,
    unit_reach INTEGER NOT NULL,
    PRIMARY KEY (grain, dim, brand_id, start_us, value, sentiment)
) WITHOUT ROWID;

-- Each brand's clusters of two or more mentions, with the span of their counted
-- times: a query window that cuts one of them has its units read from the mentions.
CREATE TABLE mention_clusters (
    brand_id TEXT NOT NULL,
    cluster_id TEXT NOT NULL,
    first_us INTEGER NOT NULL,
    last_us INTEGER NOT NULL,
    span_us INTEGER NOT NULL,
    PRIMARY KEY (brand_id, cluster_id)
) WITHOUT ROWID;
CREATE INDEX mention_clusters_first ON mention_clusters (brand_id, first_us, last_us);
CREATE INDEX mention_clusters_span ON mention_clusters (span_us);

-- A cluster's mentions with every column the rollups read of them but the lists:
-- the clusters a query window cuts are re-read through this index alone. Replaces
-- 0011's mentions_cluster, a prefix of it.
DROP INDEX mentions_cluster;
CREATE INDEX mentions_cluster ON mentions (
    cluster_id, brand_id, counted_us, document_id, sentiment, audience, outlet, channel, country,
    language, tier, spokespeople
);

-- populate (search._sqlite_rollup.rebuild runs what follows again)
INSERT INTO mention_clusters (brand_id, cluster_id, first_us, last_us, span_us)
SELECT brand_id, cluster_id, MIN(counted_us), MAX(counted_us), MAX(counted_us) - MIN(counted_us)
FROM mentions GROUP BY cluster_id, brand_id HAVING COUNT(*) > 1;

INSERT INTO mention_rollup (
    grain, dim, brand_id, start_us, value, sentiment, mentions, reach, units, unit_reach
)
WITH
grains (grain) AS (VALUES (900000000), (3600000000), (86400000000), (604800000000)),
views (dim) AS (VALUES (''), ('channel'), ('country'), ('language'), ('tier'), ('outlet')),
labelled AS (
    SELECT m.*, CASE m.sentiment WHEN 'negative' THEN 0 WHEN 'neutral' THEN 1 ELSE 2 END AS label
    FROM mentions m
),
viewed AS MATERIALIZED (
    SELECT v.dim, m.brand_id, m.cluster_id, m.outlet, m.counted_us, m.audience, m.label,
        CASE v.dim
            WHEN '' THEN ''
            WHEN 'channel' THEN m.channel
            WHEN 'country' THEN COALESCE(m.country, x'')
            WHEN 'language' THEN COALESCE(m.language, x'')
            WHEN 'tier' THEN m.tier
            ELSE m.outlet
        END AS value
    FROM labelled m, views v
    UNION ALL
    SELECT 'author', m.brand_id, m.cluster_id, m.outlet, m.counted_us, m.audience, m.label,
        COALESCE(a.value, x'')
    FROM labelled m JOIN documents d ON d.pk = m.document_pk LEFT JOIN json_each(d.authors) a
    UNION ALL
    SELECT 'spokesperson', m.brand_id, m.cluster_id, m.outlet, m.counted_us, m.audience,
        m.label, COALESCE(sp.value, x'')
    FROM labelled m LEFT JOIN json_each(m.spokespeople) sp
),
copies AS (
    SELECT dim, brand_id, cluster_id, value, MIN(counted_us * 4 + label) AS first,
        MAX(audience) AS audience
    FROM viewed GROUP BY dim, brand_id, cluster_id, value, outlet
),
units AS (
    SELECT dim, brand_id, value, MIN(first) AS first, SUM(audience) AS audience
    FROM copies GROUP BY dim, brand_id, cluster_id, value
),
parts AS (
    SELECT g.grain, v.dim, v.brand_id,
        v.counted_us - ((v.counted_us % g.grain) + g.grain) % g.grain AS start_us,
        v.value, v.label AS sentiment, 1 AS mentions, v.audience AS reach, 0 AS units,
        0 AS unit_reach
    FROM viewed v, grains g WHERE g.grain != 900000000 OR v.dim IN ('', 'channel', 'country', 'language', 'tier')
    UNION ALL
    SELECT g.grain, u.dim, u.brand_id,
        (u.first >> 2) - (((u.first >> 2) % g.grain) + g.grain) % g.grain,
        u.value, u.first & 3, 0, 0, 1, u.audience
    FROM units u, grains g WHERE g.grain != 900000000 OR u.dim IN ('', 'channel', 'country', 'language', 'tier')
)
SELECT grain, dim, brand_id, start_us, value, sentiment, SUM(mentions), SUM(reach), SUM(units),
    SUM(unit_reach)
FROM parts GROUP BY grain, dim, brand_id, start_us, value, sentiment;
