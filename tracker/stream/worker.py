"""The Faust worker: raw bytes -> validate -> per-post state -> rows -> insert -> commit.

The whole pipeline of one batch is ``Worker.handle_batch``; the Faust agent
around it only iterates ``take_events`` (which acks the batch in a ``finally``
after ``handle_batch`` returned, i.e. after the insert succeeded).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from datetime import UTC, datetime
from typing import Any

import faust
from faust.types import EventT

from tracker.broker import topics as t
from tracker.contracts import encode
from tracker.errors import InvalidInput
from tracker.ops import metrics
from tracker.settings import Settings
from tracker.stream import rows as r
from tracker.stream.insights import Insights
from tracker.stream.processor import Output, Processor, Source, decode_or_reject
from tracker.stream.sink import Inserter, Sink, die, gather_sends
from tracker.stream.stalls import StallWatcher
from tracker.stream.state import PostState
from tracker.stream.transport import broker_url

log = logging.getLogger(__name__)

SOURCE_TOPICS = (t.POSTS, t.HEATING, t.SNAPSHOTS, t.COMMENTS)


class Worker:
    """Owns the Faust app, the post-state table, the processor and the sink."""

    def __init__(self, settings: Settings, store: Inserter) -> None:
        self.settings = settings
        self.app = faust.App(
            f"{settings.topic_prefix}{settings.worker_app_id}",
            broker=broker_url(settings.kafka_bootstrap),
            store="memory://",
            topic_partitions=settings.topic_partitions,
            topic_replication_factor=1,
            consumer_auto_offset_reset="earliest",
            stream_buffer_maxsize=settings.worker_buffer,
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
        self.table = self.app.Table("post_state", default=None, schema=raw, key_type=bytes, value_type=bytes,
                                    use_partitioner=True,
                                    partitions=settings.topic_partitions)
        self.insights = Insights()
        self.processor = Processor(settings.reorder_window_hours,
                                   self.insights if settings.analytics_enabled else None)
        self.alerts_topic = self.app.topic(settings.topic(t.ALERTS), key_type=bytes, value_type=bytes,
                                           key_serializer="raw", value_serializer="raw")
        self.sink = Sink(store, pause=self._pause, resume=self._resume,
                         fault_store_down_file=settings.fault_store_down_file)
        self.batches = 0
        self.stalls = StallWatcher()
        self.app.agent(self.source, name="posts")(self._agent)
        self.app.timer(settings.stall_check_seconds)(self.check_stalls)
        self.app.timer(10.0)(self.report_lag)

    async def _agent(self, stream: faust.StreamT) -> None:
        take_events = stream.take_events  # type: ignore[attr-defined]  # missing from faust's stubs
        async for events in take_events(self.settings.worker_batch_max, within=self.settings.worker_batch_seconds):
            try:
                await self.handle_batch(events)
            except BaseException as exc:  # noqa: BLE001 - see below
                # take_events acks the batch in a finally: returning or raising here would let
                # Faust commit offsets of rows that were never stored. Stop the process instead;
                # the batch is consumed again after the restart.
                log.critical("batch of %d events not stored (%r); stopping the worker so that no offset "
                             "past the last insert is committed", len(events), exc, exc_info=True)
                die(75 if isinstance(exc, asyncio.CancelledError) else 70)

    async def handle_batch(self, events: list[EventT]) -> None:
        """Process one batch; returns only after every row is stored."""
        started = time.perf_counter()
        out = Output()
        states: dict[bytes, PostState] = {}
        offsets: dict[tuple[str, int], list[int]] = {}
        sends: list[Any] = []
        # 1. decode + validate each raw message; apply it to its post's state
        for event in events:
            msg = event.message
            span = offsets.setdefault((msg.topic, msg.partition), [msg.offset, msg.offset])
            span[1] = msg.offset
            source = Source(self.logical.get(msg.topic, msg.topic), msg.partition, msg.offset, msg.key)
            if source.topic == t.POSTS and not event.value and msg.key:
                key = bytes(msg.key)
                dropped = states.get(key) or PostState.from_bytes(self.table.get(key))
                self.processor.tombstone(key.decode("utf-8", "replace"), dropped, out)
                states[key] = dropped
                continue
            message = decode_or_reject(source, event.value, out)
            if message is None:
                sends.append(await self._to_dlq(source, event.value, out))
                continue
            key = message["post_id"].encode()
            state = states.get(key)
            if state is None:
                state = states[key] = PostState.from_bytes(self.table.get(key))
            self.processor.apply(source, message, state, out)
            metrics.EVENTS.labels(source.topic).inc()
            if source.topic == t.SNAPSHOTS:
                self._arrived(message["post_id"], state, out)
        # 2. state -> table (changelog); the touched posts' totals as upsert rows
        for key, state in states.items():
            self.table[key] = state.to_bytes()
        for post_id in out.touched:
            out.add(r.POST_TOTALS, self.processor.totals_row(post_id, states[post_id.encode()]))
        if out.late:
            metrics.LATE.inc(out.late)
        await self._maybe_die_before_insert()
        # 3. DLQ and alert messages acknowledged by the broker, then 4. insert; the ack follows
        sends.extend(await self._send_alerts())
        await gather_sends(sends)
        await self.sink.write(out.rows, [(tp[0], tp[1], s[0], s[1]) for tp, s in offsets.items()])
        self.batches += 1
        metrics.TRACKED_POSTS.set(len(self.table))
        metrics.SINK_LAST_SUCCESS.set(time.time())
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)

    def _arrived(self, post_id: str, state: PostState, out: Output) -> None:
        campaign = (state.registry or {}).get("campaign_id", "")
        silence = self.stalls.seen(post_id, state.tenant, campaign, time.time())
        if silence is not None:
            self.insights.emit_alert(state.tenant, post_id, campaign, "PostStalled", "resolved",
                                     datetime.now(UTC), str(int(silence)), {}, state.seq, out)

    async def check_stalls(self) -> None:
        """Fire ``PostStalled`` for posts silent for 3 × their usual interval (wall clock)."""
        now = time.time()
        out = Output()
        for post_id, arrival in self.stalls.check(now):
            self.insights.emit_alert(
                arrival.tenant, post_id, arrival.campaign_id, "PostStalled", "firing", datetime.now(UTC),
                str(int(arrival.last_seen)),
                {"last_snapshot_wall_clock": datetime.fromtimestamp(arrival.last_seen, UTC).isoformat(),
                 "usual_interval_seconds": round(arrival.interval or 0)}, int(now * 1000), out)
        if not self.insights.alerts:
            return
        await gather_sends(await self._send_alerts())
        await self.sink.write(out.rows, [("stalls", 0, int(now), int(now))])

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
        """Produce the alert messages the insights collected; a message that fails its contract
        is logged and counted (its row is still stored), never a reason to stop."""
        sends = []
        for alert in self.insights.alerts:
            metrics.ALERTS.labels(alert["alert"], alert["state"]).inc()
            try:
                value = encode(t.ALERTS, alert)
            except InvalidInput as exc:
                metrics.DLQ.labels(t.ALERTS, "outgoing alert").inc()
                log.error("alert %s not sent: %s", alert.get("alert_id"), exc.reason)
                continue
            sends.append(await self.alerts_topic.send(key=alert["post_id"].encode(), value=value))
        self.insights.alerts.clear()
        return sends

    async def _to_dlq(self, source: Source, raw: bytes | None, out: Output) -> Any:
        row = out.rows[r.DLQ][-1]
        reason = row[5]
        metrics.DLQ.labels(source.topic, reason.split(":", 1)[0][:40]).inc()
        record = encode(t.DLQ, {
            "source_topic": source.topic, "partition": source.partition, "offset": source.offset,
            "key": source.key.decode("utf-8", "replace") if source.key is not None else None,
            "payload_b64": row[7], "reason": reason, "error_class": row[6], "rejected_at": row[1],
        })
        return await self.dlq_topic.send(key=source.key, value=record)

    async def _maybe_die_before_insert(self) -> None:
        limit = self.settings.fault_kill_after_batches
        if limit is not None and self.batches >= limit:
            await self.app.producer.flush()  # the changelog write has happened
            log.warning("fault injection: SIGKILL between changelog write and insert (batch %d)", self.batches + 1)
            os.kill(os.getpid(), signal.SIGKILL)

    def _assigned(self) -> set[Any]:
        return {tp for tp in self.app.consumer.assignment() if tp.topic in self.logical}

    # Pausing goes through Faust's own buffer-full path: the partitions stop being
    # fetched, yet records already fetched are still delivered. (consumer.pause_partitions
    # would make Faust drop fetched records whose offsets later get committed.)
    def _pause(self) -> None:
        for tp in self._assigned():
            self.app.consumer.on_buffer_full(tp)

    def _resume(self) -> None:
        for tp in self._assigned():
            self.app.consumer.on_buffer_drop(tp)
