"""The registry feed: ``tracker.posts.v1`` and ``tracker.heating.v1`` into the scheduler.

Every collector reads the registry itself, so ``tracker collect`` ×N needs no
store. The collectors share one consumer group only to split the posts: the
range assignor gives each the same partition numbers of both topics (they are
co-partitioned by post_id). Nothing is committed: on every assignment each
partition is read again from its beginning (a compacted topic holds the latest
entry per post), and posts of partitions no longer owned are dropped.

A partition newly assigned (at a start, or moved here by a rebalance) waits,
paused, until the last polls of its posts are read back from the snapshots
topic (``resume.py``, bounded): its posts are then tracked due by the cadence
from their last snapshot, not all at once, so a restart does not spend the
quota polling again what was polled minutes before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.structs import TopicPartition

from tracker.broker import topics as t
from tracker.broker.reach import start_client
from tracker.collect.clock import Clock
from tracker.collect.resume import BUDGET, Reading, read_last_polls
from tracker.collect.scheduler import Scheduler
from tracker.contracts import decode
from tracker.errors import InvalidInput
from tracker.ops import metrics
from tracker.settings import Settings

log = logging.getLogger(__name__)
GROUP = "tracker-collector"


@dataclass
class Resumed:
    """What the reads of last polls did since the registry was last loaded (reported then)."""

    partitions: set[int] = field(default_factory=set)
    readings: list[Reading] = field(default_factory=list)
    posts: int = 0
    """Posts tracked due by the cadence from their last snapshot."""

    def report(self, owned: set[int], due: int, longest: float) -> str:
        read = sum(r.polls.read for r in self.readings)
        skipped = sum(r.polls.skipped for r in self.readings)
        out = (f"registry partitions {sorted(self.partitions & owned)}: resumed {self.posts} posts' schedules from "
               f"their last snapshots, {due} due now")
        if self.readings:
            out += (f" (read {read} snapshots of the last {longest / 3600:g} h in "
                    f"{sum(r.seconds for r in self.readings):.1f} s")
            out += "" if all(r.complete for r in self.readings) else ", not all: out of time"
            out += f", {skipped} unreadable skipped)" if skipped else ")"
        return out


class RegistryFeed:
    """Follows the registry topics and keeps the scheduler in step with them."""

    def __init__(self, settings: Settings, scheduler: Scheduler, clock: Clock, group: bool = True,
                 sources: Mapping[str, str] | None = None) -> None:
        self.settings = settings
        self.sources = dict(sources or {})
        """Per platform collected here, the source its snapshots carry: the polls read back."""
        self.scheduler = scheduler
        self.clock = clock
        self.group = group
        self.posts_topic = settings.topic(t.POSTS)
        self.heating_topic = settings.topic(t.HEATING)
        self.consumer: AIOKafkaConsumer | None = None
        self.assigned: set[TopicPartition] = set()
        self.targets: dict[TopicPartition, int] = {}  # end offsets to reach after an assignment
        self.loaded = asyncio.Event()
        self.on_change: list[asyncio.Event] = []
        self.settling = False  # an assignment's partitions not yet read to their targets
        self.resuming: set[int] = set()  # partitions paused until their posts' last polls are read
        self.resumer: asyncio.Task[None] | None = None
        self.lasts: dict[bytes, float] = {}  # last polls read back, until their posts are tracked
        self.resumed: Resumed | None = None  # to report once loaded

    async def start(self) -> None:
        common = {"bootstrap_servers": self.settings.kafka_bootstrap, "enable_auto_commit": False,
                  "auto_offset_reset": "earliest", "max_poll_records": 5000}
        if self.group:
            self.consumer = AIOKafkaConsumer(group_id=f"{self.settings.topic_prefix}{GROUP}",
                                             partition_assignment_strategy=(RangePartitionAssignor,), **common)
            await start_client(self.consumer, self.settings.kafka_bootstrap)
            self.consumer.subscribe([self.posts_topic, self.heating_topic], listener=_Listener(self))
        else:  # every partition, no group (the plan, one-shot runs)
            self.consumer = AIOKafkaConsumer(**common)
            await start_client(self.consumer, self.settings.kafka_bootstrap)
            parts = []
            for topic in (self.posts_topic, self.heating_topic):
                for p in await self._partitions(topic):
                    parts.append(TopicPartition(topic, p))
            self.consumer.assign(parts)
            await self.consumer.seek_to_beginning(*parts)
            await self._assigned(set(parts))

    async def _partitions(self, topic: str) -> set[int]:
        assert self.consumer is not None
        for _ in range(50):
            parts = self.consumer.partitions_for_topic(topic)
            if parts:
                return parts
            await self.consumer._client.force_metadata_update()  # noqa: SLF001 - no public refresh
            await asyncio.sleep(0.1)
        raise RuntimeError(f"topic {topic} not found on {self.settings.kafka_bootstrap}: run `tracker topics create`")

    async def _assigned(self, assigned: set[TopicPartition]) -> None:
        assert self.consumer is not None
        owned = {tp.partition for tp in self.assigned if tp.topic == self.posts_topic}
        # new here, or still waiting for their last polls: paused before anything of them is fetched
        fresh = {tp.partition for tp in assigned if tp.partition not in owned or tp.partition in self.resuming}
        if self.sources and fresh:
            self.consumer.pause(*(tp for tp in assigned if tp.partition in fresh))
        await self._stop_resuming()
        lost = owned - {tp.partition for tp in assigned if tp.topic == self.posts_topic}
        if lost:
            log.info("registry partitions %s moved to another collector: dropped %d posts", sorted(lost),
                     self.scheduler.drop_partitions(lost))
        self.assigned = set(assigned)
        if not assigned:
            self.targets, self.resuming = {}, set()
            self._settled()
            return
        await self.consumer.seek_to_beginning(*assigned)
        ends = await self.consumer.end_offsets(list(assigned))
        self.targets = {tp: end for tp, end in ends.items() if end > 0}
        # those holding posts wait for their last polls; the others go on at once
        self.resuming = {tp.partition for tp in self.targets if tp.topic == self.posts_topic
                         and tp.partition in fresh} if self.sources else set()
        self.settling = True
        self.consumer.resume(*(tp for tp in assigned if tp.partition in fresh - self.resuming))
        if self.resuming:
            self.resumer = asyncio.create_task(self._resume(set(self.resuming)), name="registry-resume")
        if not self.targets:
            self._settled()

    async def _resume(self, partitions: set[int]) -> None:
        """Read the last polls of the posts of ``partitions``, then let their registry in."""
        resumed = self.resumed = self.resumed or Resumed()
        assert self.consumer is not None
        posts = self.consumer.partitions_for_topic(self.posts_topic)
        try:
            reading = await asyncio.wait_for(read_last_polls(  # its budget bounds the reading, this the rest
                self.settings.kafka_bootstrap, self.settings.topic(t.SNAPSHOTS), partitions, self.sources,
                self.scheduler.cadence.longest, registry_partitions=len(posts) if posts else None), 2 * BUDGET)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - Kafka unreachable, topic missing: their posts due at once
            log.warning("the last snapshots of registry partitions %s were not read: %s; their posts are due at "
                        "once", sorted(partitions), exc or type(exc).__name__)
        else:
            self.lasts.update(reading.polls.polls)
            resumed.readings.append(reading)
        resumed.partitions |= partitions
        self.resuming -= partitions
        for tp in self.assigned:
            if tp.partition in partitions:
                with contextlib.suppress(Exception):  # no longer assigned (rebalancing): unpaused anyway
                    self.consumer.resume(tp)

    async def _stop_resuming(self) -> None:
        if self.resumer is not None:
            self.resumer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.resumer
            self.resumer = None

    async def _check_loaded(self) -> None:
        """Once every assigned partition has been read up to its end at assignment (and none waits
        for its last polls): set ``loaded`` and say what the assignment resumed."""
        if not self.settling or self.resuming or self.consumer is None:
            return
        for tp, end in list(self.targets.items()):
            try:
                if await self.consumer.position(tp) < end:
                    return
            except Exception:  # noqa: BLE001 - no position yet (rebalancing)
                return
            del self.targets[tp]
        self._settled()

    def _settled(self) -> None:
        self.settling = False
        owned = {tp.partition for tp in self.assigned if tp.topic == self.posts_topic}
        if self.resumed is not None and self.resumed.partitions & owned:
            due = self.scheduler.due_in(self.resumed.partitions & owned, self.clock.now())
            log.info("%s", self.resumed.report(owned, due, self.scheduler.cadence.longest))
        self.resumed = None
        self.lasts = {}  # the posts not tracked here (ended, other platforms) are not waited for
        if not self.loaded.is_set():
            self.loaded.set()
            log.info("registry loaded: %d posts tracked", len(self.scheduler))

    async def run(self) -> None:
        """Apply registry messages until cancelled."""
        assert self.consumer is not None
        while True:
            batches = await self.consumer.getmany(timeout_ms=200, max_records=5000)
            changed = False
            for tp, records in batches.items():
                for record in records:
                    changed |= self.apply(tp.topic, tp.partition, record.key, record.value)
            if self.settling:
                await self._check_loaded()
            if changed:
                for event in self.on_change:
                    event.set()

    def apply(self, topic: str, partition: int, key: bytes | None, value: bytes | None) -> bool:
        """Apply one registry message; True when the schedule may have changed."""
        now = self.clock.now()
        name = t.POSTS if topic == self.posts_topic else t.HEATING
        if value is None:
            if name == t.POSTS and key:
                self.scheduler.remove(bytes(key))
                metrics.COLLECT_REGISTRY.labels(name, "deleted").inc()
                return True
            return False
        try:
            msg = decode(name, value)
        except InvalidInput as exc:
            metrics.COLLECT_REGISTRY.labels(name, "invalid").inc()
            log.debug("skipped an invalid %s message (the worker sends it to the DLQ): %s", name, exc.reason)
            return False
        post_id = msg["post_id"].encode()
        if name == t.POSTS:
            if msg.get("deleted"):
                self.scheduler.remove(post_id)
                metrics.COLLECT_REGISTRY.labels(name, "deleted").inc()
                return True
            end = msg.get("tracking_end")
            last = self.lasts.pop(post_id, 0.0)
            tracked = self.scheduler.upsert(post_id, msg["tenant"], msg["platform"], msg["published_at"].timestamp(),
                                            end.timestamp() if end is not None else None, now, partition,
                                            msg.get("creator_id") or "", last)
            if last and tracked and self.resumed is not None:
                self.resumed.posts += 1
            metrics.COLLECT_REGISTRY.labels(name, "applied" if tracked else "no_source").inc()
            return tracked
        start = None if msg["status"] == "cancelled" else msg["start"].timestamp()
        end = msg.get("end")
        self.scheduler.set_heating(post_id, msg["heating_id"], start, end.timestamp() if end is not None else None,
                                   now)
        metrics.COLLECT_REGISTRY.labels(name, "applied").inc()
        return True

    async def stop(self) -> None:
        await self._stop_resuming()
        if self.consumer is not None:
            with contextlib.suppress(Exception):
                await self.consumer.stop()
            self.consumer = None


class _Listener(ConsumerRebalanceListener):
    def __init__(self, feed: RegistryFeed) -> None:
        self.feed = feed

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        return None  # what moved away is dropped once the new assignment is known

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self.feed._assigned(set(assigned))  # noqa: SLF001
