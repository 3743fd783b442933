"""Engine errors mapped onto tracker's error tree (tracker/errors.py).

- The store cannot serve now (network, engine overloaded, too many parts,
  memory pressure) -> ``StoreUnavailable``: retry with backoff.
- The statement or its data is wrong (syntax, unknown table, type mismatch,
  readonly refusal) -> ``QueryError``: retrying cannot help; the engine's
  message and code are kept.
- Another process holds the embedded store, or the process already hosts an
  engine on another path -> ``StoreBusy``: the operator must act.
- tracker's database or one of its tables does not exist (a store never
  migrated, or a URL pointing at the wrong place) -> ``SchemaMissing``, a
  ``QueryError`` that says to run ``tracker db migrate``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from clickhouse_connect.driver.exceptions import Error as ClickHouseError
from clickhouse_connect.driver.exceptions import OperationalError

from tracker.errors import ConfigError, StoreUnavailable, TrackerError
from tracker.settings import Settings

# ClickHouse error codes that mean "try again later", not "your SQL is wrong".
TIMEOUT_EXCEEDED = 159
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


UNKNOWN_TABLE = 60
UNKNOWN_DATABASE = 81


class StoreBusy(ConfigError):
    """The embedded store is held by another process, or this process hosts another path."""


class SchemaMissing(QueryError, ConfigError):
    """The store lacks tracker's database or one of its tables: not migrated, or the URL is wrong."""


def store_held(where: str) -> StoreBusy:
    """The error of an embedded store at ``where`` that another process's engine holds: which
    process (from the engine's status file), and what to do about that kind of process."""
    from tracker.store.lock import engine_holder  # lock imports this module

    holder = engine_holder(where)
    if holder is None:
        advice = "another process; wait for it to finish, or stop it"
    elif holder.serves:  # its read endpoint is found through the lock file under its data folder
        advice = (f"{holder}, which serves it through its read endpoint: give this command that process's "
                  "TRACKER_DATA_DIR so it queries through the endpoint, or stop that process")
    elif holder.subcommand:
        advice = f"{holder}; wait for that command to finish and try again"
    else:
        advice = f"{holder}; stop it, or wait for it to finish (one process at a time can open an embedded store)"
    return StoreBusy(f"the embedded store at {where} is held by {advice}")


def schema_missing(where: str, table: str | None = None, database: str | None = None) -> SchemaMissing:
    """The error of a store at ``where`` without tracker's schema (or without ``table`` of it);
    ``database`` is named when it is not the default one."""
    what = f"lacks tracker's table {table}" if table else "has no tracker schema"
    data_dir = None if table else _derived_from(where)
    check = "TRACKER_CLICKHOUSE_URL" if data_dir is None else "TRACKER_DATA_DIR"
    also = ""
    if database and database != Settings.model_fields["clickhouse_database"].default:
        what, also = f"{what} in database {database}", " and TRACKER_CLICKHOUSE_DATABASE"
    code = UNKNOWN_TABLE if table else UNKNOWN_DATABASE
    if data_dir is not None and not data_dir.is_absolute():  # migrating here would start a second, empty store
        return SchemaMissing(f"the store at {where} {what}. The store is found from the current folder "
                             f"(TRACKER_DATA_DIR={data_dir}): run tracker from the project folder or set "
                             f"TRACKER_DATA_DIR / TRACKER_CLICKHOUSE_URL{also}; `tracker db migrate` creates "
                             "an empty store here", code)
    return SchemaMissing(f"the store at {where} {what}; run tracker db migrate (or check {check}{also})", code)


def _derived_from(where: str) -> Path | None:
    """TRACKER_DATA_DIR when the store at ``where`` is the one derived from it (no
    TRACKER_CLICKHOUSE_URL); None for a store named explicitly."""
    try:
        settings = Settings()
    except Exception:  # an invalid environment is reported elsewhere; say nothing more here
        return None
    return settings.data_dir if not settings.clickhouse_url and settings.store_url == where else None


