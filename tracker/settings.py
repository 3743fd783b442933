"""One typed Settings model read from ``TRACKER_*`` environment variables.

Secrets are ``SecretStr`` and never printed; ``tracker settings`` shows the
effective values with secrets masked. ``problems`` turns a failed ``Settings()``
into one line per bad variable, and ``unknown_variables`` names ``TRACKER_*``
variables that are no setting (typos), for ``tracker`` to print.
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

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from tracker.analytics.params import DEFAULT_PARAMS, AnalyticsParams

PREFIX = "TRACKER_"

# TRACKER_* variables read outside Settings, so not typos: the ROI benchmark's time bound.
OTHER_VARIABLES = frozenset({"TRACKER_BENCH_ROI_MAX_SECONDS"})


class Settings(BaseSettings):
    """Effective configuration of one tracker process."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, env_file=".env", extra="ignore")

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
        300.0, ge=0, description="Longest pause honoured from a Retry-After header (longer ones count as quota exhaustion).")
    collect_breaker_failures: int = Field(5, ge=1, description="Consecutive failed requests that open a platform's circuit breaker.")
    collect_breaker_cooldown_seconds: float = Field(30.0, ge=0, description="Seconds an open breaker waits before one probe request.")
    collect_risk_backoff_seconds: float = Field(
        900.0, ge=0, description="Seconds a platform is left alone after a risk-control or captcha answer (reported, never evaded).")
    collect_tick_seconds: float = Field(0.2, gt=0, description="Real seconds between scheduling passes when nothing is due.")
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
    prometheus_url: str = Field(
        "http://127.0.0.1:9090", description="Prometheus that Grafana's provisioned datasource reads (tracker dashboards generate).")

    # -- reports and tenant scoping (tracker roi, report; read endpoint) ------
    read_tenant_tokens: SecretStr = Field(
        SecretStr(""), description="Tenant reader tokens, JSON {\"<token>\": \"<tenant>\"} or token=tenant,...: a reader "
                                   "sending one as its password sees only that tenant's rows (needs TRACKER_READ_PASSWORD).")
    report_top_posts: int = Field(10, ge=0, description="Posts listed in the top and bottom tables of `tracker report`.")

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
        """Effective settings as plain values with every secret masked."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********" if value.get_secret_value() else ""
            elif isinstance(value, Path):
                value = str(value)
            elif isinstance(value, str) and name.endswith("_url"):
                value = _without_password(value)
            out[name] = value
        out["store_url (effective)"] = _without_password(self.store_url)
        return out


def _without_password(url: str) -> str:
    """``url`` with a password in it masked (http://user:pw@host -> http://user:********@host)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username or ''}:********@{host}").geturl()


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
    """``value`` quoted for a message, or masked when the setting is a secret."""
    info = Settings.model_fields.get(field)
    if info is not None and info.annotation is SecretStr:
        return "'********'"
    return repr(value)


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
    for error in exc.errors():
        loc = error["loc"]
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
    return lines


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
