"""A restarted collector, and one given partitions by a rebalance, resume each post's schedule from
its last snapshot on the real broker: what was polled minutes before is not polled again, a post
never polled is polled at once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from tests.integration.test_collect_service import register, settings_for, until
from tracker.broker import topics as t
from tracker.broker.topics import home_partition
from tracker.collect.model import Observation
from tracker.collect.produce import snapshot_message
from tracker.collect.resume import read_last_polls
from tracker.collect.service import Collection
from tracker.contracts import decode
from tracker.errors import InvalidInput
from tracker.simulate import Simulation

pytestmark = pytest.mark.integration


async def snapshots(settings: Any) -> list[dict[str, Any]]:
    """Every readable snapshot on the topic so far (the test puts a bad one there too)."""
    consumer = AIOKafkaConsumer(settings.topic(t.SNAPSHOTS), bootstrap_servers=settings.kafka_bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    out: list[dict[str, Any]] = []
    try:
        while batch := await consumer.getmany(timeout_ms=1500):
            for records in batch.values():
                for record in records:
                    try:
                        out.append(decode(t.SNAPSHOTS, record.value))
                    except InvalidInput:
                        continue
        return out
    finally:
        await consumer.stop()


def test_a_restart_and_a_rebalance_do_not_poll_again_what_was_just_polled(
        kafka: str, tracker_topics: str, sim: Simulation, url: str, tmp_path: Path) -> None:
    moment = sim.population.campaign_start + timedelta(days=18)
    later = moment + timedelta(minutes=1)
    sim.clock.set(moment)
    sim.clock.set_speed(0)
    settings = settings_for(kafka, tracker_topics, url, collect_comments=False)
    live = sorted(p.id for p in sim.population.posts if sim.status(p) == "live")
    onsets = {h.post_id for h in sim.population.heating if moment < h.start <= later + timedelta(seconds=5)}
    assert not onsets  # nothing in that minute makes a post due again
    first, second = set(live[::2]), set(live[1::2])
    imported = sorted(second)[0]  # an imported export row of it does not count as a poll

    async def collect(settings: Any, posts: int) -> None:
        async with Collection(settings) as collection:
            await until(lambda: collection.collector is not None and collection.collector.refreshed >= posts)

    register(sim, settings, tmp_path, keep=first)
    asyncio.run(collect(settings, len(first)))
    polled = Counter(s["post_id"] for s in asyncio.run(snapshots(settings)))
    assert set(polled) == first

    sim.clock.set(later)  # a minute on, every post of the first run is due in 15 min or more
    register(sim, settings, tmp_path, keep=second)

    async def restart() -> tuple[int, int, int]:
        kafka_out = AIOKafkaProducer(bootstrap_servers=kafka)
        await kafka_out.start()
        try:
            topic = settings.topic(t.SNAPSHOTS)
            await kafka_out.send_and_wait(topic, b"\xffnot a snapshot", key=sorted(first)[0].encode())
            row = snapshot_message(Observation(imported, {"views": 1}), "t", imported.partition(":")[0],
                                   later.astimezone(UTC), "export")
            await kafka_out.send_and_wait(topic, row, key=imported.encode())
        finally:
            await kafka_out.stop()
        async with Collection(settings) as one:
            await until(lambda: one.collector is not None and one.collector.refreshed >= len(second)
                        and one.feed.loaded.is_set())
            await asyncio.sleep(1.5)  # any post due would be polled by now (a tick is 50 ms)
            alone = one.collector.refreshed if one.collector else -1
            async with Collection(settings) as two:  # the group splits the partitions: both resume theirs
                owned = lambda c: {tp.partition for tp in c.feed.assigned}  # noqa: E731
                await until(lambda: two.feed.loaded.is_set() and owned(two) and len(owned(one)) < 4)
                await asyncio.sleep(2.0)
                assert len(two.scheduler) > 0 and len(one.scheduler) + len(two.scheduler) == len(live)
                return alone, one.collector.refreshed if one.collector else -1, \
                    two.collector.refreshed if two.collector else -1

    alone, one, two = asyncio.run(restart())
    snaps = asyncio.run(snapshots(settings))
    again = Counter(s["post_id"] for s in snaps if s["source"] == "simulator") - polled  # the restart's polls
    assert not set(again) & first, f"polled again after the restart: {sorted(set(again) & first)[:5]}"
    assert set(again) == second and set(again.values()) == {1}  # each new post once, the imported one too
    assert alone == len(second) and one == len(second) and two == 0


def test_the_read_is_bounded_in_time_and_window_and_refuses_unmatched_partitions(
        kafka: str, tracker_topics: str) -> None:
    """Only what was sent within the window is read; out of time, the read stops and says so; a
    snapshots topic partitioned unlike the registry is not read at all."""
    topic = f"{tracker_topics}{t.SNAPSHOTS}"
    now = datetime.now(UTC)

    async def scenario() -> None:
        out = AIOKafkaProducer(bootstrap_servers=kafka)
        await out.start()
        try:
            for i, hours in enumerate((0, 1, 20)):  # the last one sent 20 h ago: beyond 12 h + margin
                post = f"douyin:7{i}"
                row = snapshot_message(Observation(post, {"views": 1}), "t", "douyin", now - timedelta(hours=hours),
                                       "api")
                sent_ms = int((now - timedelta(hours=hours)).timestamp() * 1000)
                await out.send_and_wait(topic, row, key=post.encode(), timestamp_ms=sent_ms)
        finally:
            await out.stop()
        parts = {home_partition(f"douyin:7{i}".encode(), 4) for i in range(3)}
        reading = await read_last_polls(kafka, topic, parts, {"douyin": "api"}, 12 * 3600)
        assert reading.complete and set(reading.polls.polls) == {b"douyin:70", b"douyin:71"}
        assert abs(reading.polls.polls[b"douyin:71"] - (now - timedelta(hours=1)).timestamp()) < 0.001  # ms
        cut = await read_last_polls(kafka, topic, parts, {"douyin": "api"}, 12 * 3600, budget=0)
        assert not cut.complete and not cut.polls.polls
        with pytest.raises(ValueError, match="partitions"):
            await read_last_polls(kafka, topic, parts, {"douyin": "api"}, 12 * 3600, registry_partitions=3)

    asyncio.run(scenario())
