"""Batch -> insert (in the store's thread pool) -> only then may offsets be committed.

Faust acks the events of ``stream.take_events()`` in a ``finally``, so this sink
must never return normally after a failed insert: it retries retryable failures
with backoff (pausing the partitions meanwhile, so memory stays bounded) and, on
an unrecoverable error, stops the process before anything past the last insert
can be committed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import random
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from tracker.errors import RetryableError, StoreUnavailable
from tracker.ops import metrics
from tracker.store.store import TableRows
from tracker.stream import rows as r

log = logging.getLogger(__name__)

# Inserted in this order; post_totals last so totals never run ahead of facts.
TABLE_ORDER: tuple[str, ...] = (r.POSTS, r.COST_LINES, r.HEATING_NODES, r.SNAPSHOTS, r.LATE_SNAPSHOTS,
                                r.COMMENTS, r.CURVES, r.PULSES, r.LONG_TAIL, r.ALERTS, r.DLQ, r.DLQ_REPLAYED,
                                r.POST_TOTALS)

# ClickHouse error codes that mean "try again later" rather than "bad data".
RETRYABLE_CODES = {159, 160, 202, 209, 210, 241, 242, 252, 425, 439, 1000}


# The per-event tables, inserted as JSON lines (plain values only: strings, ints, times, arrays).
JSON_TABLES = frozenset({r.SNAPSHOTS, r.LATE_SNAPSHOTS, r.POST_TOTALS})


class Inserter(Protocol):
    async def insert(self, table: str, rows: Sequence[Sequence[Any]], column_names: Sequence[str],
                     dedup_token: str | None = None, as_json: bool = False) -> Any: ...

    async def insert_tables(self, batches: Sequence[TableRows]) -> list[float]: ...


def dedup_token(table: str, offsets: Iterable[tuple[str, int, int, int]]) -> str:
    """Insert-deduplication token from the batch's source coordinates (topic, partition, first, last)."""
    digest = hashlib.sha1(table.encode())
    for topic, partition, first, last in sorted(offsets):
        digest.update(f"|{topic}:{partition}:{first}-{last}".encode())
    return digest.hexdigest()


def is_retryable(exc: BaseException) -> bool:
    """True for failures that may pass on a later attempt (store down, overload, network)."""
    if isinstance(exc, RetryableError | ConnectionError | TimeoutError | OSError):
        return True
    code = getattr(exc, "code", None)
    if code is None:
        text = str(exc)
        if text.startswith("Code: "):
            digits = text[6:].split(".", 1)[0]
            code = int(digits) if digits.isdigit() else None
    return code in RETRYABLE_CODES


def die(code: int = 70) -> None:
    """Stop the process at once: no finally, no ack, no commit."""
    logging.shutdown()
    sys.stderr.flush()
    os._exit(code)


class Sink:
    """Inserts a batch's rows table by table; returns only when all of them are stored."""

    def __init__(
        self,
        store: Inserter,
        *,
        pause: Callable[[], None] = lambda: None,
        resume: Callable[[], None] = lambda: None,
        backoff_initial: float = 0.2,
        backoff_max: float = 15.0,
        fault_store_down_file: Path | None = None,
        on_fatal: Callable[[int], None] = die,
    ) -> None:
        self.store = store
        self.pause = pause
        self.resume = resume
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.fault_store_down_file = fault_store_down_file
        self.on_fatal = on_fatal
        self.paused = False

    async def write(self, rows: dict[str, list[tuple[Any, ...]]], offsets: list[tuple[str, int, int, int]]) -> None:
        """Insert every table's rows (dedup token from ``offsets``), retrying until stored.

        All tables go in one store call first: between two tables' inserts the event loop
        may be busy preparing the next batch, and the insert would wait for it. When that
        fails, table by table with retries and backoff; the tables already inserted are
        deduplicated by their tokens."""
        batches = [TableRows(table, rows[table], r.COLUMNS[table], dedup_token(table, offsets), table in JSON_TABLES)
                   for table in TABLE_ORDER if rows.get(table)]
        try:
            self._check_fault()
            seconds = await self.store.insert_tables(batches)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # noqa: BLE001 - retried and classified table by table below
            log.debug("batch insert failed (%r); inserting table by table", exc)
            for b in batches:
                await self._insert_until_stored(b.table, b.rows, b.dedup_token or "")
        else:
            for b, took in zip(batches, seconds, strict=True):
                self._count(b.table, b.rows, took)
        if self.paused:
            self.paused = False
            self.resume()
            metrics.SINK_PAUSED.set(0)
            log.warning("store is back: partitions resumed")

    async def _insert_until_stored(self, table: str, batch: Sequence[Sequence[Any]], token: str) -> None:
        delay = self.backoff_initial
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                await self._insert(table, batch, token)
                self._count(table, batch, time.perf_counter() - started)
                return
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # noqa: BLE001 - classified below
                attempt += 1
                if not is_retryable(exc):
                    log.critical("unrecoverable insert error into %s (%d rows): %s; stopping the process "
                                 "so that no offset past the last insert is committed", table, len(batch), exc)
                    metrics.SINK_FATAL.inc()
                    self.on_fatal(70)
                    raise
                metrics.SINK_RETRIES.labels(table).inc()
                if not self.paused:
                    self.paused = True
                    self.pause()
                    metrics.SINK_PAUSED.set(1)
                log.warning("insert into %s failed (attempt %d): %s; partitions paused, retrying in %.1fs",
                            table, attempt, exc, delay)
                await asyncio.sleep(delay * (0.5 + random.random() / 2))
                delay = min(delay * 2, self.backoff_max)

    @staticmethod
    def _count(table: str, batch: Sequence[Any], seconds: float) -> None:
        metrics.SINK_INSERT_SECONDS.labels(table).observe(seconds)
        metrics.SINK_BATCH_ROWS.labels(table).observe(len(batch))
        metrics.SINK_ROWS.labels(table).inc(len(batch))

    def _check_fault(self) -> None:
        if self.fault_store_down_file is not None and self.fault_store_down_file.exists():
            raise StoreUnavailable(f"store marked unavailable by {self.fault_store_down_file} (fault injection)")

    async def _insert(self, table: str, batch: Sequence[Any], token: str) -> None:
        self._check_fault()
        await self.store.insert(table, batch, r.COLUMNS[table], dedup_token=token, as_json=table in JSON_TABLES)


async def gather_sends(futures: Sequence[Awaitable[Any]]) -> None:
    """Wait until every produced message (DLQ, alerts, changelog) is acknowledged by the broker."""
    if futures:
        await asyncio.gather(*futures)
