"""The Faust worker: raw bytes -> validate -> per-post state -> rows -> insert -> commit.

One batch is ``Worker.prepare`` (decode, state, changelog, DLQ and alerts acked)
then ``Worker.store`` (the insert). Records arrive by the fetch from tracker's
``BatchConsumer`` (Faust's consumer, group and table recovery, without its
per-message stream path); ``_consume`` gathers fetches into batches and marks a
batch done, which lets its offsets be committed, only after its insert returned.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import math
import os
import signal
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NoReturn

import faust

from tracker.analytics.alerts import MIN_POPULATION
from tracker.analytics.reheat import MIN_PULSES
from tracker.analytics.resample import Snapshot
from tracker.broker import topics as t
from tracker.broker.topics import home_partition
from tracker.contracts import encode
from tracker.contracts.fast import decode_snapshot
from tracker.errors import InvalidInput
from tracker.ops import metrics
from tracker.settings import Settings
from tracker.store.store import Store
from tracker.stream import heating_history, loglinear, ratios, shapes
from tracker.stream import rows as r
from tracker.stream.changelog import Kept, StateTable
from tracker.stream.insights import Insights, stored_snapshot
from tracker.stream.processor import (
    DLQ_KEY_CHARS,
    Output,
    Processor,
    Source,
    decode_or_reject,
    refusal,
    reject,
    replayed_row,
    set_aside_first,
    wrong_partition,
)
from tracker.stream.sink import Sink, die, gather_sends
from tracker.stream.stalls import Arrival, StallWatcher
from tracker.stream.state import PostState
from tracker.stream.transport import STOP, BatchConsumer, Fetch, broker_url

log = logging.getLogger(__name__)

SOURCE_TOPICS = (t.POSTS, t.HEATING, t.SNAPSHOTS, t.COMMENTS)
# A batch allocates about ten container objects per record (fetched records, decoded messages,
# rows) that reference counting frees; Python's default threshold (700) would run a young
# collection every ~70 records and walk the older generations often. Fewer, larger passes
# took about a quarter of the worker's CPU per snapshot off in `make bench`.
GC_THRESHOLDS = (50_000, 20, 10)
MAX_DLQ_REASON = 2000  # characters: the DLQ record's limit (schemas/events/tracker.dlq.v1.schema.json)
STATE_SIZE_SECONDS = 30.0
STORED_SNAPSHOTS = """
SELECT toUnixTimestamp64Milli(observed_at), views, likes, comments, shares, saves, searches, rounded
FROM snapshots FINAL WHERE tenant = {tenant:String} AND post_id = {post:String} ORDER BY observed_at
"""

"""How often tracker_state_bytes is measured (it reads every post's state)."""
Spans = list[tuple[str, int, int, int]]
"""(topic, partition, first offset, last offset) of a batch: its insert-deduplication tokens."""


def applying_order(fetches: list[Fetch], logical: Mapping[str, str]) -> list[Fetch]:
    """A batch's fetches in the order their records are applied: the registry's first, then the
    others as fetched (``logical``: each source topic's name without the prefix).

    A fetch holds the partitions of every source topic in no set order, and a batch several
    fetches: a post registered in the same batch as its first snapshots is then read with its
    publish time, tenant and campaign (its snapshots checked against them), at no cost. An
    entry read in a later batch has the post read again (``Worker._rebuild``)."""
    return sorted(fetches, key=lambda fetch: logical.get(fetch.tp.topic) != t.POSTS)


async def send_alerts(insights: Insights, send: Callable[[bytes, bytes], Awaitable[Any]]) -> list[Any]:
    """Produce the alert messages the insights collected (``send(key, value)``), each once
    however many callers overlap (a send may yield to the stall timer); a message that fails
    its contract is logged and counted (its row is still stored), never a reason to stop."""
    sends = []
    for alert in insights.take_alerts():
        metrics.ALERTS.labels(alert["alert"], alert["state"]).inc()
        try:
            value = encode(t.ALERTS, alert)
        except InvalidInput as exc:
            metrics.DLQ.labels(t.ALERTS, "outgoing alert").inc()
            log.error("alert %s not sent: %s", alert.get("alert_id"), exc.reason)
            continue
        sends.append(await send(alert["post_id"].encode(), value))
    return sends


OPEN_STALLS = """
SELECT a.tenant, a.post_id, a.campaign_id, a.alert_id, a.starts_at, p.tracking_end, ifNull(p.deleted, 0)
FROM (SELECT tenant, post_id, campaign_id, alert_id, starts_at FROM alerts FINAL
      WHERE alert = 'PostStalled' AND state = 'firing') AS a
LEFT JOIN (SELECT tenant, post_id, tracking_end, deleted FROM posts FINAL) AS p
    ON p.tenant = a.tenant AND p.post_id = a.post_id
"""
"""The ``PostStalled`` alerts the store has firing, with their post's tracking end and whether it
was deleted from the registry (``reopen_stalls``)."""


TENANT_CLOCKS = "SELECT tenant, toUnixTimestamp64Milli(max(as_of)) FROM post_totals GROUP BY tenant"
"""Each tenant's newest snapshot the store holds, whichever worker stored it (``check_stalls``)."""


class Worker:
    """Owns the Faust app, the post-state table, the processor and the sink."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        gc.set_threshold(*GC_THRESHOLDS)
        self.app = faust.App(
            f"{settings.topic_prefix}{settings.worker_app_id}",
            broker=broker_url(settings.kafka_bootstrap),
            store="memory://",
            # Faust makes an (empty, the state is in memory) table directory; under data_dir, not
            # in whatever directory the worker was started from
            datadir=str(settings.data_dir / "worker"),
            topic_partitions=settings.topic_partitions,
            topic_replication_factor=1,
            consumer_auto_offset_reset="earliest",
            broker_max_poll_records=settings.worker_batch_max,
            producer_max_batch_size=1 << 19,  # changelog batches (tracker/stream/changelog.py)
            consumer_max_fetch_size=4 << 20,
            producer_acks=-1,
            web_enabled=False,
            table_standby_replicas=0,
            broker_session_timeout=settings.worker_session_timeout,
            broker_heartbeat_interval=min(3.0, settings.worker_session_timeout / 3),
            broker_rebalance_timeout=max(10.0, settings.worker_session_timeout),
        )
        self.logical = {settings.topic(name): name for name in SOURCE_TOPICS}
        self.source = self.app.topic(*self.logical, key_type=bytes, value_type=bytes,
                                     key_serializer="raw", value_serializer="raw")
        self.dlq_topic = self.app.topic(settings.topic(t.DLQ), key_type=bytes, value_type=bytes,
                                        key_serializer="raw", value_serializer="raw")
        raw: Any = faust.Schema(key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
        table = self.app.Table("post_state", default=None, schema=raw, key_type=bytes, value_type=bytes,
                               use_partitioner=True, partitions=settings.topic_partitions)
        self.states = StateTable(table, self.app.producer)
        self.insights = Insights(settings.analytics_params())
        self.processor = Processor(settings.reorder_window_hours,
                                   self.insights if settings.analytics_enabled else None)
        self.alerts_topic = self.app.topic(settings.topic(t.ALERTS), key_type=bytes, value_type=bytes,
                                           key_serializer="raw", value_serializer="raw")
        self.engine = store
        self.sink = Sink(store, pause=self._pause, resume=self._resume,
                         fault_store_down_file=settings.fault_store_down_file)
        self.batches = 0
        self.in_flight: asyncio.Task[None] | None = None  # the batch being inserted
        self.sized_at = -math.inf  # monotonic time tracker_state_bytes was last measured
        self.stalls = StallWatcher(settings.analytics_params())
        consumer = self.app.consumer
        if not isinstance(consumer, BatchConsumer):
            raise TypeError(f"the worker needs tracker's batch consumer, got {type(consumer).__name__}")
        self.consumer = consumer
        consumer.deliver_batches(self.logical, settings.worker_buffer)
        self.app.topics.add(self.source)
        self.app.task(self._consume)
        self.watched: frozenset[int] = frozenset()
        """The partitions whose posts the stall watcher holds (``_reassigned``)."""
        self.unread: set[int] = set()
        """Partitions of this worker whose firing ``PostStalled`` alerts are not read back yet."""
        self.reading = asyncio.Lock()  # one read-back at a time (``reopen_stalls``)
        self.reading_back: set[asyncio.Future[None]] = set()  # held until done (the loop keeps weak references)
        self.app.on_rebalance_complete.connect(self._reassigned)
        self.app.timer(settings.stall_check_seconds)(self.check_stalls)
        if settings.analytics_enabled:
            self.app.task(self.learn_populations)  # at start, then on the timer
            self.app.timer(settings.ratio_stats_seconds)(self.learn_populations)
        self.app.timer(10.0)(self.report_lag)

    async def _consume(self) -> None:
        """Take fetched records off the consumer's queue in batches and store them, one insert
        in flight while the next batch is prepared; a batch is marked done (its offsets may be
        committed) only after its insert returned."""
        consumer = self.consumer
        pending: tuple[asyncio.Task[None], list[Fetch]] | None = None
        consumer.start_taking()
        while not consumer.stopping:
            # The insert in flight goes on while the next records are fetched and gathered; its
            # completion marks its batch done (``_stored``), so nothing here waits for it.
            fetches = await self._gather()
            if self.app.in_recovery:  # the table is being restored: its state is not ready yet
                if pending is not None:  # a rebalance waits for the batch in flight: end it first
                    await self._finish(pending)
                    pending = None
                while self.app.in_recovery and not consumer.stopping:
                    await asyncio.sleep(0.1)
                if consumer.stopping:
                    break  # no state to apply them to: they are read again at the next start
            fetches = consumer.take(fetches)
            if not fetches:
                continue
            consumer.working(True)
            try:
                rows, spans, kept = await self.prepare(fetches)
            except BaseException as exc:  # noqa: BLE001 - see _fatal
                self._fatal(fetches, exc)
            if pending is not None:
                await self._finish(pending)
            task = self.in_flight = asyncio.create_task(self.store(rows, spans, kept))
            task.add_done_callback(functools.partial(self._stored, fetches))
            pending = (task, fetches)
        # Stopping: the batch in hand is stored and marked done, then the consumer commits it.
        if pending is not None:
            await self._finish(pending)
        consumer.taken_last()

    async def _gather(self) -> list[Fetch]:
        """Fetches up to ``worker_batch_max`` records, waiting at most ``worker_batch_seconds`` for more;
        none once the worker is told to stop (``STOP``): the records in hand are its last batch."""
        fetched = self.consumer.fetched
        loop = asyncio.get_running_loop()
        fetch = await fetched.get()
        fetches: list[Fetch] = []
        size = 0
        deadline = loop.time() + self.settings.worker_batch_seconds
        while fetch is not STOP:
            fetches.append(fetch)
            size += len(fetch.records)
            if size >= self.settings.worker_batch_max:
                break
            if not fetched.empty():
                fetch = fetched.get_nowait()
                continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                fetch = await asyncio.wait_for(fetched.get(), remaining)
            except TimeoutError:
                break
        return fetches

    async def _finish(self, pending: tuple[asyncio.Task[None], list[Fetch]]) -> None:
        task, fetches = pending
        try:
            await task
        except BaseException as exc:  # noqa: BLE001 - see _fatal
            self._fatal(fetches, exc)

    def _stored(self, fetches: list[Fetch], task: asyncio.Task[None]) -> None:
        """The insert returned: the batch is done at once, wherever the loop is (a rebalance
        waits for it). A failed insert stops the process (the sink has done so already for
        the errors it knows; a cancelled one is the process stopping)."""
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self._fatal(fetches, exc)
        self.consumer.done(fetches)
        self.consumer.working(False)

    @staticmethod
    def _fatal(fetches: list[Fetch], exc: BaseException) -> NoReturn:
        # A batch that is not stored must never be marked done: stop the process; its
        # records are consumed again from the last commit after the restart.
        log.critical("batch of %d records not stored (%r); stopping the worker so that no offset past the "
                     "last insert is committed", sum(len(f.records) for f in fetches), exc, exc_info=exc)
        die(75 if isinstance(exc, asyncio.CancelledError) else 70)
        raise AssertionError("unreachable")

    async def prepare(self, fetches: list[Fetch]) -> tuple[dict[str, list[tuple[Any, ...]]], Spans, Kept]:
        """Decode, validate and apply a batch; keep the touched states in the table and have the DLQ
        and alert messages acknowledged. Returns the rows to store, the source spans and the kept
        states (sent to the changelog once the rows are stored)."""
        out = Output()
        states: dict[bytes, PostState] = {}
        arrived: dict[str, PostState] = {}
        spans: dict[tuple[str, int], list[int]] = {}
        sends: list[Any] = []
        homes: dict[bytes, int] = {}
        table_get = self.states.get
        apply = self.processor.apply
        for fetch in applying_order(fetches, self.logical):
            tp = fetch.tp
            topic = self.logical.get(tp.topic, tp.topic)
            partition, records = tp.partition, fetch.records
            span = spans.get((tp.topic, partition))
            if span is None:
                spans[(tp.topic, partition)] = [records[0].offset, records[-1].offset]
            else:
                span[0], span[1] = min(span[0], records[0].offset), max(span[1], records[-1].offset)
            decoder = decode_snapshot if topic == t.SNAPSHOTS else None
            partitions = self._partitions(tp.topic)
            applied = 0
            # 1. decode + validate each raw message (keyed by its post, on its post's partition);
            #    apply it to its post's state
            for record in records:
                source = Source(topic, partition, record.offset, record.key, record.timestamp)
                raw = record.value
                if topic == t.POSTS and not raw and record.key:
                    key = bytes(record.key)
                    if home_partition(key, partitions) != partition:  # its entry is elsewhere, if anywhere
                        reject(source, raw, wrong_partition(source, key, partitions), out)
                        sends.append(await self._to_dlq(source, out, record.headers))
                        continue
                    dropped = states.get(key) or table_get(key)
                    self.processor.tombstone(key.decode("utf-8", "replace"), dropped, out)
                    self._removed(key.decode("utf-8", "replace"), dropped, out)
                    states[key] = dropped
                    homes[key] = partition
                    continue
                message = decode_or_reject(source, raw, out, decoder, self.settings.max_snapshot_lead_hours, partitions)
                if message is None:
                    sends.append(await self._to_dlq(source, out, record.headers))
                    continue
                post_id = message["post_id"]
                key = post_id.encode()
                state = states.get(key)
                if state is None:
                    state = states[key] = table_get(key)
                homes[key] = partition
                refused = refusal(topic, message, state)
                if refused is not None:
                    reject(source, raw, refused, out)
                    sends.append(await self._to_dlq(source, out, record.headers))
                    continue
                apply(source, message, state, out)
                applied += 1
                first = set_aside_first(record.headers)
                if first is not None:  # set aside once, sent again by `tracker dlq replay`: good now
                    out.add(r.DLQ_REPLAYED, replayed_row(first))
                if topic == t.POSTS and message.get("deleted"):
                    self._removed(post_id, state, out)
                if decoder is not None:
                    arrived[post_id] = state
            if applied:
                metrics.EVENTS.labels(topic).inc(applied)
        if self.insights.late_heating or self.insights.late_window:
            await self._rebuild(states, out)
        for post_id, state in arrived.items():
            self._arrived(post_id, state, out)
        # 2. state -> table (its changelog follows the insert, in ``store``); the touched posts'
        #    totals as upsert rows
        kept = self.states.keep(states, homes)
        for post_id in out.touched:
            state = states[post_id.encode()]
            if state.last_observed_ms:  # a post not observed yet has no totals
                out.add(r.POST_TOTALS, self.processor.totals_row(post_id, state))
        if out.late:
            metrics.LATE.inc(out.late)
        await self._maybe_die_before_insert()
        # 3. DLQ and alert messages acknowledged by the broker (4. the insert follows in ``store``)
        sends.extend(await self._send_alerts())
        await gather_sends(sends)
        return out.rows, [(topic, partition, first, last) for (topic, partition), (first, last) in spans.items()], kept

    async def _rebuild(self, states: dict[bytes, PostState], out: Output) -> None:
        """Read again, from every snapshot they stored and this batch's (``Insights.rebuild``), the
        posts given a heating node that starts before the hours their analytics had made final,
        and those whose registry entry came after such hours with a publish time they could not
        take. A store that cannot answer leaves the node read from the checkpoint on, as it was
        applied, and the post without its publish time until its next snapshot."""
        late, self.insights.late_heating = self.insights.late_heating, {}
        window, self.insights.late_window = self.insights.late_window, set()
        if self.in_flight is not None:
            await asyncio.shield(self.in_flight)  # the batch before this one is in the store
        batch: dict[str, dict[int, Snapshot]] = {}
        for row in out.rows.get(r.SNAPSHOTS, ()):
            if row[1] in late or row[1] in window:
                ms = int(row[2].timestamp() * 1000)
                batch.setdefault(row[1], {})[ms] = stored_snapshot(ms, row[4:10], row[12])
        for post_id in sorted(late.keys() | window):
            key = post_id.encode()
            state = states[key]
            try:
                result = await self.engine.query(STORED_SNAPSHOTS, {"tenant": state.tenant, "post": post_id})
            except Exception as exc:  # noqa: BLE001 - the nodes are read from the checkpoint on
                log.warning("post %s not read again with its %s: %s", post_id,
                            "late heating node" if post_id in late else "registry entry", exc)
                self.insights.apply_late(post_id, state, late.get(post_id, ()), out)
            else:
                snaps = {int(row[0]): stored_snapshot(int(row[0]), row[1:7], row[7]) for row in result.rows}
                snaps.update(batch.get(post_id, {}))
                self.insights.rebuild(post_id, state, [snaps[ms] for ms in sorted(snaps)], out, late.get(post_id, ()))
                metrics.REBUILDS.inc()

    def _partitions(self, topic: str) -> int:
        """The partition count of a source topic, as its producers' partitioner sees it (the
        group's metadata; the configured count until the consumer has it)."""
        return self.consumer.topic_partitions(topic) or self.settings.topic_partitions

    async def store(self, rows: dict[str, list[tuple[Any, ...]]], spans: Spans, kept: Kept) -> None:
        """Insert a prepared batch, then send its states to the changelog; returns only when every
        row is stored and every state acknowledged (the batch's offsets may be committed then)."""
        started = time.perf_counter()
        await self.sink.write(rows, spans)
        await gather_sends(await self.states.send(kept))
        self.batches += 1
        metrics.TRACKED_POSTS.set(len(self.states))
        if time.monotonic() - self.sized_at >= STATE_SIZE_SECONDS:  # a pass over every state: not each batch
            metrics.STATE_BYTES.set(self.states.size())
            self.sized_at = time.monotonic()
        metrics.SINK_LAST_SUCCESS.set(time.time())
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)

    def _arrived(self, post_id: str, state: PostState, out: Output) -> None:
        """A batch brought the post's snapshots: the stall watcher has seen it, and a stall it
        reported is over. Not a post deleted from the registry: nobody polls it, and the snapshots
        that still come (a poll in flight when it was deleted, read in the batch of its tombstone;
        an export's rows) had it watched again, and reported stalled three intervals later."""
        reg = state.registry or {}
        if reg.get("deleted"):
            self._unwatch(post_id, state, out, time.time())
            return
        campaign = reg.get("campaign_id", "")
        now = time.time()
        stall = self.stalls.seen(post_id, state.tenant, campaign, now, state.last_observed_ms,
                                 reg.get("tracking_end_ms"))
        if stall is not None:
            self._stall_resolved(post_id, state.tenant, campaign, stall, now, out, state)

    def _removed(self, post_id: str, state: PostState, out: Output) -> None:
        """A post deleted from the registry: watched no more (it is polled no more), and its open
        alerts resolve, a firing ``PostStalled`` too."""
        if state.registry is None:
            self.stalls.forget(post_id)
            return  # a tombstone of a post never registered here: nothing of it is open
        now = time.time()
        self.insights.removed(post_id, state, datetime.fromtimestamp(now, UTC), out)
        self._unwatch(post_id, state, out, now)

    def _unwatch(self, post_id: str, state: PostState, out: Output, now: float) -> None:
        """Stop watching a post for stalls; a ``PostStalled`` firing on it resolves."""
        arrival = self.stalls.forget(post_id)
        if arrival is not None and arrival.firing_since is not None:
            self._stall_resolved(post_id, arrival.tenant, arrival.campaign_id,
                                 (arrival.firing_since, arrival.fired_at), now, out, state)

    def _stall_resolved(self, post_id: str, tenant: str, campaign: str, stall: tuple[float, float], now: float,
                        out: Output, state: PostState) -> None:
        # PostStalled rows are versioned by the wall clock; PostStalled is not among the state's open
        # alerts (the stall watcher keeps it): the state gives the evidence its title, link and zone
        silence, fired_at = stall
        self.insights.emit_alert(tenant, post_id, campaign, "PostStalled", "resolved", datetime.fromtimestamp(now, UTC),
                                 str(int(silence)), {}, int(now * 1000), out, state,
                                 since=datetime.fromtimestamp(fired_at, UTC))

    def _owned(self) -> frozenset[int]:
        """The partitions of the source topics assigned to this worker (co-partitioned by post)."""
        snapshots = self.settings.topic(t.SNAPSHOTS)
        return frozenset(tp.partition for tp in self.consumer.assignment() if tp.topic == snapshots)

    async def _reassigned(self, *_: Any, **__: Any) -> None:
        """Partitions were assigned and their states restored (at start, and whenever a worker
        joins or leaves the group): the stall watcher follows them. It stops watching the posts
        of partitions another worker has now (left watched here, each of them was reported
        stalled after the move, and its firing alert resolved only at the end of its tracking),
        and the firing ``PostStalled`` alerts of the partitions it was given are read back."""
        owned = self._owned()
        partitions = self._partitions(self.settings.topic(t.SNAPSHOTS))
        dropped = self.stalls.keep(lambda post_id: home_partition(post_id.encode(), partitions) in owned)
        if dropped:
            log.info("%d post(s) of partitions now read by another worker no longer watched for stalls", dropped)
        self.unread = (self.unread | (owned - self.watched)) & owned
        self.watched = owned
        if self.unread:
            reading = asyncio.ensure_future(self.reopen_stalls())
            self.reading_back.add(reading)
            reading.add_done_callback(self.reading_back.discard)

    async def reopen_stalls(self) -> None:
        """Watch again the ``PostStalled`` alerts the store has firing on the posts of the
        partitions this worker was given (``unread``): the watcher lives in memory, and after a
        restart, or a move of the post's partition to another worker, they resolved neither on
        the post's next snapshot nor at the end of its tracking (their rows stayed firing). The
        posts of other partitions are their workers' to watch: each alert resolves once. A post
        with a snapshot since its partition was assigned resolves now. A store that cannot
        answer is asked again at the next stall check. One on a post deleted from the registry
        (polled no more) resolves now."""
        async with self.reading:
            wanted = set(self.unread)
            if not wanted:
                return
            try:
                result = await self.engine.query(OPEN_STALLS)
            except Exception as exc:  # noqa: BLE001 - asked again by check_stalls
                log.warning("open PostStalled alerts not read back yet: %s", exc)
                return
            wanted &= self.unread  # a rebalance meanwhile may have taken some away
            partitions = self._partitions(self.settings.topic(t.SNAPSHOTS))
            now, out, watched = time.time(), Output(), 0
            self.consumer.working(True)  # a rebalance waits until the resolves are stored
            try:
                for tenant, post_id, campaign, alert_id, starts_at, tracking_end, deleted in result.rows:
                    if home_partition(post_id.encode(), partitions) not in wanted:
                        continue
                    silence, fired = float(alert_id.rpartition(":")[2]), starts_at.timestamp()
                    end_ms = None if tracking_end is None else int(tracking_end.timestamp() * 1000)
                    if deleted:  # polled no more: nothing would resolve it
                        self._stall_resolved(post_id, tenant, campaign, (silence, fired), now, out,
                                             self.states.get(post_id.encode()))
                        continue
                    watched += 1
                    if not self.stalls.reopen(post_id, tenant, campaign, silence, fired, end_ms, now):
                        self._stall_resolved(post_id, tenant, campaign, (silence, fired), now, out,
                                             self.states.get(post_id.encode()))
                self.unread -= wanted
                await self._store_stall_alerts(out, now)
            finally:
                self.consumer.working(False)
        if watched:
            log.info("%d PostStalled alert(s) firing before this worker read their partitions watched again", watched)

    async def check_stalls(self) -> None:
        """Fire ``PostStalled`` for posts silent for 3 × their usual interval (wall clock); resolve
        the open alerts of posts whose tracking window has closed. Not while partitions move:
        the watcher may still hold posts another worker has taken."""
        if self.unread and not self.app.rebalancing:
            await self.reopen_stalls()
        await self._learn_clocks()
        if self.app.rebalancing:
            return
        now = time.time()
        out = Output()
        self.consumer.working(True)  # a rebalance waits until these alerts are stored
        try:
            for post_id, arrival in self.stalls.check(now):
                copy = self.states.get(post_id.encode())  # for its evidence only: the batches own the state
                self.insights.emit_alert(
                    arrival.tenant, post_id, arrival.campaign_id, "PostStalled", "firing",
                    datetime.fromtimestamp(now, UTC), str(int(arrival.last_seen)),
                    {"last_snapshot_wall_clock": datetime.fromtimestamp(arrival.last_seen, UTC).isoformat(),
                     "usual_interval_seconds": round(arrival.interval or 0)}, int(now * 1000), out, copy)
            for post_id, arrival in self.stalls.ended():
                self._end_tracking(post_id, arrival, now, out)
            await self._store_stall_alerts(out, now)
        finally:
            self.consumer.working(False)

    async def _learn_clocks(self) -> None:
        """Move the tenants' watermarks to the newest snapshots the store holds. A worker reads
        the snapshots of its partitions only: a post whose own snapshots stop before the end of
        its tracking had its window closed, and its open alerts resolved, only by the worker that
        read a later snapshot of its tenant; with two workers or more, often never. A store that
        cannot answer leaves the watermarks as this worker's snapshots set them."""
        try:
            result = await self.engine.query(TENANT_CLOCKS)
        except Exception as exc:  # noqa: BLE001 - asked again at the next stall check
            log.debug("tenant clocks not read from the store: %s", exc)
            return
        for tenant, newest_ms in result.rows:
            self.stalls.advance(tenant, int(newest_ms))

    async def _store_stall_alerts(self, out: Output, now: float) -> None:
        """Send the alert changes a stall check or read-back made, then store their rows (outside any
        batch: deduplicated by the wall-clock second)."""
        if not self.insights.alerts:
            return
        await gather_sends(await self._send_alerts())
        await self.sink.write(out.rows, [("stalls", 0, int(now), int(now))])

    def _end_tracking(self, post_id: str, arrival: Arrival, now: float, out: Output) -> None:
        """Resolve every alert still open on a post whose tracking window has closed (DESIGN.md:
        ``PostDecaying`` resolves on a new pulse or the end of tracking; nothing else would)."""
        state = self.states.get(post_id.encode())  # a copy: the state itself is the batches' to change
        at = datetime.fromtimestamp((arrival.tracking_end_ms or 0) / 1000, UTC)
        # Once each: the state keeps them open, and a later snapshot hands the post over again.
        # Versioned after the event that raised them: when the window had closed before it (on
        # another post's snapshot, or the store's clock), its batch may be stored after this row,
        # and with the same version the firing row won (the alert stayed firing in `alerts`).
        # The state copy gives the evidence its post (title, creator, link, zone).
        for alert_id, fired_ms in self.stalls.to_resolve(arrival, state.open_alerts):
            kind, _, key = alert_id.removeprefix(f"{post_id}:").partition(":")
            self.insights.emit_alert(state.tenant, post_id, arrival.campaign_id, kind, "resolved", at, key,
                                     {"reason": "end of tracking"}, state.seq + 1, out, state,
                                     since=datetime.fromtimestamp(fired_ms / 1000, UTC))
        if arrival.firing_since is not None:
            self._stall_resolved(post_id, arrival.tenant, arrival.campaign_id,
                                 (arrival.firing_since, arrival.fired_at), now, out, state)
            arrival.firing_since = None

    async def learn_populations(self) -> None:
        """Relearn from the store what posts are judged against: the platform-and-tier ratio
        distributions of ``SuspiciousEngagement``, the log-linear baseline's ratios, the
        heating history of re-heat suggestions and the response shape first pulses lean on (a
        failed query keeps what was learned before: the store may be down for a while)."""
        insights = self.insights
        horizons = insights.params.horizons_hours
        burst_seconds = int(insights.params.burst_window_hours * 3600)
        learners = (
            ("ratio distributions", ratios.QUERY, {"burst_seconds": burst_seconds}, self._learned_ratios),
            ("log-linear ratios", loglinear.QUERY, loglinear.parameters(horizons), self._learned_loglinear),
            ("heating history", heating_history.QUERY, None, self._learned_heating),
            ("response shapes", shapes.QUERY, None, self._learned_shapes),
        )
        for what, sql, parameters, learned in learners:
            try:
                result = await self.engine.query(sql, parameters)
            except Exception as exc:  # noqa: BLE001 - retried at the next tick
                log.warning("%s not refreshed: %s", what, exc)
                continue
            learned(result.rows)

    def _learned_ratios(self, rows: list[tuple[Any, ...]]) -> None:
        stats = self.insights.ratio_stats = ratios.distributions(rows)
        metrics.RATIO_POPULATIONS.set(sum(any(d.n >= MIN_POPULATION for d in group.values())
                                          for group in stats.values()))

    def _learned_loglinear(self, rows: list[tuple[Any, ...]]) -> None:
        learned = self.insights.loglinear = loglinear.learned(rows, self.insights.params.horizons_hours)
        metrics.LOGLINEAR_POPULATIONS.set(len(learned))

    def _learned_shapes(self, rows: list[tuple[Any, ...]]) -> None:
        learned = self.insights.shapes = shapes.learned(rows)
        metrics.SHAPE_POPULATIONS.set(sum(tier != shapes.ANY for _, tier in learned))

    def _learned_heating(self, rows: list[tuple[Any, ...]]) -> None:
        known = self.insights.heating_history = heating_history.histories(rows)
        for basis, groups in (("creator", known.creators), ("tier", known.tiers)):
            metrics.HEATING_HISTORIES.labels(basis).set(sum(h.pulses >= MIN_PULSES for h in groups.values()))

    async def report_lag(self) -> None:
        """``tracker_consumer_lag``: messages between the end of each source topic and the commit."""
        monitor = self.app.monitor
        ends, committed = monitor.tp_end_offsets or {}, monitor.tp_committed_offsets or {}
        lag: dict[str, int] = dict.fromkeys(self.logical.values(), 0)
        for tp, end in ends.items():
            name = self.logical.get(tp.topic)
            if name is not None:
                lag[name] += max(0, end - (committed.get(tp) or 0))
        for name, value in lag.items():
            metrics.CONSUMER_LAG.labels(name).set(value)

    async def _send_alerts(self) -> list[Any]:
        return await send_alerts(self.insights, lambda key, value: self.alerts_topic.send(key=key, value=value))

    async def _to_dlq(self, source: Source, out: Output, headers: Any = None) -> Any:
        """Produce the DLQ record of the message just rejected (the last DLQ row). It always fits
        a Kafka request: the row keeps the payload's first bytes only, and the record says how
        long the whole was and its sha256. A message ``tracker dlq replay`` sent again (its
        ``headers``) is set aside where it was first: its row replaces that one."""
        row = out.rows[r.DLQ][-1]
        first = set_aside_first(headers)
        if first is not None:
            row = out.rows[r.DLQ][-1] = (*row[:2], *first, *row[5:])
        reason = row[5][:MAX_DLQ_REASON]
        metrics.DLQ.labels(source.topic, reason.split(":", 1)[0][:40]).inc()
        kept = None if source.key is None else source.key[:4 * DLQ_KEY_CHARS]  # a key is not a payload either
        key = None if kept is None else kept.decode("utf-8", "replace")[:DLQ_KEY_CHARS]
        record = encode(t.DLQ, {
            "source_topic": row[2], "partition": row[3], "offset": row[4], "key": key,
            "payload_b64": row[7], "payload_bytes": row[8], "payload_sha256": row[9], "reason": reason,
            "error_class": row[6], "rejected_at": row[1],
        })
        return await self.dlq_topic.send(key=kept, value=record)

    async def _maybe_die_before_insert(self) -> None:
        limit = self.settings.fault_kill_after_batches
        if limit is not None and self.batches >= limit:
            await self.app.producer.flush()  # what earlier batches sent is out
            log.warning("fault injection: SIGKILL after a batch was applied, before its insert (batch %d)",
                        self.batches + 1)
            os.kill(os.getpid(), signal.SIGKILL)

    # While the store is down the batch topics are not fetched (bounded memory); the
    # records already fetched stay queued and are processed once it is back.
    def _pause(self) -> None:
        self.consumer.hold()

    def _resume(self) -> None:
        self.consumer.release()
