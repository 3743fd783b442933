-- 0015 A DLQ row says how long its message was and its hash.
--
-- The worker keeps a rejected message's first 128 KiB only (its DLQ record must
-- fit a Kafka request), and the Kafka record said the whole one's size and
-- sha256, but the dlq table did not: `tracker dlq` could not tell a cut payload
-- from a short bad one, nor say which message at the source to send again.
-- Rows written before this migration read 0 and '' (unknown).

ALTER TABLE dlq
    ADD COLUMN IF NOT EXISTS payload_bytes UInt64 DEFAULT 0
        COMMENT 'size of the whole rejected message; payload keeps its first 128 KiB (0: written before 0015)',
    ADD COLUMN IF NOT EXISTS payload_sha256 String DEFAULT ''
        COMMENT 'sha256 (hex) of the whole rejected message (empty: written before 0015)';
