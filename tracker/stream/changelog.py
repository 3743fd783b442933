"""The worker's post-state table: a Faust table whose changelog tracker writes in batches.

Faust restores the table from its changelog topic on every assignment (recovery,
rebalances). Writing through ``table[key] = value`` would cost a Faust message
object, a buffered send and a Python murmur2 hash per post per batch, which is
most of a batch's time when it touches many posts. ``StateTable`` instead puts
the value into the table's local data and appends the record to one producer
batch per changelog partition, the partition of the source records that touched
the post (source topics and changelog are co-partitioned by post id).

``keep`` puts a batch's states into the local data at once (the next batch reads
them) and returns their bytes; ``send`` writes those bytes to the changelog once
the batch's rows are stored. A process killed before its insert returned thus
restarts from the states before the batch and replays it into the same rows:
read again from states that had applied it, the batch would emit none of the
curve hours it had filled. The futures ``send`` returns resolve when the broker
has the records: the worker waits for them before it lets the batch's offsets
be committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from tracker.errors import InvalidInput
from tracker.stream.state import PostState

Kept = list[tuple[bytes, bytes, int]]
"""States ``StateTable.keep`` stored: (key, bytes, changelog partition)."""


class StateTable:
    """Per-post ``PostState`` bytes: read from the Faust table, written with its changelog."""

    def __init__(self, table: Any, producer: Any) -> None:
        self.table = table
        self.producer = producer  # faust's aiokafka Producer (tracker's idempotent one)
        self.data = table.data
        # Faust's memory store drops, once a rebalance's recovery is over, the keys of the
        # partitions this worker no longer has, by the partition it noted for each key; it notes
        # only those it recovered from the changelog. The states kept here are noted too:
        # otherwise a worker kept every post it had ever written after their partitions moved
        # to another worker (tracker_tracked_posts and tracker_state_bytes counted them too).
        self.partitions: dict[bytes, int] = table.data._key_partition

    def __len__(self) -> int:
        return len(self.data)

    def size(self) -> int:
        """Bytes of every post state held (their serialised form, as the table keeps them)."""
        return sum(len(value) for value in self.data.values())

    def get(self, key: bytes) -> PostState:
        return PostState.from_bytes(self.data.get(key))

    def keep(self, states: Mapping[bytes, PostState], homes: Mapping[bytes, int]) -> Kept:
        """Store each state locally; its bytes and changelog partition (``homes[key]``) for ``send``."""
        kept: Kept = []
        noted = self.partitions
        for key, state in states.items():
            value = self.data[key] = state.to_bytes()
            partition = noted[key] = homes[key]
            kept.append((key, value, partition))
        return kept

    async def send(self, kept: Kept) -> list[asyncio.Future[Any]]:
        """Send states ``keep`` stored to their changelog partitions."""
        producer = self.producer._ensure_producer()
        topic = self.table.changelog_topic.get_topic_name()
        batches: dict[int, Any] = {}
        sent: list[asyncio.Future[Any]] = []
        for key, value, partition in kept:
            batch = batches.get(partition)
            if batch is None:
                batch = batches[partition] = producer.create_batch()
            if batch.append(key=key, value=value, timestamp=None) is None:  # full: send it, start another
                sent.append(await producer.send_batch(batch, topic, partition=partition))
                batch = batches[partition] = producer.create_batch()
                if batch.append(key=key, value=value, timestamp=None) is None:
                    raise InvalidInput(f"state of {key.decode(errors='replace')} ({len(value)} B) exceeds the "
                                       "producer's batch size")
        for partition, batch in batches.items():
            sent.append(await producer.send_batch(batch, topic, partition=partition))
        return sent
