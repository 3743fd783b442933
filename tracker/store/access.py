"""Reading and writing the store from commands, whoever holds it.

The embedded engine allows one process per data directory. When a running
process (``tracker run``/``worker``) holds it, readers go through its read
endpoint (clickhouse-connect's HTTP client) and writers through its local
write endpoint (``POST /admin/insert``); otherwise the store is opened
directly. Against a ClickHouse server both always go direct.

Writers only take registry-like tables (tenants, campaigns, creators, costs,
FX, sales…): stream facts arrive through Kafka and the worker.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

import clickhouse_connect
import httpx
import orjson

from tracker.errors import ConfigError, InvalidInput
from tracker.settings import Settings
from tracker.store.client import has_store, is_embedded
from tracker.store.errors import StoreBusy, schema_missing
from tracker.store.lock import HeldForAnotherStore, StoreLock, acquire_store_lock, store_owner
from tracker.store.store import JSON_INSERT_SETTINGS, Rows, Store

WRITABLE_TABLES = frozenset({
    "tenants", "campaigns", "creators", "creator_accounts", "bundles", "fx_rates", "cost_lines", "sales",
    "attribution_keys", "emv_unit_values",
})


class Reader(Protocol):
    def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> Rows: ...


class Writer(Protocol):
    def insert_json(self, table: str, rows: Sequence[Mapping[str, Any]], dedup_token: str | None = None) -> int: ...


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_each_row(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """Rows as ClickHouse JSONEachRow bytes (datetimes ISO, decimals as strings)."""
    return b"".join(orjson.dumps(dict(row), default=_json_default) + b"\n" for row in rows)


def check_table(table: str) -> None:
    if table not in WRITABLE_TABLES:
        raise InvalidInput(f"table {table!r} is not writable this way (one of: {', '.join(sorted(WRITABLE_TABLES))})")


def insert_json_rows(store: Store, table: str, body: bytes, dedup_token: str | None) -> int:
    """Insert JSONEachRow bytes into ``table`` through ``store`` (the engine parses the values)."""
    settings = dict(JSON_INSERT_SETTINGS)
    if dedup_token:
        settings["insert_deduplication_token"] = dedup_token
    summary = store.call_sync(lambda c: c.raw_insert(table, None, insert_block=body, fmt="JSONEachRow",
                                                     settings=settings))
    return int(getattr(summary, "written_rows", 0) or 0)


class _StoreReader:
    def __init__(self, store: Store) -> None:
        self.store = store

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> Rows:
        return self.store.query_sync(sql, parameters)


class _HttpReader:
    def __init__(self, endpoint: str, settings: Settings) -> None:
        url = httpx.URL(endpoint)
        self.client = clickhouse_connect.get_client(
            host=url.host, port=url.port or 8123, database=settings.clickhouse_database,
            password=settings.read_password.get_secret_value(), autogenerate_session_id=False)

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> Rows:
        result = self.client.query(sql, parameters=dict(parameters) if parameters else None)
        return Rows(tuple(result.column_names), [tuple(row) for row in result.result_rows])


class _StoreWriter:
    def __init__(self, store: Store) -> None:
        self.store = store

    def insert_json(self, table: str, rows: Sequence[Mapping[str, Any]], dedup_token: str | None = None) -> int:
        check_table(table)
        return insert_json_rows(self.store, table, json_each_row(rows), dedup_token) if rows else 0


class _HttpWriter:
    def __init__(self, endpoint: str, settings: Settings) -> None:
        self.endpoint = endpoint
        self.settings = settings

    def insert_json(self, table: str, rows: Sequence[Mapping[str, Any]], dedup_token: str | None = None) -> int:
        check_table(table)
        if not rows:
            return 0
        params = {"table": table, **({"dedup_token": dedup_token} if dedup_token else {})}
        headers = {"X-Tracker-Key": self.settings.read_password.get_secret_value()}
        try:
            response = httpx.post(self.endpoint, params=params, content=json_each_row(rows), headers=headers,
                                  timeout=120)
        except httpx.HTTPError as exc:
            raise StoreBusy(f"the process holding the store did not take the rows at {self.endpoint}: {exc}") from exc
        if response.status_code != 200:
            raise InvalidInput(f"the store refused rows for {table}: {response.text.strip()}")
        return int(response.json().get("written_rows", len(rows)))


@contextlib.contextmanager
def open_reader(settings: Settings) -> Iterator[Reader]:
    """A reader of the configured store, through its holder when there is one."""
    if is_embedded(settings.store_url):
        owner = store_owner(settings)
        if owner is not None:
            if not owner.read_endpoint:
                raise StoreBusy(f"process {owner.pid} holds the store and serves no read endpoint yet; try again")
            reader: Reader = _HttpReader(owner.read_endpoint, settings)
            require_current_schema(reader, settings)
            yield reader
            return
    with Store.open(settings, readonly=True) as store:
        reader = _StoreReader(store)
        require_current_schema(reader, settings)
        yield reader


def require_current_schema(reader: Reader, settings: Settings) -> None:
    """Refuse a store whose schema is behind this tracker's migrations (an upgrade not yet
    migrated): its queries would fail on a column or view it lacks, with the engine's words."""
    from tracker.store.migrations import discover

    try:
        rows = reader.query("SELECT max(version) FROM schema_migrations FINAL").rows
    except Exception:  # noqa: BLE001 - no ledger (a new store): the query itself says what is missing
        return
    applied = int(rows[0][0] or 0) if rows else 0
    latest = discover(settings.migrations_dir)[-1]
    if applied and applied < latest.version:
        raise ConfigError(f"the store's schema is at migration {applied:04d} and this tracker needs "
                          f"{latest.filename}: run `tracker db migrate` (a worker or `tracker run` migrates at start "
                          "too), then try again")


@contextlib.contextmanager
def open_writer(settings: Settings) -> Iterator[Writer]:
    """A writer of registry tables: direct, or through the process holding the store (only when
    it holds the configured one: ``store_owner``)."""
    if not is_embedded(settings.store_url):
        with Store.open(settings) as store:
            yield _StoreWriter(store)
        return
    owner = store_owner(settings)
    if owner is not None:
        if not owner.write_endpoint:
            raise StoreBusy(f"process {owner.pid} holds the store and takes no writes yet; try again")
        yield _HttpWriter(owner.write_endpoint, settings)
        return
    if not has_store(settings.store_url):  # do not create a store at a mistyped path to write one row
        raise schema_missing(settings.store_url)
    lock: StoreLock | None
    try:
        lock = acquire_store_lock(settings)
    except HeldForAnotherStore:
        lock = None  # the data folder serves another store: this one is opened directly (its engine locks it)
    except StoreBusy as exc:
        raise ConfigError(str(exc)) from exc
    try:
        with Store.open(settings) as store:
            yield _StoreWriter(store)
    finally:
        if lock is not None:
            lock.release()
