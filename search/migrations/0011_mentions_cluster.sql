-- One brand's mentions of one syndication cluster, earliest first
-- (search/_sqlite_clusters.py, the story_growth alert rule): an index seek per
-- cluster instead of a scan of every mention of the brand. The cluster leads so
-- that the per-brand window queries, which group by (brand, cluster), keep
-- seeking the window on mentions_stats rather than scanning every mention of the
-- brand in this index's order.
CREATE INDEX mentions_cluster ON mentions (cluster_id, brand_id, counted_us, document_id);
