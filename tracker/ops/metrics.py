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
RATIO_POPULATIONS = Gauge("tracker_ratio_populations",
                          "Platform-and-tier populations whose engagement ratios SuspiciousEngagement can judge.")
LOGLINEAR_POPULATIONS = Gauge("tracker_loglinear_populations",
                              "Platform-and-tier groups whose log-linear baseline has ratios learned from finished "
                              "posts (the others use the prior).")
SHAPE_POPULATIONS = Gauge("tracker_shape_populations",
                          "Platform-and-tier groups with enough finished first pulses to learn the response shape "
                          "their posts' first pulses lean on (the others lean on their platform's or all).")
HEATING_HISTORIES = Gauge("tracker_heating_histories",
                          "Creators (basis=creator) and platform-and-tier groups (basis=tier) with enough closed "
                          "heated pulses to base a re-heat suggestion on.", ["basis"])

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
ALERTS = Counter("tracker_post_alerts_total", "Post alert state changes emitted, by alert and state.",
                 ["alert", "state"])
BATCH_SECONDS = Histogram("tracker_worker_batch_duration_seconds", "Time to process and store one batch.",
                          buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))

# -- collectors (set by tracker/collect; bounded label: platform, outcome class) --------------
COLLECTOR_REQUESTS = Counter("tracker_collector_requests_total",
                             "Platform API requests, by platform and outcome (ok, throttled, error, invalid).",
                             ["platform", "outcome"])
