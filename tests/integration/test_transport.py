"""tracker's batch consumer (tracker/stream/transport.py) against the real broker: a table's
changelog records and the flow a rebalance stops and a recovery resumes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import faust
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faust.tables.manager import TableManager
from faust.tables.recovery import Recovery

from tracker.stream.transport import BatchConsumer, broker_url

pytestmark = pytest.mark.integration

RECORDS = 200


async def _until(ready: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"no {what} in {timeout} s"
        await asyncio.sleep(0.01)


def _recovery(app: faust.App) -> Recovery:
    assert isinstance(app.tables, TableManager)
    return app.tables.recovery


async def _started_app(kafka: str, prefix: str, datadir: Path) -> faust.App:
    """A Faust app on tracker's transport, a table on one changelog partition (recovered, empty) and
    an idle batch topic: the fetch loop waits in 1 s fetches of it."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(f"{prefix}source", 1, 1)])
    finally:
        await admin.close()
    app = faust.App(f"{prefix}app", broker=broker_url(kafka), store="memory://", topic_partitions=1,
                    topic_replication_factor=1, consumer_auto_offset_reset="earliest", web_enabled=False,
                    table_standby_replicas=0, datadir=str(datadir))
    raw: Any = faust.Schema(key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
    app.Table("state", default=None, schema=raw, key_type=bytes, value_type=bytes, partitions=1)
    app.topics.add(app.topic(f"{prefix}source", key_type=bytes, value_type=bytes))
    assert isinstance(app.consumer, BatchConsumer)
    app.consumer.deliver_batches({f"{prefix}source"}, 1000)
    await app.start()
    await _until(lambda: _recovery(app).completed.is_set() and not app.in_recovery, "recovery")
    return app


async def _changelog_returned_while_the_flow_is_stopped(kafka: str, prefix: str, datadir: Path) -> None:
    app = await _started_app(kafka, prefix, datadir)
    try:
        consumer, recovery = app.consumer, _recovery(app)
        [tp] = recovery.active_tps
        producer = AIOKafkaProducer(bootstrap_servers=kafka)
        await producer.start()
        try:
            for i in range(RECORDS):
                await producer.send(tp.topic, key=b"k%d" % i, value=b"v", partition=tp.partition)
        finally:
            await producer.stop()
        returned = app.monitor.tp_end_offsets  # noted by the fetch loop for each partition a fetch returns
        assert tp not in returned
        for _attempt in range(10):
            await asyncio.sleep(0.2)  # a new fetch of the idle source is in flight
            # A recovery's steps, with the fetch in flight returning between the seek and the flow's
            # resumption (about a millisecond in a real recovery, held open here).
            consumer.stop_flow()
            await consumer.seek_wait({tp: 0})
            consumer.resume_partitions({tp})
            deadline = time.monotonic() + 2
            while tp not in returned and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            if tp in returned:
                break
            consumer.pause_partitions({tp})  # that fetch ended before the changelog came: again
            consumer.resume_flow()
        else:
            pytest.fail("no fetch in flight returned the changelog while the flow was stopped")
        consumer.resume_flow()
        await _until(lambda: recovery.active_offsets[tp] == RECORDS - 1, "changelog record read by the recovery", 10)
    finally:
        await app.stop()


def test_changelog_records_returned_while_the_flow_is_stopped_are_read_again(kafka: str, topic_prefix: str,
                                                                           tmp_path: Path) -> None:
    """A fetch in flight across a rebalance returns a changelog partition's records after the
    recovery sought it and before the flow resumed: the recovery reads them once it resumes (they
    were dropped with the position past them, and the recovery waited for them forever)."""
    asyncio.run(_changelog_returned_while_the_flow_is_stopped(kafka, topic_prefix, tmp_path))
