-- 0014 One row per alert episode.
--
-- An alert's rows replaced each other by alert_id alone, so a post taken down,
-- back, and taken down again kept only its latest episode: the first firing
-- and its resolve were gone from `tracker alerts --state all`, the boards and
-- any history query, though tracker.alerts.v1 holds both. A firing row and
-- its resolve share starts_at (the resolve keeps the time its alert fired), so
-- an episode is (alert_id, starts_at). The sorting key cannot change in place:
-- the table is copied under the new key and swapped in.

CREATE TABLE IF NOT EXISTS alerts_by_episode AS alerts
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, alert_id, starts_at)
SETTINGS non_replicated_deduplication_window = 1000;

INSERT INTO alerts_by_episode SELECT * FROM alerts;

EXCHANGE TABLES alerts AND alerts_by_episode;

DROP TABLE alerts_by_episode;
