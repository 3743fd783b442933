-- 0025 A message set aside, sent again and applied, is no longer listed as set aside.
--
-- `tracker dlq replay` sends a message back to its topic once its cause is
-- fixed. One still bad takes its dlq row's place with its new reason; one that
-- is good is applied, but its dlq row stayed as it was: `tracker dlq` went on
-- counting it, and nothing said the replay had worked. The worker now writes
-- the dlq row's key here when it applies such a message; `tracker dlq` leaves
-- out the rows replayed after their (latest) rejection and counts them apart.

CREATE TABLE IF NOT EXISTS dlq_replayed
(
    tenant        LowCardinality(String) COMMENT 'the dlq row''s (empty when unknown)',
    source_topic  LowCardinality(String),
    src_partition UInt32,
    src_offset    UInt64 COMMENT 'where the message was first set aside: its dlq row''s key',
    replayed_at   DateTime64(3, 'UTC') COMMENT 'when the worker applied it, sent again'
)
ENGINE = ReplacingMergeTree(replayed_at)
ORDER BY (tenant, source_topic, src_partition, src_offset)
SETTINGS non_replicated_deduplication_window = 1000;
