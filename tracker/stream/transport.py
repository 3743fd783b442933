"""tracker's Faust Kafka transport: an idempotent producer and a batch-fetching consumer.

faust-streaming turns idempotence on only in exactly-once mode; tracker wants it
for every message it writes (changelog, DLQ, alerts) in at-least-once mode too.

Faust hands every fetched record to its streams one by one (a message object, two
tasks raced per record, an event, an ack), which caps a worker near 8k records/s.
``BatchConsumer`` keeps Faust's group membership, rebalancing, table recovery and
commit machinery, but delivers whole fetches of the worker's source topics to a
queue the worker drains in batches, and commits their offsets only when told the
batch is stored (``done``). Every other topic (table changelogs during recovery)
still takes Faust's per-message path. On stop, the worker stores the batch in
hand and takes no other, and its offsets are committed before the consumer
closes (``wait_empty``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import IllegalStateError
from faust.transport import drivers
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

SCHEME = "trackerkafka"
log = logging.getLogger(__name__)


class IdempotentProducer(faust_aiokafka.Producer):
    def _settings_extra(self) -> Mapping[str, Any]:
        return {"acks": "all", "enable_idempotence": True}


@dataclass(slots=True)
class Fetch:
    """The records of one partition from one fetch, in offset order."""

    tp: TP
    records: list[Any]  # aiokafka ConsumerRecord: topic, partition, offset, key, value


STOP = Fetch(TP("", -1), [])
"""Queued behind the records in hand when the worker is to stop: it takes no more batches."""


class BatchConsumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer, delivering the batch topics' records by the fetch."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batch_topics: frozenset[str] = frozenset()
        self.fetched: asyncio.Queue[Fetch] = asyncio.Queue()
        self.queued = 0
        """Records fetched and not yet taken by the worker."""
        self.limit = 20_000
        self._done: dict[TP, int] = {}
        self._in_flight = 0
        self._resumed = asyncio.Event()
        self._committing: asyncio.Future[Any] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._held = False
        self.stopping = False
        """The process is stopping: the worker stores the batch in hand and takes no other."""
        self._taker = False
        self._last_taken = asyncio.Event()

    def deliver_batches(self, topics: Iterable[str], limit: int) -> None:
        """Deliver ``topics`` to ``fetched``; stop fetching them while ``limit`` records wait there."""
        self.batch_topics = frozenset(topics)
        self.limit = limit

    # -- the worker's side ------------------------------------------------------------

    def take(self, fetches: list[Fetch]) -> list[Fetch]:
        """Account for fetches taken off the queue; keeps those of partitions still assigned."""
        self.queued -= sum(len(f.records) for f in fetches)
        if self.queued < self.limit and not self._held:
            self._fetch_again()
        assigned = self.assignment()
        return [f for f in fetches if f.tp in assigned]

    def working(self, start: bool) -> None:
        """A batch starts or stops being in flight (prepared, then stored), or alert changes of
        the stall timer (sent, then stored): a rebalance or shutdown waits until none is."""
        self._in_flight += 1 if start else -1
        if self._in_flight:
            self._idle.clear()
        else:
            self._idle.set()

    def start_taking(self) -> None:
        """A worker takes the batches from now on: a stop waits for it to store the batch in hand."""
        self._taker = True

    def taken_last(self) -> None:
        """The worker, stopping, has stored its last batch and marked it done."""
        self._last_taken.set()

    def done(self, fetches: list[Fetch]) -> None:
        """The fetches' rows are stored: their offsets may be committed."""
        n = 0
        for fetch in fetches:
            after = fetch.records[-1].offset + 1
            if self._done.get(fetch.tp, -1) < after:
                self._done[fetch.tp] = after
            n += len(fetch.records)
        self._n_acked += n
        if self.stopping:
            return  # committed by ``wait_empty``, before the consumer stops
        every = self._commit_every
        if (self.fetched.empty() or (every is not None and self._n_acked >= every)) and self._committing is None:
            # commit now rather than at the next fetch (which may wait for new records)
            self._n_acked = 0
            self._committing = asyncio.ensure_future(self.commit())
            self._committing.add_done_callback(self._committed)

    def _committed(self, task: asyncio.Future[Any]) -> None:
        self._committing = None
        if not task.cancelled() and task.exception() is not None:
            log.warning("offset commit failed (retried at the next one): %r", task.exception())

    def hold(self) -> None:
        """Stop fetching the batch topics (the store is unavailable)."""
        self._held = True
        self._stop_fetching()

    def release(self) -> None:
        self._held = False
        if self.queued < self.limit:
            self._fetch_again()

    def _batch_tps(self) -> Iterator[TP]:
        return (tp for tp in self.assignment() if tp.topic in self.batch_topics)

    def _fetching_batches(self) -> bool:
        return any(tp.topic in self.batch_topics for tp in self._get_active_partitions())

    def _stop_fetching(self) -> None:
        for tp in self._batch_tps():
            self.on_buffer_full(tp)

    def _fetch_again(self) -> None:
        if self.app.in_recovery or self.stopping:
            return
        for tp in self._batch_tps():
            self.on_buffer_drop(tp)
        self._resumed.set()

    # -- Faust's side -----------------------------------------------------------------

    def _filter_tps_with_pending_acks(self, topics: Any = None) -> Iterator[TP]:
        yield from super()._filter_tps_with_pending_acks(topics)
        for tp in self._done:
            if tp not in self._acked and (topics is None or tp in topics or tp.topic in topics):
                yield tp

    def _new_offset(self, tp: TP) -> int | None:
        if tp.topic in self.batch_topics:
            return self._done.get(tp)
        return super()._new_offset(tp)

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        await self._idle.wait()  # the batch in flight ends (stored or the process stops)
        for tp in revoked:
            self._done.pop(tp, None)
        await super().on_partitions_revoked(revoked)

    async def wait_empty(self) -> None:
        """Before a rebalance or the stop, with the fetcher stopped: the batch in flight ends and
        what is stored is committed (Faust's own commit in ``wait_empty``).

        On stop the worker first stores the records it holds and takes no more; what is queued
        behind them is dropped (not committed: read again at the next start). This commit then
        happens while the consumer still runs: one left to ``done`` came after the consumer's
        loop had closed ("offset commit failed … Event loop is closed") and the group kept lag on
        every partition although the rows were stored."""
        if self.app.should_stop and self._taker and not self.stopping:
            self.stopping = True
            while not self.fetched.empty():  # the worker takes no more of them
                self.queued -= len(self.fetched.get_nowait().records)
            self.fetched.put_nowait(STOP)
            await self._last_taken.wait()
        await self._idle.wait()
        for running in (self._committing, self._commit_fut):
            # Faust's commit waits for one already running and then returns, committing nothing:
            # the offsets marked done after that one started would wait for a commit to come.
            if running is not None:
                await asyncio.wait([running])
        await super().wait_empty()

    async def _drain_messages(self, fetcher: Any) -> None:  # pragma: no cover - runs in the worker
        if not self.batch_topics:
            await super()._drain_messages(fetcher)
            return
        callback = self.callback
        commit_every = self._commit_every
        while not (self._stopped.is_set() or fetcher._stopped.is_set()):
            timeout = 1.0
            if self.flow_active and not self.app.in_recovery and not self._fetching_batches():
                # The batch topics wait (the queue is full or the store is down): a fetch of what
                # is left (the table's changelog, idle after recovery) would block for its whole
                # timeout; wake as soon as the worker takes a batch, then poll without waiting.
                self._resumed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._resumed.wait(), 1.0)
                timeout = 0.0
            records, _active = await self._wait_next_records(timeout=timeout)
            generation = self.app.consumer_generation_id
            await asyncio.sleep(0)
            if not records or self.should_stop:
                continue
            queued = False
            for tp, batch in records.items():
                if not batch:
                    continue
                tp = TP(tp.topic, tp.partition)
                self.app.monitor.track_tp_end_offset(tp, self.highwater(tp))
                if tp.topic in self.batch_topics:
                    # Never dropped here: offsets are committed from ``done`` only, so a
                    # record skipped now would be committed past by a later batch.
                    self.fetched.put_nowait(Fetch(tp, batch))
                    self.queued += len(batch)
                    queued = True
                    continue
                for record in batch:  # Faust's own path (table changelogs)
                    if not self._hands_over(tp, generation):
                        await self._put_back(tp, record.offset)
                        break
                    read = self._read_offset[tp]
                    if read is None or record.offset >= read:
                        await self.wait_first(callback(self._to_message(tp, record)), self.suspend_flow.wait())
                        self._read_offset[tp] = record.offset
            if queued and self.queued >= self.limit:
                self._stop_fetching()
            if commit_every is not None and self._n_acked >= commit_every:
                self._n_acked = 0
                await self.commit()

    def _hands_over(self, tp: TP, generation: int) -> bool:
        """Whether a fetched changelog record still goes to Faust: as in Faust's ``getmany``, not
        while the flow is stopped, after the generation changed or for a paused partition. (The
        fetch in flight is given the live set of active partitions, and once a rebalance has
        paused them all that set is empty, which aiokafka reads as "every partition".)"""
        return (self.flow_active and self.app.consumer_generation_id == generation
                and tp in self._get_active_partitions())

    async def _put_back(self, tp: TP, offset: int) -> None:
        """Rewind ``tp`` to ``offset``, its first fetched record not handed over.

        A fetch in flight across a rebalance can return a changelog partition's records after
        the recovery has sought it and before the recovery resumes the flow. Dropped there, they
        were never read again (the position is past them), and the recovery waited for them
        forever ("No event received for active tp ... since recovery start"). Faust's own
        ``getmany`` seeks back in that case, but only to committed offsets, which a changelog has
        none of. Only ever backwards: a seek made since (a new recovery) may be to an earlier
        offset, and reading a changelog record twice is harmless (recovery skips offsets it
        has applied)."""
        try:
            await self._thread.call_thread(self._rewind, TopicPartition(tp.topic, tp.partition), offset)
        except IllegalStateError:
            pass  # no longer assigned: whoever owns it now restores it from its own seek
        except Exception as exc:  # noqa: BLE001 - as Faust's getmany: the next recovery seeks anew
            log.warning("changelog %s not rewound to %d: %r", tp, offset, exc)

    async def _rewind(self, tp: TopicPartition, offset: int) -> None:
        # In the consumer's thread, where the fetcher moves positions: nothing runs between the
        # read of the position and the seek.
        consumer = self._thread._ensure_consumer()
        if await consumer.position(tp) > offset:
            consumer.seek(tp, offset)


class Transport(faust_aiokafka.Transport):
    Producer = IdempotentProducer
    Consumer = BatchConsumer


drivers.TRANSPORTS.aliases[SCHEME] = f"{__name__}:Transport"


def broker_url(bootstrap: str) -> str:
    """Faust broker URL(s) for a comma-separated bootstrap list."""
    return ";".join(f"{SCHEME}://{hostport.strip()}" for hostport in bootstrap.split(","))
