"""One typed Settings model read from ``TRACKER_*`` environment variables.

Secrets are ``SecretStr`` and never printed; ``tracker settings`` shows the
effective values with secrets and the passwords inside URLs masked. Every value
is checked here, when it is read, so that a bad one stops every command before
any work (``tracker settings`` too), not a service once it has started.
``problems`` turns a failed ``Settings()`` into one line per bad variable, and
``unknown_variables`` names ``TRACKER_*`` variables that are no setting (typos),
for ``tracker`` to print.
"""

from __future__ import annotations

import difflib
import json
import re
import typing
from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from tracker.analytics.params import DEFAULT_PARAMS, AnalyticsParams

PREFIX = "TRACKER_"

# TRACKER_* variables read outside Settings, so not typos: the ROI benchmark's time bound.
OTHER_VARIABLES = frozenset({"TRACKER_BENCH_ROI_MAX_SECONDS"})

SAID = "tracker_setting"
"""Type of a value check's error whose message is the whole line: it names the variable."""
TENANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")
MIN_TOKEN_CHARS = 16
"""Shortest tenant reader token: a reader's password must not be guessable."""
ENGINE_SIZE = re.compile(r"\d+(?:[kKMGT]i?)?")
"""A byte size the ClickHouse engine reads: 4G is 4,000,000,000 bytes, 4Gi 4 × 2^30."""
HEAP_SIZE = re.compile(r"\d+[kKmMgG]?")
"""A heap size the JVM's -Xmx reads."""
COLLECT_LIMITS = frozenset({"daily_quota", "rate_per_second", "concurrency", "batch_size"})
GENERIC_REQUIRED = ("path", "item_id", "metrics")


