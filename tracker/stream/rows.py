"""Row shapes the worker upserts into ClickHouse: one column tuple per table.

Every table written here is a ReplacingMergeTree keyed by its natural key and
versioned, so re-emitting a row (a replay, a duplicate) never changes a figure.
"""

from __future__ import annotations

SNAPSHOTS = "snapshots"
LATE_SNAPSHOTS = "late_snapshots"
POST_TOTALS = "post_totals"
POSTS = "posts"
HEATING_NODES = "heating_nodes"
COST_LINES = "cost_lines"
COMMENTS = "comments"
CURVES = "curves"
PULSES = "pulses"
LONG_TAIL = "long_tail"
ALERTS = "alerts"
DLQ = "dlq"
DLQ_REPLAYED = "dlq_replayed"

COLUMNS: dict[str, tuple[str, ...]] = {
    SNAPSHOTS: ("tenant", "post_id", "observed_at", "platform", "views", "likes", "comments", "shares",
                "saves", "searches", "status", "source", "rounded", "src_partition", "src_offset", "version"),
    POST_TOTALS: ("tenant", "post_id", "platform", "campaign_id", "as_of", "status", "views", "likes", "comments",
                  "shares", "saves", "searches", "engagements", "version"),
    POSTS: ("tenant", "post_id", "platform", "platform_post_id", "url", "title", "campaign_id", "creator_id",
            "creator_tier", "content_form", "published_at", "published_day", "tracking_end", "bundle_id", "tags",
            "deleted", "version"),
    HEATING_NODES: ("tenant", "post_id", "heating_id", "campaign_id", "channel", "start_at", "start_day", "end_at",
                    "spend_amount", "spend_currency", "status", "version"),
    COST_LINES: ("tenant", "cost_id", "campaign_id", "post_id", "bundle_id", "kind", "amount", "currency",
                 "cost_date", "note", "version"),
    COMMENTS: ("tenant", "post_id", "comment_id", "created_at", "text", "likes", "author_hash", "intent",
               "negative", "intent_terms", "negative_terms", "parent_id", "version"),
    CURVES: ("tenant", "post_id", "metric", "hour", "cumulative", "velocity", "observed", "version"),
    PULSES: ("tenant", "post_id", "pulse_index", "onset", "onset_day", "ends_at", "trigger", "heating_ids", "peak_at",
             "peak_velocity", "baseline", "rise_hours", "half_life_hours", "theta", "fit_r2", "fit_note",
             "incremental_engagements", "spend_amount", "spend_currency", "status", "response_shape",
             "version"),
    LONG_TAIL: ("tenant", "post_id", "as_of", "tail_share", "organic_tail_share", "paid_tail_share",
                "projected_30d", "projected_30d_low", "projected_30d_high", "projected_90d", "projected_90d_low",
                "projected_90d_high", "loglinear_30d", "loglinear_90d", "version"),
    ALERTS: ("tenant", "alert_id", "post_id", "campaign_id", "alert", "state", "severity", "starts_at", "ends_at",
             "summary", "evidence", "suggestion", "version"),
    DLQ: ("tenant", "rejected_at", "source_topic", "src_partition", "src_offset", "reason", "error_class",
          "payload", "payload_bytes", "payload_sha256"),
    DLQ_REPLAYED: ("tenant", "source_topic", "src_partition", "src_offset", "replayed_at"),
}
COLUMNS[LATE_SNAPSHOTS] = COLUMNS[SNAPSHOTS]
