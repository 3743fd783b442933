"""tracker's Kafka topics and their settings (DESIGN.md, "Topics").

Every topic is keyed by ``post_id`` and has the same partition count, so one
post's registry entry, heating nodes, snapshots and state share a partition.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.partitioner import murmur2

from tracker.broker.reach import start_client

DAY_MS = 24 * 3600 * 1000

POSTS = "tracker.posts.v1"
HEATING = "tracker.heating.v1"
SNAPSHOTS = "tracker.snapshots.v1"
COMMENTS = "tracker.comments.v1"
ALERTS = "tracker.alerts.v1"
DLQ = "tracker.dlq.v1"

REPLAY_OF = "tracker-dlq-of"
"""Header of a record ``tracker dlq replay`` sends again: ``<topic>@<partition>:<offset>``, where
the message was first set aside."""


def home_partition(key: bytes, partitions: int) -> int:
    """The partition of ``partitions`` the Java client's and aiokafka's default partitioner
    gives ``key`` (murmur2, positive, modulo the count)."""
    if len(key) > 256:  # no post id is this long: not worth a cache entry
        return (murmur2(key) & 0x7FFFFFFF) % partitions
    return _home_partition(key, partitions)


@functools.lru_cache(maxsize=1 << 16)
def _home_partition(key: bytes, partitions: int) -> int:
    # aiokafka's murmur2 is pure Python (a few µs for a post id): once per post, not per record
    return (murmur2(key) & 0x7FFFFFFF) % partitions


@dataclass(frozen=True)
class TopicSpec:
    """A logical topic with the configuration it is created with."""

    name: str
    purpose: str
    config: dict[str, str] = field(default_factory=dict)


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(POSTS, "registry of posts (compacted: the latest entry per post)",
              {"cleanup.policy": "compact", "min.compaction.lag.ms": "60000"}),
    TopicSpec(HEATING, "heating nodes: delivery window, spend, status",
              {"retention.ms": str(400 * DAY_MS)}),
    TopicSpec(SNAPSHOTS, "cumulative counters of one post at one time",
              {"retention.ms": str(30 * DAY_MS), "compression.type": "producer"}),
    TopicSpec(COMMENTS, "comments (author ids hashed)", {"retention.ms": str(30 * DAY_MS)}),
    TopicSpec(ALERTS, "alert state changes (firing, resolved)", {"retention.ms": str(30 * DAY_MS)}),
    TopicSpec(DLQ, "rejected messages with reason, source topic, partition, offset",
              {"retention.ms": str(30 * DAY_MS)}),
)


async def create_topics(bootstrap: str, partitions: int, prefix: str = "") -> list[str]:
    """Create every missing topic; returns the names created (existing ones are left alone).
    Raises ``BrokerUnavailable`` when Kafka does not answer."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await start_client(admin, bootstrap)
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(prefix + t.name, num_partitions=partitions, replication_factor=1, topic_configs=t.config)
            for t in TOPICS
            if prefix + t.name not in existing
        ]
        created = []
        for topic in wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([topic])
                created.append(topic.name)
        # return only once the broker's metadata lists every topic, so the next command sees them
        names = {prefix + t.name for t in TOPICS}
        for _ in range(100):
            if names <= set(await admin.list_topics()):
                break
            await asyncio.sleep(0.1)
        return created
    finally:
        await admin.close()


async def describe_topics(bootstrap: str, prefix: str = "") -> dict[str, int]:
    """Partition count of each of tracker's topics that exists (``BrokerUnavailable`` when
    Kafka does not answer)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await start_client(admin, bootstrap)
    try:
        names = [prefix + t.name for t in TOPICS]
        present = set(await admin.list_topics())
        out: dict[str, int] = {}
        for meta in await admin.describe_topics([n for n in names if n in present]):
            out[meta["topic"]] = len(meta["partitions"])
        return out
    finally:
        await admin.close()
