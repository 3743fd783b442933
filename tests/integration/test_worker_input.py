"""Input the worker must set aside without stopping: a message too large to copy whole into the
DLQ, and records that are not on their post's partition (no key, or another partitioner's)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from tests.fixtures.data import T0, post_id, registry, snapshot
from tests.fixtures.worker import WorkerProcess, json_records, produce
from tracker.broker import topics as t
from tracker.contracts import encode

pytestmark = pytest.mark.integration

PARTITIONS = 4  # the tracker_topics fixture's


def home(key: bytes) -> int:
    """The partition the Java client and aiokafka put ``key`` on."""
    return DefaultPartitioner()(key, list(range(PARTITIONS)), [])


async def produce_to(bootstrap: str, topic: str, records: Iterable[tuple[bytes | None, bytes | None, int]]) -> None:
    """(key, value, partition) records, each on the partition given (as kcat -p or a producer
    with another partitioner would place them)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for key, value, partition in records:
            await producer.send_and_wait(topic, value, key=key, partition=partition)
    finally:
        await producer.stop()


async def changelog_keys(bootstrap: str, topic: str) -> set[tuple[int, bytes]]:
    """(partition, key) of every record of the worker's state changelog."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    got: set[tuple[int, bytes]] = set()
    try:
        while batch := await consumer.getmany(timeout_ms=3000):
            for tp, records in batch.items():
                got.update((tp.partition, r.key) for r in records)
    finally:
        await consumer.stop()
    return got


@pytest.fixture
def worker(kafka: str, tracker_topics: str, tmp_path: Path):
    w = WorkerProcess(kafka, tracker_topics, tmp_path).start()
    yield w
    w.stop()


def test_a_message_too_large_to_copy_goes_to_the_dlq_cut_and_the_records_behind_it_are_stored(
        kafka: str, tracker_topics: str, worker: WorkerProcess) -> None:
    """A 900 KB value used to stop the worker at every start: its DLQ record (the payload in
    base64) was past the producer's 1 MB limit, and the good snapshot behind it, on the same
    partition, was never stored. The DLQ record keeps the payload's first 128 KiB, with the
    whole one's size and sha256."""
    huge = json.dumps("x" * 900_000).encode()
    key = post_id(0).encode()
    asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(0)]))
    asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [(key, huge), snapshot(0, 1)]))

    worker.wait_for("SELECT count() FROM snapshots FINAL", 1)
    worker.wait_caught_up(t.SNAPSHOTS)
    [record] = asyncio.run(json_records(kafka, tracker_topics + t.DLQ, 1))
    kept = base64.b64decode(record["payload_b64"])
    assert kept == huge[:128 * 1024]
    assert (record["payload_bytes"], record["payload_sha256"]) == (len(huge), hashlib.sha256(huge).hexdigest())
    assert record["reason"].startswith("message: must be an object (got 'xxx"), record["reason"]
    assert (record["key"], record["offset"]) == (post_id(0), 0)
    reason, payload = worker.client().query("SELECT reason, payload FROM dlq").result_rows[0]
    assert (reason, payload) == (record["reason"], record["payload_b64"])
    assert worker.alive()


def test_records_off_their_posts_partition_go_to_the_dlq_and_leave_its_state_alone(
        kafka: str, tracker_topics: str, worker: WorkerProcess) -> None:
    """A post's records must be keyed by its post_id and sit on the partition murmur2 gives it:
    keyless records, and records placed by another partitioner (kcat, confluent-kafka), were
    applied, and their post's state written to another changelog partition, whose stale copy
    won after a restart. On every input topic they now go to the DLQ with what to fix, and the
    post's state stays on its one partition."""
    pid = post_id(1)
    key = pid.encode()
    right = home(key)
    wrong = (right + 1) % PARTITIONS
    heat = encode(t.HEATING, {
        "tenant": "acme", "post_id": pid, "heating_id": "h1", "channel": "qifei", "start": T0 + timedelta(hours=2),
        "spend": {"amount": "300.00", "currency": "CNY"}, "status": "executed", "updated_at": T0})
    comment = encode(t.COMMENTS, {"tenant": "acme", "post_id": pid, "platform": "bilibili", "comment_id": "c1",
                                  "text": "where to buy", "created_at": T0 + timedelta(hours=1)})
    messages = {t.POSTS: registry(1)[1], t.SNAPSHOTS: snapshot(1, 0)[1], t.HEATING: heat, t.COMMENTS: comment}
    keyless = [topic for topic in messages if topic != t.POSTS]  # a compacted topic refuses them itself
    for topic, value in messages.items():
        asyncio.run(produce_to(kafka, tracker_topics + topic, [
            (key, value, wrong),  # another partitioner's choice
            *([(None, value, right)] if topic in keyless else []),  # no key, though on the right partition
        ]))
    asyncio.run(produce_to(kafka, tracker_topics + t.POSTS, [(key, None, wrong)]))  # a tombstone, misplaced
    for topic in messages:
        worker.wait_caught_up(topic)

    records = asyncio.run(json_records(kafka, tracker_topics + t.DLQ, 8))
    got = sorted((r["source_topic"], r["partition"], r["reason"].split(":", 1)[0]) for r in records)
    expected = [(topic, wrong, "wrong partition") for topic in messages] + [(topic, right, "no key") for topic in keyless]
    assert got == sorted([*expected, (t.POSTS, wrong, "wrong partition")])
    misplaced = next(r["reason"] for r in records if r["source_topic"] == t.SNAPSHOTS and r["key"])
    assert misplaced.startswith(f"wrong partition: on partition {wrong} of {PARTITIONS}, but its key {pid!r} belongs "
                                f"on partition {right}; produce it keyed by post_id with the default Java/aiokafka "
                                "partitioner (murmur2)"), misplaced
    assert worker.scalar("SELECT count() FROM dlq") == 8
    assert worker.scalar("SELECT count() FROM snapshots") == 0
    assert worker.scalar("SELECT count() FROM posts") == 0

    # the same records, keyed and placed as the default partitioner does: applied
    asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(1)]))
    for topic, value in messages.items():
        if topic != t.POSTS:
            asyncio.run(produce(kafka, tracker_topics + topic, [(key, value)]))
    for topic in messages:
        worker.wait_caught_up(topic)
    worker.wait_for("SELECT count() FROM heating_nodes FINAL WHERE campaign_id != ''", 1)
    assert worker.scalar("SELECT count() FROM snapshots FINAL") == 1
    assert worker.scalar("SELECT count() FROM comments FINAL") == 1
    assert worker.scalar("SELECT max(deleted) FROM posts FINAL") == 0
    changelog = asyncio.run(changelog_keys(kafka, f"{worker.group}-post_state-changelog"))
    assert {partition for partition, k in changelog if k == key} == {right}
