"""One factory for ClickHouse clients: the embedded engine or a server.

``chdb:///abs/path`` opens the in-process engine (chDB) on disk;
``http(s)://user:pass@host:port`` talks to a ClickHouse server. Both are
clickhouse-connect clients with the same surface. A readonly client is the
analysts' client: the engine refuses writes, DDL and setting changes
(``readonly=1``), and each query is bounded in time, memory, threads and
result size so a heavy read cannot stall the sink.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from tracker.errors import ConfigError
from tracker.settings import Settings
from tracker.store.errors import schema_missing, store_held, translate

# Paths this process has started an embedded engine on: it holds their lock itself.
_engines: set[Path] = set()


def is_embedded(url: str) -> bool:
    """True for the in-process engine (``chdb://``)."""
    return url.startswith("chdb:")


def embedded_path(url: str) -> Path:
    """Directory of an embedded store URL (``chdb:///abs/path``)."""
    parsed = urlparse(url)
    if parsed.scheme != "chdb" or parsed.netloc or not parsed.path.startswith("/"):
        raise ConfigError(f"embedded store URL must be chdb:///<absolute path>, got {url!r}")
    return Path(unquote(parsed.path))


def has_store(url: str) -> bool:
    """False for an embedded URL whose directory holds no engine data (a store never
    migrated, or a mistyped path); True otherwise, and for a server."""
    if not is_embedded(url):
        return True
    path = embedded_path(url)
    return path in _engines or (path / "metadata").is_dir()


def _check_embedded(url: str, path: Path, readonly: bool) -> None:
    """Before this process starts an engine on ``path``: a reader needs an existing store
    (chDB would create one on a mistyped path), and an engine another process runs there
    is reported as ``StoreBusy`` (chDB would print its own lock error to stderr first)."""
    if path in _engines:
        return
    try:
        status: int | None = os.open(path / "status", os.O_RDONLY)  # a running engine holds an flock on it
    except OSError:
        status = None  # no engine ran there (or chDB will say what is wrong with the path)
    if status is not None:
        try:
            fcntl.flock(status, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise store_held(url) from None
        finally:
            os.close(status)
    if readonly and not has_store(url):
        raise schema_missing(url)


def reader_limits(settings: Settings) -> dict[str, Any]:
    """Session settings of a readonly client; ``readonly`` comes last because it
    freezes every setting after it."""
    return {
        "max_execution_time": settings.read_max_execution_time,
        "max_memory_usage": settings.read_max_memory,
        "max_threads": settings.read_max_threads,
        "max_result_rows": settings.read_max_result_rows,
        "max_result_bytes": settings.read_max_result_bytes,
        "result_overflow_mode": "throw",
        "readonly": 1,
    }


def make_client(
    url: str,
    database: str | None = None,
    *,
    readonly: bool = False,
    settings: Settings | None = None,
) -> Client:
    """A clickhouse-connect client for ``url``, using ``database`` for unqualified names.

    The database need not exist yet (migrations create it). For the embedded
    engine the directory is created and the engine memory limit is set from
    ``settings.store_memory_limit`` (it takes effect when this client starts
    the engine; later clients share the running engine).
    """
    settings = settings if settings is not None else Settings()
    session: dict[str, Any] = reader_limits(settings) if readonly else {}
    try:
        if is_embedded(url):
            path = embedded_path(url)
            _check_embedded(url, path, readonly)
            path.mkdir(parents=True, exist_ok=True)
            client = clickhouse_connect.get_client(
                dsn=f"chdb://{path}",
                settings=session,
                chdb_options={"max_server_memory_usage": settings.store_memory_limit},
            )
            _engines.add(path)
        elif url.startswith(("http://", "https://")):
            parsed = urlparse(url)
            client = clickhouse_connect.get_client(
                dsn=url,
                username=unquote(parsed.username) if parsed.username else settings.clickhouse_user,
                password=unquote(parsed.password) if parsed.password else settings.clickhouse_password.get_secret_value(),
                settings=session,
                autogenerate_session_id=False,
            )
        else:
            raise ConfigError(
                f"unsupported ClickHouse URL {url!r}: use chdb:///<absolute path> or http(s)://host:port"
            )
    except Exception as exc:
        raise translate(exc, url) from exc
    # Set after connecting so a database that does not exist yet does not fail the handshake.
    if database is not None:
        client.database = database
    return client
