"""One typed Settings model read from ``TRACKER_*`` environment variables.

Secrets are ``SecretStr`` and never printed; ``tracker settings`` shows the
effective values with secrets masked.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Effective configuration of one tracker process."""

    model_config = SettingsConfigDict(env_prefix="TRACKER_", env_file=".env", extra="ignore")

    # -- where things live -------------------------------------------------
    data_dir: Path = Field(Path(".tracker"), description="Root of local state: broker data and the embedded store.")
    cache_dir: Path = Field(Path.home() / ".cache" / "tracker", description="Cache of resolved jars, shared by checkouts.")

    # -- Kafka ---------------------------------------------------------------
    kafka_bootstrap: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers (host:port,...).")
    kafka_version: str = Field("4.1.1", description="Apache Kafka version the local broker resolves from Maven Central.")
    kafka_heap: str = Field("1g", description="Heap cap (-Xmx) of the local broker.")
    broker_port: int = Field(9092, description="Port of the local broker (its controller uses the next one).")
    topic_partitions: int = Field(4, description="Partitions of the data topics created by `tracker topics create`.")
    topic_prefix: str = Field("", description="Prefix prepended to every topic name (tests use it to isolate runs).")

    # -- ClickHouse ----------------------------------------------------------
    clickhouse_url: str | None = Field(
        None,
        description="chdb:///<path> for the embedded engine (default <data_dir>/clickhouse) or http(s)://host:port for a server.",
    )
    clickhouse_database: str = Field("tracker", description="Database holding tracker's tables and views.")
    clickhouse_user: str = Field("default", description="ClickHouse user (server only).")
    clickhouse_password: SecretStr = Field(SecretStr(""), description="ClickHouse password (server only).")
    store_threads: int = Field(4, description="Threads of the bounded pool that runs every engine call.")
    store_memory_limit: str = Field("4G", description="Memory limit of the embedded engine (max_server_memory_usage).")
    migrations_dir: Path | None = Field(None, description="Folder of NNNN_<name>.sql migrations (default: the repository's schemas/clickhouse).")

    # -- web: metrics, health, read endpoint --------------------------------
    web_host: str = Field("127.0.0.1", description="Bind address of /metrics and /healthz.")
    web_port: int = Field(8080, description="Port of /metrics and /healthz.")
    read_host: str = Field("127.0.0.1", description="Bind address of the read-only ClickHouse HTTP endpoint.")
    read_port: int = Field(8123, description="Port of the read-only ClickHouse HTTP endpoint.")
    read_password: SecretStr = Field(SecretStr(""), description="Password readers must send to the read endpoint (empty = none).")
    read_max_execution_time: int = Field(30, description="Seconds a reader query may run.")
    read_max_memory: str = Field("2G", description="Memory a reader query may use.")
    read_max_threads: int = Field(2, description="Threads a reader query may use.")
    read_max_result_rows: int = Field(1_000_000, description="Rows a reader query may return.")
    read_max_result_bytes: str = Field("512M", description="Bytes a reader query may return (results are held in memory).")
    read_threads: int = Field(2, description="Reader queries that run at once (threads of the read endpoint's pool).")

    # -- stream worker -------------------------------------------------------
    worker_app_id: str = Field(
        "tracker-worker", description="Faust app id: the consumer group and the prefix of the state changelog topic.")
    worker_batch_max: int = Field(20_000, description="Events per worker batch (one insert per table per batch).")
    worker_batch_seconds: float = Field(0.5, description="Longest wait before a partial batch is processed.")
    worker_buffer: int = Field(40_000, description="Records fetched and not yet processed before fetching pauses (backpressure); two batches, so that the next one is fetched while one is processed.")
    worker_session_timeout: float = Field(
        30.0, description="Seconds before a silent worker leaves its group (a restarted one resumes after this).")
    analytics_enabled: bool = Field(
        True, description="Compute curves, pulses, long tail and post alerts in the worker (off: totals only).")
    stall_check_seconds: float = Field(60.0, description="How often the worker looks for posts with no fresh snapshot.")
    ratio_stats_seconds: float = Field(
        900.0, description="How often the worker relearns from the store each platform and tier's engagement-ratio "
                           "distributions (SuspiciousEngagement, from the posts past their burst window) and "
                           "log-linear baseline (from finished posts), and the heating history re-heat "
                           "suggestions rest on (closed heated pulses).")
    reorder_window_hours: float = Field(6.0, description="Snapshots older than the newest by more go to late_snapshots.")
    fault_store_down_file: Path | None = Field(
        None, description="Test hook: while this file exists the sink's inserts fail as if the store were down.")
    fault_kill_after_batches: int | None = Field(
        None, description="Test hook: SIGKILL the worker between its changelog write and insert of batch N+1.")

    # -- platform simulator (tracker simulate) ---------------------------------
    simulator_host: str = Field("127.0.0.1", description="Bind address of the platform simulator.")
    simulator_port: int = Field(8765, description="Port of the platform simulator; its base URL is http://host:port.")
    simulator_seed: int = Field(7, description="Seed of the simulated population (same seed, same posts and truth).")
    simulator_posts: int = Field(200, description="Posts in the simulated population.")
    simulator_speed: float = Field(60.0, description="Simulated seconds per real second in the demo (0 = frozen clock).")

    # -- collectors (tracker collect) ------------------------------------------
    collect_simulator_url: str = Field(
        "", description="Point every platform at the simulator at this URL (<url>/<platform>/...) and read its "
                        "clock as event time; empty = the platforms' own hosts and the wall clock.")
    collect_base_urls: dict[str, str] = Field(
        default_factory=dict, description="JSON {platform: base URL} overriding a platform's API host "
                                          "(e.g. a licensed provider's).")
    collect_limits: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="JSON {platform: {daily_quota, rate_per_second, concurrency, batch_size}} "
                                          "overriding the documented defaults (`tracker collect --plan` shows them).")
    collect_sources: dict[str, str] = Field(
        default_factory=dict, description="JSON {platform: adapter} choosing how a platform is read: its own API "
                                          "adapter (default), `export` or `generic`.")
    collect_generic: dict[str, Any] = Field(
        default_factory=dict, description="JSON field paths of the generic JSON adapter (see tracker/collect/platforms/generic.py).")
    collect_cadence: list[tuple[float, float]] = Field(
        [(6, 15), (24, 30), (72, 60), (168, 180), (720, 360)],
        description="Refresh cadence in event time: [[age below hours, every minutes], ...]; older posts use "
                    "collect_old_minutes.")
    collect_old_minutes: float = Field(720.0, description="Refresh cadence (event-time minutes) of posts older than the last cadence step.")
    collect_heated_minutes: float = Field(
        15.0, description="Refresh cadence (event-time minutes) inside a heating window and collect_heating_tail_hours after it.")
    collect_heating_tail_hours: float = Field(24.0, description="Hours after a heating window's end that stay dense.")
    collect_comments: bool = Field(True, description="Collect comments incrementally (from the last cursor) where the platform has an endpoint.")
    collect_comment_every_hours: float = Field(6.0, description="Least event-time hours between two comment visits of one post.")
    collect_comment_max_pages: int = Field(5, description="Comment pages read per visit (the rest resumes from the cursor next visit).")
    collect_timeout_seconds: float = Field(10.0, description="Timeout of one platform request (connect, read, write, pool).")
    collect_max_attempts: int = Field(4, description="Attempts per request on retryable errors (jittered exponential backoff).")
    collect_backoff_max_seconds: float = Field(30.0, description="Longest backoff between two attempts of one request.")
    collect_max_pause_seconds: float = Field(
        300.0, description="Longest pause honoured from a Retry-After header (longer ones count as quota exhaustion).")
    collect_breaker_failures: int = Field(5, description="Consecutive failed requests that open a platform's circuit breaker.")
    collect_breaker_cooldown_seconds: float = Field(30.0, description="Seconds an open breaker waits before one probe request.")
    collect_risk_backoff_seconds: float = Field(
        900.0, description="Seconds a platform is left alone after a risk-control or captcha answer (reported, never evaded).")
    collect_tick_seconds: float = Field(0.2, description="Real seconds between scheduling passes when nothing is due.")
    collect_hash_key: SecretStr = Field(SecretStr(""), description="Key of the hash applied to comment author ids (empty = unkeyed BLAKE2b).")
    youtube_api_key: SecretStr = Field(SecretStr(""), description="YouTube Data API v3 key.")
    bilibili_sessdata: SecretStr = Field(SecretStr(""), description="Bilibili SESSDATA cookie some videos need (your own account).")
    weibo_access_token: SecretStr = Field(SecretStr(""), description="Weibo open API access token.")
    douyin_access_token: SecretStr = Field(SecretStr(""), description="Douyin open platform user access token (scope video.data.bind).")
    douyin_open_id: str = Field("", description="open_id of the Douyin account that authorised the token.")
    kuaishou_app_id: str = Field("", description="Kuaishou open platform app_id.")
    kuaishou_access_token: SecretStr = Field(SecretStr(""), description="Kuaishou open platform access token.")
    tiktok_access_token: SecretStr = Field(SecretStr(""), description="TikTok access token (Display user token; Research client token for comments).")
    instagram_access_token: SecretStr = Field(SecretStr(""), description="Instagram Graph API token (creator-authorised).")
    xiaohongshu_token: SecretStr = Field(SecretStr(""), description="Token of the licensed provider relaying Xiaohongshu note data.")
    generic_token: SecretStr = Field(SecretStr(""), description="Bearer token of the generic JSON adapter's provider.")

    # -- notifications (tracker notify; tracker run starts them when configured) ----
    alertmanager_url: str | None = Field(
        None, description="Alertmanager base URL (http://host:9093) that receives post alerts (empty = none).")
    notify_resend_seconds: float = Field(
        60.0, description="Seconds between re-sends of active alerts to Alertmanager (they expire after 4 missed).")
    notify_digest_seconds: float = Field(
        300.0, description="Seconds between chat digests: one message per campaign listing its alert changes.")
    notify_retries: int = Field(5, description="Delivery attempts per notification before it counts as failed.")
    slack_webhook_url: SecretStr = Field(SecretStr(""), description="Slack incoming-webhook URL (empty = off).")
    feishu_webhook_url: SecretStr = Field(SecretStr(""), description="Feishu/Lark custom-bot webhook URL (empty = off).")
    feishu_secret: SecretStr = Field(SecretStr(""), description="Feishu/Lark bot signing secret (empty = unsigned).")
    dingtalk_webhook_url: SecretStr = Field(
        SecretStr(""), description="DingTalk robot webhook URL with its access_token (empty = off).")
    dingtalk_secret: SecretStr = Field(SecretStr(""), description="DingTalk robot signing secret, SEC... (empty = unsigned).")
    wecom_webhook_url: SecretStr = Field(SecretStr(""), description="WeCom group-robot webhook URL with its key (empty = off).")
    grafana_url: str = Field("", description="Grafana base URL for links in notifications (empty = no links).")

    # -- reports and tenant scoping (tracker roi, report; read endpoint) ------
    read_tenant_tokens: SecretStr = Field(
        SecretStr(""), description="Tenant reader tokens, JSON {\"<token>\": \"<tenant>\"} or token=tenant,...: a reader "
                                   "sending one as its password sees only that tenant's rows (needs TRACKER_READ_PASSWORD).")
    report_top_posts: int = Field(10, description="Posts listed in the top and bottom tables of `tracker report`.")

    @property
    def store_url(self) -> str:
        """The ClickHouse URL in force: explicit, or the embedded default under data_dir."""
        if self.clickhouse_url:
            return self.clickhouse_url
        return f"chdb://{(self.data_dir / 'clickhouse').resolve()}"

    def topic(self, name: str) -> str:
        """Full topic name for a logical one such as ``tracker.snapshots.v1``."""
        return f"{self.topic_prefix}{name}"

    def masked(self) -> dict[str, Any]:
        """Effective settings as plain values with every secret masked."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********" if value.get_secret_value() else ""
            elif isinstance(value, Path):
                value = str(value)
            out[name] = value
        out["store_url (effective)"] = self.store_url
        return out


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
