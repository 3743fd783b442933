"""Stream processing: the Faust app, the per-post processor, the ClickHouse sink, the DLQ."""