COLLECTOR_REQUEST_SECONDS = Histogram("tracker_collector_request_duration_seconds",
                                      "Duration of one platform API request.", ["platform"],
                                      buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
COLLECTOR_QUOTA_REMAINING = Gauge("tracker_collector_quota_remaining",
                                  "Requests (or quota units) left in the platform's current quota period.",
                                  ["platform"])
COLLECTOR_QUOTA_EXHAUSTED = Gauge("tracker_collector_quota_exhausted",
                                  "1 while the platform's quota is used up (collection waits for its reset).",
                                  ["platform"])
COLLECTOR_PLATFORM_USAGE = Gauge("tracker_collector_platform_usage_ratio",
                                 "Share of its rate budget the platform last reported spent (Instagram's usage "
                                 "headers); requests are held from 0.9 on.", ["platform"])
COLLECTOR_RATE_LIMIT_WAIT = Counter("tracker_collector_rate_limit_wait_seconds_total",
                                    "Wall seconds the platform's collection was held back by its rate limit (a "
                                    "request waiting for the limiter, or a Retry-After pause in force), each second "
                                    "counted once: its rate is the share of time held back (0 to 1).", ["platform"])
COLLECTOR_ACCOUNTS_REFUSED = Gauge("tracker_collector_accounts_refused",
                                   "Accounts of an owner-only API held because the platform refused their credentials "
                                   "(expired or revoked token: renew the creator's entry in TRACKER_ACCOUNTS_FILE); "
                                   "the platform's other accounts go on.", ["platform"])
COLLECTOR_TOKEN_REFRESH = Counter("tracker_collector_token_refresh_total",
                                  "Token grants asked of a platform's token endpoint (a creator's refresh token, "
                                  "the TikTok research client's credentials), by outcome: ok; refused (the refresh "
                                  "token expired or was revoked: the creator must authorise the app again; or the "
                                  "app's credentials were refused); failed (network, 5xx, a body that does not "
                                  "read: tried again).", ["platform", "outcome"])
COLLECTOR_BREAKER_OPEN = Gauge("tracker_collector_breaker_open",
                               "1 while the platform's circuit breaker is open (requests are not sent).",
                               ["platform"])
PRODUCE_ERRORS = Counter("tracker_produce_errors_total", "Kafka produce attempts that failed, by topic.",
                         ["topic"])
SNAPSHOTS_PRODUCED = Counter("tracker_snapshots_produced_total", "Snapshots produced to Kafka, by platform.",
                             ["platform"])

# -- consumers and alerting (bounded labels: topic, alert name, channel, outcome) -------------
CONSUMER_LAG = Gauge("tracker_consumer_lag", "Messages behind the end of the topic, summed over partitions.",
                     ["topic"])
ALERTS_FIRING = Gauge("tracker_alerts_firing", "Post alerts currently firing, by alert name.", ["alert"])
NOTIFICATIONS = Counter("tracker_notifications_total",
                        "Notification deliveries, by channel (alertmanager, slack, feishu, dingtalk, wecom) "
                        "and outcome (sent, retried, deferred: kept for a later round, failed, throttled).",
                        ["channel", "outcome"])
NOTIFIER_MESSAGES = Counter("tracker_notifier_messages_total",
                            "Alert messages read by the notifier, by outcome (applied, duplicate, invalid).",
                            ["outcome"])
NOTIFIER_DIGEST_ALERTS = Histogram("tracker_notifier_digest_alerts", "Alert changes listed in one campaign digest.",
                                   buckets=(1, 2, 5, 10, 20, 50, 100, 500))

# -- collectors, beside the ones above (tracker/collect; labels: platform, reason, priority class) --------
COLLECT_RETRIES = Counter("tracker_collect_retries_total",
                          "Request attempts retried after a retryable failure, by platform and reason (rate_limited, "
                          "server_error, timeout, network, invalid).", ["platform", "reason"])
COLLECT_BACKOFF_SECONDS = Counter("tracker_collect_backoff_seconds_total",
                                  "Real seconds requests were held back, by platform and reason (backoff, "
                                  "rate_limited = Retry-After, risk_control, usage = the platform's usage report near its budget).",
                                  ["platform", "reason"])
COLLECT_RISK_CONTROL = Counter("tracker_collect_risk_control_total",
                               "Risk-control or captcha answers (the platform is left alone, never evaded).",
                               ["platform"])
COLLECT_COMMENTS = Counter("tracker_collect_comments_total", "Comments produced to Kafka, by platform.", ["platform"])
COLLECT_UNAVAILABLE = Counter("tracker_collect_unavailable_total",
                              "Refreshes in which the platform no longer showed the post (status unavailable).",
                              ["platform"])
COLLECT_FAILED = Counter("tracker_collect_refresh_failures_total",
                         "Post refreshes that failed after retries (rescheduled with backoff), by platform and reason.",
                         ["platform", "reason"])
COLLECT_DEFERRED = Counter("tracker_collect_deferred_total",
                           "Post refreshes deferred to save the daily quota, by platform and priority class "
                           "(heated, young, ageing, old).", ["platform", "priority"])
COLLECT_SCHEDULED = Gauge("tracker_collect_scheduled_posts", "Posts scheduled for refresh, by platform.",
                          ["platform"])
COLLECT_UNAUTHORISED = Gauge("tracker_collect_unauthorised_posts",
                             "Posts of an owner-only API (Douyin, TikTok Display, Kuaishou, Instagram) not polled "
                             "because no account may read them: their creator has no entry in TRACKER_ACCOUNTS_FILE "
                             "and the platform no platform-wide token. They wait (never marked unavailable).",
                             ["platform"])
COLLECT_LAG = Gauge("tracker_collect_lag_seconds",
                    "Event-time seconds the most overdue refresh of a platform is late (0 = on time).", ["platform"])
COLLECT_REGISTRY = Counter("tracker_collect_registry_messages_total",
                           "Registry messages the collector applied or skipped, by topic and result.",
                           ["topic", "result"])

# -- the broker as this process sees it, and its log (tracker/ops/health.py, tracker/ops/logs.py) --------
KAFKA_CONNECTED = Gauge("tracker_kafka_connected",
                        "1 while this process reaches Kafka (a bootstrap server answered its last probe, every few "
                        "seconds, or a produce was delivered since), 0 while it does not.")
KAFKA_LAST_CONTACT = Gauge("tracker_kafka_last_contact_timestamp_seconds",
                           "Unix time this process last reached Kafka (a probe answered or a produce was delivered).")
LOG_HELD_BACK = Counter("tracker_log_records_held_back_total",
                        "Repeated log records not written (one of a kind per minute is, with the count), by logger.",
                        ["logger"])
REBUILDS = Counter("tracker_posts_read_again_total",
                   "Posts read again from their stored snapshots because a heating node arrived after its start "
                   "had passed the reorder window (its pulse then starts where the boost did), or their registry "
                   "entry after their snapshots had (their publish time is then read as if known first).")
