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
    worker_batch_max: int = Field(20_000, description="Events per worker batch (one insert per table per batch).")
    worker_batch_seconds: float = Field(0.5, description="Longest wait before a partial batch is processed.")
    worker_buffer: int = Field(20_000, description="Events buffered per stream before fetching pauses (backpressure).")
    worker_session_timeout: float = Field(
        30.0, description="Seconds before a silent worker leaves its group (a restarted one resumes after this).")
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
