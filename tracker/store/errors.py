"""Engine errors mapped onto tracker's error tree (tracker/errors.py).

- The store cannot serve now (network, engine overloaded, too many parts,
  memory pressure) -> ``StoreUnavailable``: retry with backoff.
- The statement or its data is wrong (syntax, unknown table, type mismatch,
  readonly refusal) -> ``QueryError``: retrying cannot help; the engine's
  message and code are kept.
- Another process holds the embedded store, or the process already hosts an
  engine on another path -> ``StoreBusy``: the operator must act.
"""

from __future__ import annotations

from clickhouse_connect.driver.exceptions import Error as ClickHouseError
from clickhouse_connect.driver.exceptions import OperationalError

from tracker.errors import ConfigError, StoreUnavailable, TrackerError

# ClickHouse error codes that mean "try again later", not "your SQL is wrong".
UNAVAILABLE_CODES = frozenset(
    {
        159,  # TIMEOUT_EXCEEDED
        202,  # TOO_MANY_SIMULTANEOUS_QUERIES
        203,  # NO_FREE_CONNECTION
        209,  # SOCKET_TIMEOUT
        210,  # NETWORK_ERROR
        225,  # NO_ZOOKEEPER
        236,  # ABORTED
        241,  # MEMORY_LIMIT_EXCEEDED
        242,  # TABLE_IS_READ_ONLY
        243,  # NOT_ENOUGH_SPACE
        252,  # TOO_MANY_PARTS
        279,  # ALL_CONNECTION_TRIES_FAILED
        319,  # UNKNOWN_STATUS_OF_INSERT
        425,  # SYSTEM_ERROR
        999,  # KEEPER_EXCEPTION
    }
)


class QueryError(TrackerError):
    """The engine refused a statement or its data; ``code`` is ClickHouse's error code."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class StoreBusy(ConfigError):
    """The embedded store is held by another process, or this process hosts another path."""


def error_code(exc: BaseException) -> int | None:
    """ClickHouse error code carried by ``exc`` or the engine error it wraps."""
    for candidate in (exc, exc.__cause__):
        code = getattr(candidate, "code", None)
        if isinstance(code, int):
            return code
    return None


def translate(exc: Exception, where: str) -> TrackerError:
    """Map an exception from an engine call to tracker's tree; ``where`` names the store."""
    if isinstance(exc, TrackerError):
        return exc
    message = str(exc).strip() or type(exc).__name__
    if any(sign in message for sign in ("Another server instance", "Cannot lock file", "Error initializing EmbeddedServer")):
        return StoreBusy(
            f"the embedded store at {where} is held by another process; stop that process, "
            "or query it through its read endpoint (`tracker sql`)"
        )
    if "EmbeddedServer already initialized with path" in message:
        return StoreBusy(
            f"this process already hosts the embedded engine on another path and cannot open {where} "
            "(chDB allows one engine path per process)"
        )
    code = error_code(exc)
    if code in UNAVAILABLE_CODES:
        return StoreUnavailable(f"store {where} unavailable: {message}")
    if isinstance(exc, ClickHouseError):
        if isinstance(exc, OperationalError) and code is None:
            return StoreUnavailable(f"store {where} unavailable: {message}")
        return QueryError(message, code)
    if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
        return StoreUnavailable(f"store {where} unavailable: {message}")
    return QueryError(message, code)
