"""The last polls of posts, read back from ``tracker.snapshots.v1`` when a collector is given partitions.

The collector keeps no store: a post it starts tracking (at a start, or after a rebalance gave it
the post's partition) has no last refresh, and would be due at once, however recently a collector
polled it. Every poll is a snapshot on ``tracker.snapshots.v1``, keyed and partitioned like the
registry, so the snapshots the same partition numbers received within the cadence's longest
interval (wall time, by their Kafka timestamps) tell each post's last poll: the newest
``observed_at`` (event time) of the snapshots a collector's adapter wrote for its platform, with
the source it writes there (``PlatformConfig.source``). Exports' and hand-made rows (``export``,
``manual``) are not polls: ``tracker snapshots import`` writes them, and an export's time is the
time its figures are as of.

The read is bounded: from the offsets of ``now - window`` to the end offsets at its start, within
``budget`` seconds; what it did not reach leaves those posts due at once, as before. A message
that cannot be read is skipped (the worker sends it to the DLQ).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

import msgspec
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from tracker.broker.reach import start_client

log = logging.getLogger(__name__)
NOT_POLLS = frozenset({"export", "manual"})
MARGIN = 600.0
"""Seconds read beyond the cadence's longest interval (clocks of other machines, delivery delays)."""
BUDGET = 60.0
"""Real seconds a read may take; the posts of what it did not reach are due at once."""


class _Snapshot(msgspec.Struct):
    """The fields of a snapshot that tell a poll (the others are not read)."""

    post_id: str
    platform: str
    source: str
    observed_at: Annotated[datetime, msgspec.Meta(tz=True)]


_DECODER = msgspec.json.Decoder(_Snapshot)


@dataclass
class LastPolls:
    """Newest poll per post (``post_id`` bytes → event time, unix seconds), from snapshot messages.

    ``sources``: per platform collected here, the source its adapter writes on a snapshot."""

    sources: Mapping[str, str]
    polls: dict[bytes, float] = field(default_factory=dict)
    read: int = 0
    skipped: int = 0
    """Messages that could not be read."""

    def add(self, value: bytes | None) -> None:
        """Account for one message of the topic (a bad one is counted and skipped)."""
        self.read += 1
        if value is None:
            self.skipped += 1
            return
        try:
            snap = _DECODER.decode(value)
        except (msgspec.DecodeError, ValueError):
            self.skipped += 1
            return
        if snap.source in NOT_POLLS or self.sources.get(snap.platform) != snap.source:
            return
        key = snap.post_id.encode()
        at = snap.observed_at.timestamp()
        if at > self.polls.get(key, 0.0):
            self.polls[key] = at


@dataclass
class Reading:
    """What a read of the snapshots topic found."""

    polls: LastPolls
    complete: bool = True
    """False when the budget ran out before every partition was read to its end."""
    seconds: float = 0.0


async def read_last_polls(bootstrap: str, topic: str, partitions: Iterable[int], sources: Mapping[str, str],
                          window: float, budget: float = BUDGET, registry_partitions: int | None = None) -> Reading:
    """The newest poll of each post in ``partitions`` of the snapshots ``topic``, among the messages
    sent within ``window + MARGIN`` seconds (wall time) before now, read within ``budget`` seconds.
    Raises ``ValueError`` when the topic's partition count is not ``registry_partitions`` (its
    posts' snapshots are then not in the registry's partition numbers), ``KafkaError``…"""
    started = time.monotonic()
    reading = Reading(LastPolls(sources))
    tps = [TopicPartition(topic, p) for p in sorted(set(partitions))]
    if not tps:
        return reading
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest", max_poll_records=5000)
    await start_client(consumer, bootstrap)
    try:
        count = len(consumer.partitions_for_topic(topic) or ())  # metadata of every topic, read at start
        if not count:
            await consumer._client.force_metadata_update()  # noqa: SLF001 - no public refresh
            count = len(consumer.partitions_for_topic(topic) or ())
        if not count:
            raise ValueError(f"topic {topic} not found: run `tracker topics create`")
        if registry_partitions is not None and count != registry_partitions:
            raise ValueError(f"{topic} has {count} partitions and the registry {registry_partitions}: a post's "
                             "snapshots are not in its registry entry's partition (recreate the topics with one count)")
        since = int((time.time() - window - MARGIN) * 1000)
        starts = await consumer.offsets_for_times({tp: since for tp in tps})
        ends = await consumer.end_offsets(tps)
        todo = {tp: ends[tp] for tp in tps if starts.get(tp) is not None and starts[tp].offset < ends[tp]}
        consumer.assign(list(todo))
        for tp in todo:
            consumer.seek(tp, starts[tp].offset)
        deadline = started + budget
        while todo:
            left = deadline - time.monotonic()
            if left <= 0:
                reading.complete = False
                break
            batches = await consumer.getmany(timeout_ms=int(min(left, 0.5) * 1000), max_records=5000)
            for tp, records in batches.items():
                end = todo.get(tp)
                if end is None:
                    continue
                for record in records:
                    if record.offset < end:
                        reading.polls.add(record.value)
            for tp, end in list(todo.items()):
                if await consumer.position(tp) >= end:
                    del todo[tp]
                    consumer.pause(tp)
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
    reading.seconds = time.monotonic() - started
    return reading