@lru_cache(maxsize=1)
def schema_tables() -> frozenset[str]:
    """Names of the tables and views tracker's migrations create (and their ledger)."""
    from tracker.store.migrations import default_directory

    created = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TABLE|VIEW|MATERIALIZED\s+VIEW|DICTIONARY)\s+"
                         r"(?:IF\s+NOT\s+EXISTS\s+)?`?(\w+)`?", re.IGNORECASE)
    names = {"schema_migrations"}
    for path in default_directory().glob("*.sql"):
        names.update(created.findall(path.read_text(encoding="utf-8")))
    return frozenset(names)


def _missing_schema(code: int | None, message: str, where: str, database: str) -> SchemaMissing | None:
    """``SchemaMissing`` when the engine says tracker's database or one of its tables is missing."""
    if code == UNKNOWN_DATABASE:
        found = re.search(r"Database `?([^`\s]+?)`? does(?:n't| not) exist", message)
        return schema_missing(where, database=database) if found and found.group(1) == database else None
    if code == UNKNOWN_TABLE:
        found = (re.search(r"identifier '(?:(\w+)\.)?(\w+)'", message)
                 or re.search(r"Table `?(?:(\w+)\.)?(\w+)`? does(?:n't| not) exist", message))
        if found and found.group(1) in (None, database) and found.group(2) in schema_tables():
            return schema_missing(where, found.group(2), database)
    return None


_REWRAPPED = re.compile(r"^(?:Code: \d+\. DB::Exception: )+(?=Code: \d+\. DB::Exception: )")
_REPEATED_NAME = re.compile(r"(\(([A-Z][A-Z0-9_]*)\))(?:(?: \(version [^)]*\))?\. \(\2\))+")


def condense(message: str) -> str:
    """The engine's message said once: an error the engine rethrows while formatting output
    arrives as ``Code: 73. DB::Exception: Code: 73. DB::Exception: … (UNKNOWN_FORMAT) (version …).
    (UNKNOWN_FORMAT)``, once per wrapping; this keeps the innermost ``Code: … (NAME)``."""
    return _REPEATED_NAME.sub(r"\1", _REWRAPPED.sub("", message))


def error_code(exc: BaseException) -> int | None:
    """ClickHouse error code carried by ``exc`` or the engine error it wraps."""
    for candidate in (exc, exc.__cause__):
        code = getattr(candidate, "code", None)
        if isinstance(code, int):
            return code
    return None


def translate(exc: Exception, where: str, database: str | None = None) -> TrackerError:
    """Map an exception from an engine call to tracker's tree; ``where`` names the store and
    ``database`` is tracker's database in it (its absence means the store is not migrated)."""
    if isinstance(exc, TrackerError):
        return exc
    message = condense(str(exc).strip()) or type(exc).__name__
    if any(sign in message for sign in ("Another server instance", "Cannot lock file", "Error initializing EmbeddedServer")):
        return store_held(where)
    if "EmbeddedServer already initialized with path" in message:
        return StoreBusy(
            f"this process already hosts the embedded engine on another path and cannot open {where} "
            "(chDB allows one engine path per process)"
        )
    code = error_code(exc)
    if database and (missing := _missing_schema(code, message, where, database)):
        return missing
    if code == TIMEOUT_EXCEEDED and "maximum:" in message:  # the query ran past its own max_execution_time:
        return QueryError(message, code)  # its reader's to narrow, not a store down (nor its path to show)
    if code in UNAVAILABLE_CODES:
        return StoreUnavailable(f"store {where} unavailable: {message}")
    if isinstance(exc, ClickHouseError):
        if isinstance(exc, OperationalError) and code is None:
            return StoreUnavailable(f"store {where} unavailable: {message}")
        return QueryError(message, code)
    if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
        return StoreUnavailable(f"store {where} unavailable: {message}")
    return QueryError(message, code)