class Settings(BaseSettings):
    """Effective configuration of one tracker process."""

    # hide_input_in_errors: a refused secret (a tenant token, a webhook URL) stays out of the
    # error's text, which -vv logs; ``problems`` masks what it shows of the inputs
    model_config = SettingsConfigDict(env_prefix=PREFIX, env_file=".env", extra="ignore", hide_input_in_errors=True)

    # -- where things live -------------------------------------------------
    data_dir: Path = Field(Path(".tracker"), description="Root of local state: broker data and the embedded store.")
    cache_dir: Path = Field(Path.home() / ".cache" / "tracker", description="Cache of resolved jars, shared by checkouts.")

    # -- Kafka ---------------------------------------------------------------
    kafka_bootstrap: str = Field(
        "", description="Kafka bootstrap servers (host:port,...); unset = the local broker: 127.0.0.1 at "
                "TRACKER_BROKER_PORT (127.0.0.1:9092 by default).")
    kafka_version: str = Field("4.1.1", description="Apache Kafka version the local broker resolves from Maven Central.")
    kafka_heap: str = Field("1g", description="Heap cap (-Xmx) of the local broker.")
    broker_port: int = Field(9092, ge=1, le=65534, description="Port of the local broker (its controller uses the next one).")
    topic_partitions: int = Field(4, ge=1, description="Partitions of the data topics created by `tracker topics create`.")
    topic_prefix: str = Field("", description="Prefix prepended to every topic name (tests use it to isolate runs).")

    # -- ClickHouse ----------------------------------------------------------
    clickhouse_url: str | None = Field(
        None,
        description="chdb:///<path> for the embedded engine (default <data_dir>/clickhouse) or http(s)://host:port for a server.",
    )
    clickhouse_database: str = Field("tracker", description="Database holding tracker's tables and views.")
    clickhouse_user: str = Field("default", description="ClickHouse user (server only).")
    clickhouse_password: SecretStr = Field(SecretStr(""), description="ClickHouse password (server only).")
    store_threads: int = Field(4, ge=1, description="Threads of the bounded pool that runs every engine call.")
    store_memory_limit: str = Field("4G", description="Memory limit of the embedded engine (max_server_memory_usage).")
    migrations_dir: Path | None = Field(None, description="Folder of NNNN_<name>.sql migrations (default: the repository's schemas/clickhouse).")

    # -- web: metrics, health, read endpoint --------------------------------
    web_host: str = Field("127.0.0.1", description="Bind address of /metrics and /healthz.")
    web_port: int = Field(8080, ge=0, le=65535, description="Port of /metrics and /healthz.")
    read_host: str = Field("127.0.0.1", description="Bind address of the read-only ClickHouse HTTP endpoint.")
    read_port: int = Field(8123, ge=0, le=65535, description="Port of the read-only ClickHouse HTTP endpoint.")
    read_password: SecretStr = Field(SecretStr(""), description="Password readers must send to the read endpoint (empty = none).")
    read_max_execution_time: int = Field(30, ge=0, description="Seconds a reader query may run.")
    read_max_memory: str = Field("2G", description="Memory a reader query may use.")
    read_max_threads: int = Field(2, ge=0, description="Threads a reader query may use.")
    read_max_result_rows: int = Field(1_000_000, ge=0, description="Rows a reader query may return.")
    read_max_result_bytes: str = Field("512M", description="Bytes a reader query may return (results are held in memory).")
    read_threads: int = Field(2, ge=1, description="Reader queries that run at once (threads of the read endpoint's pool).")

    # -- stream worker -------------------------------------------------------
    worker_app_id: str = Field(
        "tracker-worker", description="Faust app id: the consumer group and the prefix of the state changelog topic.")
    worker_batch_max: int = Field(20_000, ge=1, description="Events per worker batch (one insert per table per batch).")
    worker_batch_seconds: float = Field(0.5, ge=0, description="Longest wait before a partial batch is processed.")
    worker_buffer: int = Field(40_000, ge=1, description="Records fetched and not yet processed before fetching pauses (backpressure); two batches, so that the next one is fetched while one is processed.")
    worker_session_timeout: float = Field(
        30.0, gt=0, description="Seconds before a silent worker leaves its group (a restarted one resumes after this).")
    stop_timeout_seconds: float = Field(
        30.0, gt=0, description="Seconds tracker run and tracker worker wait, once told to stop, for the batch in hand "
                                "to be stored and its offsets committed; past them (the broker or the store is "
                                "unreachable) they exit anyway, and what was not committed is read again on the "
                                "next start.")
    analytics_enabled: bool = Field(
        True, description="Compute curves, pulses, long tail and post alerts in the worker (off: totals only).")
    progress_seconds: float = Field(
        60.0, ge=0, description="Seconds between the progress lines tracker run and tracker worker print on stderr "
                                "(snapshots collected, applied, rows stored, post alerts raised; 0 = none).")
    stall_check_seconds: float = Field(60.0, gt=0, description="How often the worker looks for posts with no fresh snapshot.")
    ratio_stats_seconds: float = Field(
        900.0, gt=0, description="How often the worker relearns from the store each platform and tier's engagement-ratio "
                           "distributions (SuspiciousEngagement, from the posts past their burst window) and "
                           "log-linear baseline (from finished posts), and the heating history re-heat "
                           "suggestions rest on (closed heated pulses).")
    reorder_window_hours: float = Field(6.0, ge=0, description="Snapshots older than the newest by more go to late_snapshots.")
    max_snapshot_lead_hours: float = Field(
        24.0, ge=0, description="A snapshot observed more than this after it was sent (a mistyped year) goes to the DLQ, "
                                "and snapshots import refuses its row; 0 accepts any time (a simulator run ahead of the "
                                "wall clock).")
    fault_store_down_file: Path | None = Field(
        None, description="Test hook: while this file exists the sink's inserts fail as if the store were down.")
    fault_kill_after_batches: int | None = Field(
        None, ge=0, description="Test hook: SIGKILL the worker between its changelog write and insert of batch N+1.")

    # -- platform simulator (tracker simulate) ---------------------------------
    simulator_host: str = Field("127.0.0.1", description="Bind address of the platform simulator.")
    simulator_port: int = Field(8765, ge=0, le=65535, description="Port of the platform simulator; its base URL is http://host:port.")
    simulator_seed: int = Field(7, description="Seed of the simulated population (same seed, same posts and truth).")
    simulator_posts: int = Field(200, ge=0, description="Posts in the simulated population.")
    simulator_speed: float = Field(
        60.0, ge=0, description="Simulated seconds per real second (0 = frozen clock): `tracker simulate` runs at this "
                                "(default 60); `tracker run --demo` at 600 unless this is set.")

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
    collect_old_minutes: float = Field(720.0, gt=0, description="Refresh cadence (event-time minutes) of posts older than the last cadence step.")
    collect_heated_minutes: float = Field(
        15.0, gt=0, description="Refresh cadence (event-time minutes) inside a heating window and collect_heating_tail_hours after it.")
    collect_heating_tail_hours: float = Field(24.0, ge=0, description="Hours after a heating window's end that stay dense.")
    collect_comments: bool = Field(True, description="Collect comments incrementally (from the last cursor) where the platform has an endpoint.")
    collect_comment_every_hours: float = Field(6.0, ge=0, description="Least event-time hours between two comment visits of one post.")
    collect_comment_max_pages: int = Field(5, ge=0, description="Comment pages read per visit (the rest resumes from the cursor next visit).")
    collect_timeout_seconds: float = Field(10.0, gt=0, description="Timeout of one platform request (connect, read, write, pool).")
    collect_max_attempts: int = Field(4, ge=1, description="Attempts per request on retryable errors (jittered exponential backoff).")
    collect_backoff_max_seconds: float = Field(30.0, ge=0, description="Longest backoff between two attempts of one request.")
    collect_max_pause_seconds: float = Field(
        300.0, ge=0, description="Longest pause honoured from a Retry-After header (longer ones count as quota exhaustion); "
        "also how long a platform reporting its rate budget nearly spent is held (Instagram's usage headers: half of it "
        "at 90 %, all of it at 100 %).")
    collect_breaker_failures: int = Field(5, ge=1, description="Consecutive failed requests that open a platform's circuit breaker.")
    collect_breaker_cooldown_seconds: float = Field(30.0, ge=0, description="Seconds an open breaker waits before one probe request.")
    collect_risk_backoff_seconds: float = Field(
        900.0, ge=0, description="Seconds a platform is left alone after a risk-control or captcha answer (reported, never evaded).")
    collect_tick_seconds: float = Field(0.2, gt=0, description="Real seconds between scheduling passes when nothing is due.")
    collect_hash_key: SecretStr = Field(SecretStr(""), description="Key of the hash applied to comment author ids (empty = unkeyed BLAKE2b).")
    youtube_api_key: SecretStr = Field(SecretStr(""), description="YouTube Data API v3 key.")
    bilibili_sessdata: SecretStr = Field(SecretStr(""), description="Bilibili SESSDATA cookie some videos need (your own account).")
    weibo_access_token: SecretStr = Field(SecretStr(""), description="Weibo open API access token.")
    douyin_access_token: SecretStr = Field(SecretStr(""), description="Douyin open platform user access token (scope video.data.bind): reads the videos of the account that authorised it alone, the account of every creator TRACKER_ACCOUNTS_FILE does not list.")
    douyin_open_id: str = Field("", description="open_id of the Douyin account that authorised the token.")
    douyin_client_key: str = Field("", description="client_key of the Douyin app creators authorise: with it the collector refreshes the access token of a creator whose TRACKER_ACCOUNTS_FILE entry carries a refresh_token (Douyin's refresh takes no client_secret).")
    kuaishou_app_id: str = Field("", description="Kuaishou open platform app_id.")
    kuaishou_app_secret: SecretStr = Field(SecretStr(""), description="Kuaishou open platform app_secret: with TRACKER_KUAISHOU_APP_ID the collector refreshes the access token of a creator whose TRACKER_ACCOUNTS_FILE entry carries a refresh_token.")
    kuaishou_access_token: SecretStr = Field(SecretStr(""), description="Kuaishou open platform access token: reads the authorising user's videos alone, those of every creator TRACKER_ACCOUNTS_FILE does not list.")
    tiktok_access_token: SecretStr = Field(SecretStr(""), description="TikTok Display API user token (act.…) for video metrics: reads the authorising user's videos alone, those of every creator TRACKER_ACCOUNTS_FILE does not list.")
    tiktok_client_key: str = Field("", description="Client key of the TikTok app creators authorise (Display API): with TRACKER_TIKTOK_CLIENT_SECRET the collector refreshes the user token of a creator whose TRACKER_ACCOUNTS_FILE entry carries a refresh_token.")
    tiktok_client_secret: SecretStr = Field(SecretStr(""), description="Client secret of the TikTok app of TRACKER_TIKTOK_CLIENT_KEY.")
    tiktok_research_token: SecretStr = Field(SecretStr(""), description="TikTok Research API client token (clt.…, valid 2 h) for comments and saves (favorites_count), used as given; empty, and no research client set = TikTok saves stay null and the access token is tried for comments.")
    tiktok_research_client_key: str = Field("", description="Client key of your TikTok research client (a Research API project's, not the app creators authorise): with TRACKER_TIKTOK_RESEARCH_CLIENT_SECRET the collector obtains the Research API's client token itself and renews it before it expires and when refused (TRACKER_TIKTOK_RESEARCH_TOKEN, if set, is used until refused).")
    tiktok_research_client_secret: SecretStr = Field(SecretStr(""), description="Client secret of the research client of TRACKER_TIKTOK_RESEARCH_CLIENT_KEY.")
    instagram_access_token: SecretStr = Field(SecretStr(""), description="Instagram Graph API token (creator-authorised): reads the media of that account alone, those of every creator TRACKER_ACCOUNTS_FILE does not list.")
    accounts_file: Path | None = Field(
        None, description="YAML/JSON file of per-creator tokens of the owner-only APIs (Douyin, TikTok Display, "
                          "Kuaishou, Instagram), which read only the videos of the account that authorised the "
                          "token: platform → creator_id → {access_token[, open_id][, refresh_token]} (README: Authorising "
                          "creators). Creators it does not list are read with the platform-wide TRACKER_<PLATFORM>_* token, "
                          "if any. Tokens the collector renews are kept in <TRACKER_DATA_DIR>/collect/tokens.json, never "
                          "written back here.")
    accounts_reload_seconds: float = Field(
        30.0, ge=0, description="How often the collector looks whether TRACKER_ACCOUNTS_FILE changed and rereads it "
                                "(0 = read at start only).")
    xiaohongshu_token: SecretStr = Field(SecretStr(""), description="Token of the licensed provider relaying Xiaohongshu note data.")
    generic_token: SecretStr = Field(SecretStr(""), description="Bearer token of the generic JSON adapter's provider.")

    # -- notifications (tracker notify; tracker run starts them when configured) ----
    alertmanager_url: str | None = Field(
        None, description="Alertmanager base URL (http://host:9093) that receives post alerts (empty = none).")
    notify_resend_seconds: float = Field(
        60.0, gt=0, description="Seconds between re-sends of active alerts to Alertmanager (they expire after 4 missed).")
    notify_digest_seconds: float = Field(
        300.0, gt=0, description="Seconds between chat digests: one message per campaign listing its alert changes.")
    notify_retries: int = Field(5, ge=1, description="Delivery attempts per notification before it counts as failed.")
    slack_webhook_url: SecretStr = Field(SecretStr(""), description="Slack incoming-webhook URL (empty = off).")
    feishu_webhook_url: SecretStr = Field(SecretStr(""), description="Feishu/Lark custom-bot webhook URL (empty = off).")
    feishu_secret: SecretStr = Field(SecretStr(""), description="Feishu/Lark bot signing secret (empty = unsigned).")
    dingtalk_webhook_url: SecretStr = Field(
        SecretStr(""), description="DingTalk robot webhook URL with its access_token (empty = off).")
    dingtalk_secret: SecretStr = Field(SecretStr(""), description="DingTalk robot signing secret, SEC... (empty = unsigned).")
    wecom_webhook_url: SecretStr = Field(SecretStr(""), description="WeCom group-robot webhook URL with its key (empty = off).")
    grafana_url: str = Field("", description="Grafana base URL for links in notifications (empty = no links).")
    runbook_url: str = Field(
        "", description="The runbook's URL as people reach it, which post alerts link to (behind a proxy, in compose "
                        "or Kubernetes); empty: this process's own http://TRACKER_WEB_HOST:TRACKER_WEB_PORT/runbook.")
    prometheus_url: str = Field(
        "http://127.0.0.1:9090", description="Prometheus that Grafana's provisioned datasource reads (tracker dashboards generate).")

    # -- reports and tenant scoping (tracker roi, report; read endpoint) ------
    read_tenant_tokens: SecretStr = Field(
        SecretStr(""), description="Tenant reader tokens, JSON {\"<token>\": \"<tenant>\"} or token=tenant,...: a reader "
                                   "sending one as its password sees only that tenant's rows (needs TRACKER_READ_PASSWORD; "
                                   f"each token at least {MIN_TOKEN_CHARS} characters, e.g. `openssl rand -hex 16`).")
    report_top_posts: int = Field(10, ge=0, description="Posts listed in the top and bottom tables of `tracker report`.")

    # -- value checks: each error is one line naming the variable (``problems``) --
    @field_validator("clickhouse_url")
    @classmethod
    def _store_url(cls, url: str | None) -> str | None:
        """A ClickHouse server's http(s) URL or the embedded store's chdb:///<absolute path>."""
        if not url or url.startswith(("http://", "https://")):
            return url
        scheme = urlsplit(url).scheme if "://" in url else ""
        if scheme != "chdb":  # the scheme only: the URL may carry a password
            raise _said(f"TRACKER_CLICKHOUSE_URL has {f'scheme {scheme!r}' if scheme else 'no scheme'}: give "
                        "http(s)://host:port for a ClickHouse server or chdb:///<absolute path> for the embedded store")
        parts = urlsplit(url)
        if parts.netloc or not parts.path.startswith("/"):
            raise _said(f"TRACKER_CLICKHOUSE_URL={url!r}: the embedded store is chdb:///<absolute path> (three slashes)")
        return url

    @field_validator("store_memory_limit", "read_max_memory", "read_max_result_bytes")
    @classmethod
    def _engine_size(cls, size: str, info: ValidationInfo) -> str:
        """A size as ClickHouse reads it (its own error names a setting the user never set)."""
        if not ENGINE_SIZE.fullmatch(size):
            raise _said(f"{variable(str(info.field_name))}={size!r}: must be a whole number of bytes, or with "
                        "K, M, G or T (thousands) or Ki, Mi, Gi or Ti (1024s) after it, no B: e.g. 4G, 3500M, 2Gi")
        return size

    @field_validator("kafka_heap")
    @classmethod
    def _heap(cls, heap: str) -> str:
        """A heap size as the JVM's -Xmx reads it."""
        if not HEAP_SIZE.fullmatch(heap):
            raise _said(f"TRACKER_KAFKA_HEAP={heap!r}: must be a JVM heap size, a whole number with k, m or g "
                        "after it, no B: e.g. 1g, 768m")
        return heap

    @field_validator("alertmanager_url")
    @classmethod
    def _alertmanager_url(cls, url: str | None) -> str | None:
        if url and not url.startswith(("http://", "https://")):
            raise _said(f"TRACKER_ALERTMANAGER_URL must be http(s)://host:port, got {_without_password(url)!r}")
        return url

    @field_validator("slack_webhook_url", "feishu_webhook_url", "dingtalk_webhook_url", "wecom_webhook_url")
    @classmethod
    def _webhook_url(cls, url: SecretStr, info: ValidationInfo) -> SecretStr:
        text = url.get_secret_value()
        if text and not text.startswith(("http://", "https://")):
            raise _said(f"{variable(str(info.field_name))} must start with https:// (got {text[:20]!r}…)")
        return url

    @field_validator("accounts_file", mode="before")
    @classmethod
    def _accounts_unset(cls, path: Any) -> Any:
        return None if isinstance(path, str) and not path.strip() else path

    @field_validator("accounts_file")
    @classmethod
    def _accounts_file(cls, path: Path | None) -> Path | None:
        """The file reads: missing, malformed, an unknown platform or an entry without its token
        stops every command, naming the file and the entry (never a token)."""
        if path is None:
            return None
        from tracker.collect.accounts import read
        from tracker.errors import ConfigError

        try:
            read(path)
        except ConfigError as exc:
            raise _said(str(exc)) from None
        return path

    @field_validator("collect_base_urls")
    @classmethod
    def _base_urls(cls, urls: dict[str, str]) -> dict[str, str]:
        _known_platforms("TRACKER_COLLECT_BASE_URLS", urls)
        return urls

    @field_validator("collect_limits")
    @classmethod
    def _limits(cls, limits: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        _known_platforms("TRACKER_COLLECT_LIMITS", limits)
        for platform, given in limits.items():
            if set(given) - COLLECT_LIMITS:
                raise _said(f"TRACKER_COLLECT_LIMITS[{platform}]: unknown keys {sorted(set(given) - COLLECT_LIMITS)}; "
                            f"use {', '.join(sorted(COLLECT_LIMITS))}")
        return limits

    @field_validator("collect_sources")
    @classmethod
    def _sources(cls, sources: dict[str, str]) -> dict[str, str]:
        defaults = _known_platforms("TRACKER_COLLECT_SOURCES", sources)
        for platform, adapter in sources.items():
            choices = dict.fromkeys((defaults[platform], "export", "generic"))
            if adapter not in choices:
                raise _said(f"TRACKER_COLLECT_SOURCES[{platform}]: {adapter!r} is not an adapter of {platform}; "
                            f"use {', '.join(choices)}")
        return sources

    @field_validator("collect_generic")
    @classmethod
    def _generic(cls, spec: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        """The generic adapter's field paths: complete when given, given when a platform uses them."""
        if not spec:
            using = [p for p, a in (info.data.get("collect_sources") or {}).items() if a == "generic" and p != "generic"]
            if using:
                raise _said(f"TRACKER_COLLECT_SOURCES reads {', '.join(using)} with the generic adapter, but "
                            "TRACKER_COLLECT_GENERIC (its field paths) is empty")
            return spec
        missing = [key for key in GENERIC_REQUIRED if key not in spec]
        if missing:
            raise _said(f"TRACKER_COLLECT_GENERIC lacks {', '.join(missing)} (see tracker/collect/platforms/generic.py)")
        from tracker.contracts.vocab import METRICS

        if not isinstance(spec["metrics"], dict):
            raise _said('TRACKER_COLLECT_GENERIC metrics: must map metric to path, e.g. {"likes": "stats.like"}')
        if set(spec["metrics"]) - set(METRICS):
            raise _said(f"TRACKER_COLLECT_GENERIC metrics: unknown {sorted(set(spec['metrics']) - set(METRICS))}; "
                        f"use {', '.join(METRICS)}")
        return spec

    @field_validator("read_tenant_tokens")
    @classmethod
    def _tenant_tokens(cls, tokens: SecretStr, info: ValidationInfo) -> SecretStr:
        try:
            pairs = tenant_tokens(tokens)
        except ValueError as exc:
            raise _said(f"TRACKER_READ_TENANT_TOKENS: {exc}") from None
        password = info.data.get("read_password")  # absent when its own value was refused
        if pairs and isinstance(password, SecretStr) and not password.get_secret_value():
            raise _said("TRACKER_READ_TENANT_TOKENS needs TRACKER_READ_PASSWORD: without a password every reader "
                        "of the endpoint sees every tenant")
        return tokens

    @model_validator(mode="after")
    def _local_bootstrap(self) -> Settings:
        """An unset Kafka bootstrap is the local broker's port (``bootstrap_derived`` tells)."""
        if not self.kafka_bootstrap.strip():
            self.kafka_bootstrap = f"127.0.0.1:{self.broker_port}"
            self.model_fields_set.discard("kafka_bootstrap")  # derived, not given
        return self

    @property
    def bootstrap_derived(self) -> bool:
        """Whether the Kafka bootstrap was derived from TRACKER_BROKER_PORT (none was given)."""
        return "kafka_bootstrap" not in self.model_fields_set

    @property
    def store_url(self) -> str:
        """The ClickHouse URL in force: explicit, or the embedded default under data_dir."""
        if self.clickhouse_url:
            return self.clickhouse_url
        return f"chdb://{(self.data_dir / 'clickhouse').resolve()}"

    def analytics_params(self) -> AnalyticsParams:
        """The analytics parameters with this deployment's reorder window: the stream's
        resampling must merge every snapshot the processor accepts as not late."""
        return replace(DEFAULT_PARAMS, reorder_window_hours=self.reorder_window_hours)

    def topic(self, name: str) -> str:
        """Full topic name for a logical one such as ``tracker.snapshots.v1``."""
        return f"{self.topic_prefix}{name}"

    def masked(self) -> dict[str, Any]:
        """Effective settings as plain values with every secret masked, and every password
        inside a URL, wherever the URL is (a string, or a value of a mapping or list)."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********" if value.get_secret_value() else ""
            elif isinstance(value, Path):
                value = str(value)
            out[name] = _masked(value)
        out["store_url (effective)"] = _without_password(self.store_url)
        return out


_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^/?#@\s:\"']*:)[^/?#\s\"']*@")
"""``scheme://user:`` then the password, up to the host's ``@`` (the last one before the path)."""


def _without_password(text: str) -> str:
    """``text`` with the password of every URL in it masked (http://user:pw@host ->
    http://user:********@host); ``text`` may be one URL or hold several (a JSON value)."""
    return _URL_PASSWORD.sub(r"\1********@", text)


def _masked(value: Any) -> Any:
    """``value`` with the password of every URL in it masked, through mappings and lists."""
    if isinstance(value, str):
        return _without_password(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_masked(item) for item in value)
    return value


def _said(message: str) -> PydanticCustomError:
    """A value check's error: ``message`` is the whole line ``tracker`` prints."""
    return PydanticCustomError(SAID, "{message}", {"message": message})


def _known_platforms(name: str, per_platform: Mapping[str, Any]) -> dict[str, str]:
    """Each platform's default adapter; refuses a key of ``per_platform`` that is no platform."""
    if not per_platform:
        return {}
    # tracker.collect.config imports this module: read it when a value is checked
    from tracker.collect.config import DEFAULTS

    unknown = sorted(set(per_platform) - set(DEFAULTS))
    if unknown:
        raise _said(f"{name}: unknown platform(s) {', '.join(unknown)}; known: {', '.join(DEFAULTS)}")
    return {platform: default[0] for platform, default in DEFAULTS.items()}


def tenant_tokens(secret: SecretStr) -> dict[str, str]:
    """Token → tenant of ``read_tenant_tokens``: a JSON object or ``token=tenant,…``. Raises
    ValueError saying what is wrong (never quoting a token): a malformed value, a token shorter
    than MIN_TOKEN_CHARS, a tenant that is no tenant id."""
    text = secret.get_secret_value().strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            pairs = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON ({exc.msg})") from None
        if not isinstance(pairs, dict) or not all(isinstance(v, str) for v in pairs.values()):
            raise ValueError('must map token to tenant: {"<token>": "<tenant>"}')
    else:
        pairs = {}
        for item in filter(None, (p.strip() for p in text.split(","))):
            token, sep, tenant = item.partition("=")
            if not sep:
                raise ValueError("entries are token=tenant, separated by commas")
            pairs[token.strip()] = tenant.strip()
    for token, tenant in pairs.items():
        if len(token) < MIN_TOKEN_CHARS:
            if len(tenant) >= MIN_TOKEN_CHARS:  # tenant=token: naming the "tenant" would print a token
                raise ValueError(f"a token is shorter than {MIN_TOKEN_CHARS} characters; entries are token=tenant, "
                                 "token first")
            raise ValueError(f"the token of tenant {tenant!r} is shorter than {MIN_TOKEN_CHARS} characters; use a "
                             "long random token (e.g. `openssl rand -hex 16`)")
        if not TENANT_ID.match(tenant):
            raise ValueError(f"{tenant!r:.40} is not a tenant id (letters, digits and ._:@-, at most 128)")
    return pairs


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()


def variable(field: str) -> str:
    """The environment variable of a setting: ``web_port`` -> ``TRACKER_WEB_PORT``."""
    return f"{PREFIX}{field.upper()}"


def _raw(environ: Mapping[str, str], name: str) -> str | None:
    """The value of ``name`` in ``environ``, matched case-insensitively as pydantic-settings does."""
    for key, value in environ.items():
        if key.upper() == name:
            return value
    return None


def _shown(field: str, value: Any) -> str:
    """``value`` quoted for a message, or masked when the setting is a secret (a URL's password too)."""
    info = Settings.model_fields.get(field)
    if info is not None and info.annotation is SecretStr:
        return "'********'"
    return repr(_masked(value))


def _expected(error: Mapping[str, Any]) -> str:
    """What a value must be, from one pydantic error."""
    kind, ctx = error["type"], error.get("ctx") or {}
    plain = {
        "int_parsing": "must be an integer", "int_type": "must be an integer",
        "int_from_float": "must be an integer", "float_parsing": "must be a number",
        "float_type": "must be a number", "bool_parsing": "must be true or false (or 1/0, yes/no, on/off)",
        "bool_type": "must be true or false (or 1/0, yes/no, on/off)", "dict_type": "must be a JSON object",
        "list_type": "must be a JSON array", "tuple_type": "must be a JSON array",
    }
    if kind in plain:
        return plain[kind]
    bounds = {"greater_than_equal": ("ge", "{} or more"), "greater_than": ("gt", "more than {}"),
              "less_than_equal": ("le", "{} or less"), "less_than": ("lt", "less than {}")}
    if kind in bounds and bounds[kind][0] in ctx:
        key, text = bounds[kind]
        return "must be " + text.format(ctx[key])
    message = str(error.get("msg", kind))
    return message[:1].lower() + message[1:]


def _json_kind(field: str) -> str:
    info = Settings.model_fields.get(field)
    origin = typing.get_origin(info.annotation) if info is not None else None
    return "a JSON object" if origin is dict else "a JSON array" if origin in (list, tuple) else "JSON"


def problems(exc: Exception, environ: Mapping[str, str]) -> list[str]:
    """One line per bad variable of a failed ``Settings()``: the variable, its value (a secret
    masked) and what it must be; [] when ``exc`` is not about the settings."""
    if isinstance(exc, SettingsError):
        found = re.search(r'field "(\w+)" from source "(\w+)"', str(exc))
        if found is None:
            return [f"settings: {exc}"]
        field, source = found.groups()
        name = variable(field)
        raw = _raw(environ, name)
        shown = f"{name}={_shown(field, raw)}" if raw is not None else name
        where = " (in .env)" if source.startswith("DotEnv") else ""
        cause = exc.__cause__
        detail = (f" (not valid JSON: {cause.msg[:1].lower()}{cause.msg[1:]} at character {cause.pos})"
                  if isinstance(cause, json.JSONDecodeError) else "")
        return [f"{shown}{where}: must be {_json_kind(field)}{detail}"]
    if not isinstance(exc, ValidationError) or exc.title != Settings.__name__:
        return []
    by_field: dict[str, list[str]] = {}
    inputs: dict[str, Any] = {}
    said: list[str] = []  # the value checks' own lines (they name the variable)
    for error in exc.errors():
        loc = error["loc"]
        if error["type"] == SAID:
            said.append(error["msg"])
            continue
        if not loc:
            continue
        field = str(loc[0])
        inner = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc[1:]).lstrip(".")
        by_field.setdefault(field, []).append(f"{inner}: {_expected(error)}" if inner else _expected(error))
        if len(loc) == 1:
            inputs[field] = error.get("input")
    lines = []
    for field, expected in by_field.items():
        name = variable(field)
        raw = _raw(environ, name)
        value = raw if raw is not None else inputs.get(field)
        shown = f"{name}={_shown(field, value)}" if raw is not None or field in inputs else name
        lines.append(f"{shown}: {'; '.join(expected)}")
    return lines + said


def _closest(word: str, candidates: list[str], cutoff: float = 0.75) -> list[str]:
    """The candidate most like ``word``, and a second one when it is about as close."""
    scored = sorted(((difflib.SequenceMatcher(None, word, c).ratio(), c) for c in candidates), reverse=True)
    scored = [(score, c) for score, c in scored[:2] if score >= cutoff]
    return [c for score, c in scored if score >= scored[0][0] - 0.02]


def unknown_variables(names: Iterable[str]) -> list[str]:
    """A warning for each ``TRACKER_*`` name that is no setting (a typo is silently ignored
    otherwise), naming the setting it probably meant when one is close."""
    known = {variable(field) for field in Settings.model_fields}
    suffixes = [name.removeprefix(PREFIX) for name in sorted(known)]
    warnings = []
    for name in sorted(set(names)):
        upper = name.upper()
        if not upper.startswith(PREFIX) or upper in known or upper in OTHER_VARIABLES:
            continue
        close = _closest(upper.removeprefix(PREFIX), suffixes)
        hint = f"; did you mean {' or '.join(PREFIX + c for c in close)}?" if close else " (`tracker settings` lists them)"
        warnings.append(f"{name} is not a tracker setting and is ignored{hint}")
    return warnings
