-- Covering indexes for the metrics and coverage queries (issue 6, measured with
-- bench/api.py on 1M mentions; figures in BENCHMARKS.md).

-- mention_stats over a brand set and window: every column the counts group or
-- filter on, so that share of voice, its breakdowns and the syndication units
-- read this index alone instead of one table lookup per mention (1.5 s -> 0.4 s
-- for 236k mentions, count="outlet"). Supersedes mentions_brand_cluster, which
-- it contains as a prefix.
CREATE INDEX mentions_stats ON mentions (
    brand_id, counted_us, sentiment, audience, cluster_id, outlet, channel, country, tier,
    language
);
DROP INDEX mentions_brand_cluster;

-- One brand's mentions largest audience first, and in prominence order: pages
-- are read in index order and stop after the page (with the time window as a
-- filter) instead of sorting every mention of the brand for each page.
CREATE INDEX mentions_brand_reach ON mentions (brand_id, audience, counted_us, document_id);
CREATE INDEX mentions_brand_prominence ON mentions (
    brand_id, in_title, in_lead, count, counted_us, document_id
);

-- The syndicated copies alone (a mention whose cluster is not its own document,
-- ~10% of them), covering like mentions_stats: count="document" groups by
-- cluster only these and the originals of their clusters, not every mention
-- (search/_sqlite_stats.py, _document_parts).
CREATE INDEX mentions_copies ON mentions (
    brand_id, counted_us, sentiment, audience, cluster_id, outlet, channel, country, tier,
    language
) WHERE cluster_id != document_id;
