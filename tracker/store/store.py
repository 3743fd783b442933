"""``Store``: the async facade over one ClickHouse store.

The embedded engine has only a synchronous client, so every engine call runs
in a bounded thread pool (``store_threads`` threads, or ``read_threads`` for a
readonly store) and never on the event loop. Each pool thread owns its own
client: calls on different threads run in parallel instead of queueing on
one client's lock. The ``*_sync`` variants run the same calls through the
same pool for CLI use.

Errors come out as tracker's tree (see ``tracker.store.errors``):
``StoreUnavailable`` is retryable, ``QueryError`` carries the engine's message.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlparse

import orjson
from clickhouse_connect.datatypes.base import ClickHouseType
from clickhouse_connect.driver.client import Client

from tracker.errors import StoreUnavailable
from tracker.settings import Settings
from tracker.store.client import is_embedded, make_client
from tracker.store.errors import translate

T = TypeVar("T")

# JSON inserts: RFC3339 times as orjson writes them ("…T…+00:00"), no unknown columns.
JSON_INSERT_SETTINGS = {"date_time_input_format": "best_effort", "input_format_skip_unknown_fields": 0}


@dataclass(frozen=True, slots=True)
class TableRows:
    """One table's part of a batch insert (``Store.insert_tables``)."""

    table: str
    rows: Sequence[Sequence[Any]]
    column_names: Sequence[str]
    dedup_token: str | None = None
    as_json: bool = False


