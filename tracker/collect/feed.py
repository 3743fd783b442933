"""The registry feed: ``tracker.posts.v1`` and ``tracker.heating.v1`` into the scheduler.

Every collector reads the registry itself, so ``tracker collect`` ×N needs no
store. The collectors share one consumer group only to split the posts: the
range assignor gives each the same partition numbers of both topics (they are
co-partitioned by post_id). Nothing is committed: on every assignment each
partition is read again from its beginning (a compacted topic holds the latest
entry per post), and posts of partitions no longer owned are dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.structs import TopicPartition

from tracker.broker import topics as t
from tracker.broker.reach import start_client
from tracker.collect.clock import Clock
from tracker.collect.scheduler import Scheduler
from tracker.contracts import decode
from tracker.errors import InvalidInput
from tracker.ops import metrics
from tracker.settings import Settings

log = logging.getLogger(__name__)
GROUP = "tracker-collector"


class RegistryFeed:
    """Follows the registry topics and keeps the scheduler in step with them."""

    def __init__(self, settings: Settings, scheduler: Scheduler, clock: Clock, group: bool = True) -> None:
        self.settings = settings
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
        lost = {tp.partition for tp in self.assigned - assigned if tp.topic == self.posts_topic}
        if lost:
            log.info("registry partitions %s moved to another collector: dropped %d posts", sorted(lost),
                     self.scheduler.drop_partitions(lost))
        self.assigned = set(assigned)
        if not assigned:
            self.targets = {}
            self.loaded.set()
            return
        await self.consumer.seek_to_beginning(*assigned)
        ends = await self.consumer.end_offsets(list(assigned))
        self.targets = {tp: end for tp, end in ends.items() if end > 0}
        if not self.targets:
            self.loaded.set()

    async def _check_loaded(self) -> None:
        """Set ``loaded`` once every assigned partition has been read up to its end at assignment."""
        if self.loaded.is_set() or self.consumer is None:
            return
        for tp, end in list(self.targets.items()):
            try:
                if await self.consumer.position(tp) < end:
                    return
            except Exception:  # noqa: BLE001 - no position yet (rebalancing)
                return
            del self.targets[tp]
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
            if not self.loaded.is_set():
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
            tracked = self.scheduler.upsert(post_id, msg["tenant"], msg["platform"], msg["published_at"].timestamp(),
                                            end.timestamp() if end is not None else None, now, partition,
                                            msg.get("creator_id") or "")
            metrics.COLLECT_REGISTRY.labels(name, "applied" if tracked else "no_source").inc()
            return tracked
        start = None if msg["status"] == "cancelled" else msg["start"].timestamp()
        end = msg.get("end")
        self.scheduler.set_heating(post_id, msg["heating_id"], start, end.timestamp() if end is not None else None,
                                   now)
        metrics.COLLECT_REGISTRY.labels(name, "applied").inc()
        return True

    async def stop(self) -> None:
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
