"""The local Kafka node: a real produce/consume round trip and topic settings."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from tests.fixtures.broker import short_lived_node
from tracker.broker.node import KafkaNode, free_port
from tracker.broker.topics import POSTS, SNAPSHOTS, describe_topics
from tracker.errors import ConfigError

pytestmark = pytest.mark.integration


async def _round_trip(bootstrap: str, topic: str) -> list[tuple[bytes, bytes]]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for i in range(10):
            await producer.send_and_wait(topic, f"v{i}".encode(), key=f"douyin:{i % 3}".encode())
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    got: list[tuple[bytes, bytes]] = []
    try:
        while len(got) < 10:
            batch = await consumer.getmany(timeout_ms=5000)
            if not batch:
                break
            for records in batch.values():
                got.extend((r.key, r.value) for r in records)
    finally:
        await consumer.stop()
    return got


def test_produce_consume_round_trip(kafka: str, tracker_topics: str) -> None:
    got = asyncio.run(_round_trip(kafka, tracker_topics + SNAPSHOTS))
    assert sorted(v for _, v in got) == sorted(f"v{i}".encode() for i in range(10))
    # one post's messages stay in order on one partition
    same_key = [v for k, v in got if k == b"douyin:0"]
    assert same_key == [b"v0", b"v3", b"v6", b"v9"]


def test_topics_have_design_settings(kafka: str, tracker_topics: str) -> None:
    async def check() -> str:
        parts = await describe_topics(kafka, tracker_topics)
        assert len(parts) == 6 and set(parts.values()) == {4}
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
        await admin.start()
        try:
            res = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, tracker_topics + POSTS)])
        finally:
            await admin.close()
        entries = {e[0]: e[1] for e in res[0].resources[0][4]}
        return entries["cleanup.policy"]

    assert asyncio.run(check()) == "compact"


def test_second_node_on_a_taken_port_says_so(kafka: str, tmp_path) -> None:
    port = int(kafka.rsplit(":", 1)[1])
    node = KafkaNode(data_dir=tmp_path, cache_dir=tmp_path / "cache", port=port, controller_port=free_port())
    with pytest.raises(ConfigError, match=f"port {port} .* is taken"):
        node.start()


def test_the_node_log_rolls_over_by_size(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The node's log is capped: it grew 4 MB in 17 minutes while the broker refused one client,
    into one file nothing removed. A node started with a 16 KB roll-over (its start alone logs
    more) keeps LOG_BACKUPS files beside server.log. The node's JVM options (a test node's) reach
    its command line."""
    import tracker.broker.node as node_module

    monkeypatch.setattr(node_module, "LOG_FILE_KB", 16, raising=False)
    monkeypatch.setattr(node_module, "LOG_BACKUPS", 2, raising=False)
    node = short_lived_node(tmp_path / "kafka")
    node.start(timeout_s=120)
    try:
        logs = node.log_file.parent
        rolled = sorted(p.name for p in logs.glob("server.log.*"))
        assert rolled == ["server.log.1", "server.log.2"], sorted(p.name for p in logs.iterdir())
        assert all(p.stat().st_size < 2 * 16 * 1024 for p in logs.glob("server.log*"))
        # the node's own JVM options reach its command line
        cmdline = Path(f"/proc/{node.pid()}/cmdline").read_bytes().split(b"\0")
        assert b"-XX:TieredStopAtLevel=1" in cmdline, cmdline
    finally:
        node.stop()