@dataclass(frozen=True)
class Rows:
    """A materialised query result: column names and row tuples."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def named(self) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column name."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def scalar(self) -> Any:
        """The first column of the first row (None when empty)."""
        return self.rows[0][0] if self.rows else None

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)


def redact(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    return parsed._replace(netloc=parsed.netloc.replace(f":{parsed.password}@", ":***@")).geturl()


class Store:
    """One store (URL + database) behind a bounded pool of per-thread clients."""

    def __init__(
        self,
        url: str,
        database: str | None = None,
        *,
        readonly: bool = False,
        settings: Settings | None = None,
        threads: int | None = None,
    ) -> None:
        self.settings = settings if settings is not None else Settings()
        self.url = url
        self.database = database
        self.readonly = readonly
        size = threads or (self.settings.read_threads if readonly else self.settings.store_threads)
        prefix = "tracker-store-ro" if readonly else "tracker-store"
        self._executor = ThreadPoolExecutor(max_workers=max(1, size), thread_name_prefix=prefix)
        self._local = threading.local()
        self._clients: list[Client] = []
        self._clients_lock = threading.Lock()
        self._column_types: dict[tuple[str, tuple[str, ...]], Sequence[ClickHouseType]] = {}
        self._closed = False

    @classmethod
    def open(cls, settings: Settings, *, readonly: bool = False) -> Store:
        """The configured store (``settings.store_url``, ``settings.clickhouse_database``)."""
        return cls(settings.store_url, settings.clickhouse_database, readonly=readonly, settings=settings)

    @property
    def embedded(self) -> bool:
        """True for the in-process engine (the owner serves readers through the read endpoint)."""
        return is_embedded(self.url)

    def __repr__(self) -> str:
        mode = "readonly" if self.readonly else "readwrite"
        return f"Store({redact(self.url)!r}, database={self.database!r}, {mode})"

    # -- the pool ------------------------------------------------------------

    def _client(self) -> Client:
        client: Client | None = getattr(self._local, "client", None)
        if client is None:
            client = make_client(self.url, self.database, readonly=self.readonly, settings=self.settings)
            self._local.client = client
            with self._clients_lock:
                self._clients.append(client)
        return client

    def _run(self, fn: Callable[[Client], T]) -> T:
        try:
            return fn(self._client())
        except Exception as exc:
            with contextlib.suppress(Exception):  # the call's own error is the one to report
                self._discard_sessions()
            raise translate(exc, redact(self.url), self.database) from exc

    def _discard_sessions(self) -> None:
        """Close this thread's engine session after a failed call; the next call opens a fresh one.
        chDB hands the output a failed query had already produced (its first blocks) to the next
        query on the same session: that query read another's rows, or failed on them."""
        client: Client | None = getattr(self._local, "client", None)
        self._local.client = None
        if client is not None:
            self._close_client(client)

    def _close_client(self, client: Client) -> None:
        with self._clients_lock:
            if client in self._clients:
                self._clients.remove(client)
        client.close()

    def _submit(self, fn: Callable[[Client], T]) -> Future[T]:
        if self._closed:
            raise StoreUnavailable(f"{self!r} is closed")
        try:
            return self._executor.submit(self._run, fn)
        except RuntimeError as exc:  # shut down between the check and the submit
            raise StoreUnavailable(f"{self!r} is closed") from exc

    async def call(self, fn: Callable[[Client], T]) -> T:
        """Run ``fn(client)`` on a pool thread and await its result."""
        return await asyncio.wrap_future(self._submit(fn))

    def call_sync(self, fn: Callable[[Client], T]) -> T:
        """Run ``fn(client)`` on a pool thread and wait for its result."""
        return self._submit(fn).result()

    # -- operations (sync bodies, run on a pool thread) ------------------------

    def _insert(
        self,
        client: Client,
        table: str,
        rows: Sequence[Sequence[Any]],
        column_names: Sequence[str],
        dedup_token: str | None,
        as_json: bool = False,
    ) -> int:
        settings: dict[str, Any] | None = {"insert_deduplication_token": dedup_token} if dedup_token else None
        if as_json:
            try:
                # One call for the whole batch (a call per row costs about 15 times more); the
                # engine reads JSONCompactEachRow rows separated by commas.
                body = orjson.dumps(rows)[1:-1]
            except orjson.JSONEncodeError as exc:
                raise TypeError(f"rows for {table} cannot go into a JSON insert ({exc}); insert them natively") from None
            summary = client.raw_insert(table, list(column_names), insert_block=body, fmt="JSONCompactEachRow",
                                        settings={**(settings or {}), **JSON_INSERT_SETTINGS})
            return int(getattr(summary, "written_rows", 0) or 0)
        key = (table, tuple(column_names))
        types = self._column_types.get(key)
        if types is None:
            context = client.create_insert_context(table, column_names=list(column_names))
            types = self._column_types[key] = context.column_types
        try:
            summary = client.insert(table, rows, column_names=list(column_names), column_types=types, settings=settings)
        except Exception:
            self._column_types.pop(key, None)  # the table may have changed; describe it again next time
            raise
        return summary.written_rows

    @staticmethod
    def _query(client: Client, sql: str, parameters: Any, settings: dict[str, Any] | None) -> Rows:
        result = client.query(sql, parameters=parameters, settings=settings)
        return Rows(tuple(result.column_names), [tuple(row) for row in result.result_rows])

    @staticmethod
    def _raw_query(
        client: Client,
        sql: str,
        parameters: Any,
        settings: dict[str, Any] | None,
        database: str | None,
    ) -> bytes:
        if database is None or database == client.database:
            return client.raw_query(sql, parameters=parameters, settings=settings)
        previous = client.database  # the client belongs to this thread alone
        client.database = database
        try:
            return client.raw_query(sql, parameters=parameters, settings=settings)
        finally:
            client.database = previous

    # -- async API -------------------------------------------------------------

    async def insert(
        self,
        table: str,
        rows: Sequence[Sequence[Any]],
        column_names: Sequence[str],
        dedup_token: str | None = None,
        as_json: bool = False,
    ) -> int:
        """Insert ``rows`` (tuples in ``column_names`` order) into ``table``.

        ``dedup_token`` (e.g. derived from the source offsets) makes a repeated
        insert of the same batch a no-op within the table's deduplication
        window. ``as_json`` sends the rows as JSON arrays that the engine parses
        (one orjson call per batch instead of clickhouse-connect's per-value
        encoding: less Python time for wide batches of plain values; no Decimal).
        Returns the rows the engine reports written.
        """
        if not rows:
            return 0
        return await self.call(lambda c: self._insert(c, table, rows, column_names, dedup_token, as_json))

    async def insert_tables(self, batches: Sequence[TableRows]) -> list[float]:
        """Insert several tables' rows in order in one pool-thread call (no event-loop turn
        between them); returns each insert's seconds. Stops at the first failure."""

        def run(client: Client) -> list[float]:
            seconds = []
            for b in batches:
                started = time.perf_counter()
                self._insert(client, b.table, b.rows, b.column_names, b.dedup_token, b.as_json)
                seconds.append(time.perf_counter() - started)
            return seconds

        return await self.call(run)

    async def query(self, sql: str, parameters: Any = None, settings: dict[str, Any] | None = None) -> Rows:
        """Run a SELECT and return its rows."""
        return await self.call(lambda c: self._query(c, sql, parameters, settings))

    async def command(self, sql: str, parameters: Any = None, *, use_database: bool = True) -> Any:
        """Run a statement (DDL, OPTIMIZE, ...); returns the engine's short answer."""
        return await self.call(lambda c: c.command(sql, parameters=parameters, use_database=use_database))

    async def raw_query(
        self,
        sql: str,
        parameters: Any = None,
        *,
        settings: dict[str, Any] | None = None,
        database: str | None = None,
    ) -> bytes:
        """Run ``sql`` and return the bytes the engine produced (its FORMAT clause decides)."""
        return await self.call(lambda c: self._raw_query(c, sql, parameters, settings, database))

    async def ping(self) -> bool:
        """True when the engine answers."""
        return await self.call(lambda c: c.ping())

    # -- sync API (CLI) --------------------------------------------------------

    def insert_sync(
        self,
        table: str,
        rows: Sequence[Sequence[Any]],
        column_names: Sequence[str],
        dedup_token: str | None = None,
        as_json: bool = False,
    ) -> int:
        """Blocking ``insert``."""
        if not rows:
            return 0
        return self.call_sync(lambda c: self._insert(c, table, rows, column_names, dedup_token, as_json))

    def query_sync(self, sql: str, parameters: Any = None, settings: dict[str, Any] | None = None) -> Rows:
        """Blocking ``query``."""
        return self.call_sync(lambda c: self._query(c, sql, parameters, settings))

    def command_sync(self, sql: str, parameters: Any = None, *, use_database: bool = True) -> Any:
        """Blocking ``command``."""
        return self.call_sync(lambda c: c.command(sql, parameters=parameters, use_database=use_database))

    def raw_query_sync(
        self,
        sql: str,
        parameters: Any = None,
        *,
        settings: dict[str, Any] | None = None,
        database: str | None = None,
    ) -> bytes:
        """Blocking ``raw_query``."""
        return self.call_sync(lambda c: self._raw_query(c, sql, parameters, settings, database))

    # -- lifecycle ---------------------------------------------------------------

    def close(self) -> None:
        """Wait for running calls, then close every client. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._executor.shutdown(wait=True, cancel_futures=True)
        with self._clients_lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()

    async def aclose(self) -> None:
        """``close`` without blocking the event loop."""
        await asyncio.to_thread(self.close)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
