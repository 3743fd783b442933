"""Prometheus metrics of every tracker process: base units, ``_total`` counters,
bounded labels (topic, table, reason class, platform — never a post id)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS = Counter("tracker_events_processed_total", "Events applied to post state, by source topic.", ["topic"])
DLQ = Counter("tracker_dlq_messages_total", "Messages rejected to the DLQ, by source topic and reason class.",
              ["topic", "reason"])
LATE = Counter("tracker_late_snapshots_total", "Snapshots older than the reorder window (stored in late_snapshots).")
TRACKED_POSTS = Gauge("tracker_tracked_posts", "Posts held in this worker's state.")
STATE_BYTES = Gauge("tracker_state_bytes", "Serialised size of this worker's post state.")

SINK_ROWS = Counter("tracker_sink_rows_total", "Rows inserted into the store, by table.", ["table"])
SINK_BATCH_ROWS = Histogram("tracker_sink_batch_rows", "Rows per insert, by table.", ["table"],
                            buckets=(1, 10, 100, 1000, 5000, 10000, 50000, 100000))
SINK_INSERT_SECONDS = Histogram("tracker_sink_insert_duration_seconds", "Duration of one successful insert.",
                                ["table"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
SINK_RETRIES = Counter("tracker_sink_insert_retries_total", "Failed insert attempts that will be retried.",
                       ["table"])
SINK_PAUSED = Gauge("tracker_sink_paused", "1 while partitions are paused because the store is unavailable.")
SINK_FATAL = Counter("tracker_sink_fatal_errors_total", "Unrecoverable insert errors (the process stops).")
SINK_LAST_SUCCESS = Gauge("tracker_sink_last_success_timestamp_seconds", "Unix time of the last successful batch.")
BATCH_SECONDS = Histogram("tracker_worker_batch_duration_seconds", "Time to process and store one batch.",
                          buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
