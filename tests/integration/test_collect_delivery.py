"""A snapshot the broker refuses is not a refreshed post: the collector polls the post again
and counts as produced only what the broker confirmed. The refusal is real: the snapshots
topic's ``max.message.bytes`` set below any snapshot's size, so the broker answers every
produce request with MESSAGE_TOO_LARGE and aiokafka fails the delivery future (the failure
path any refused or expired batch takes); then set back, as an operator fixing the topic."""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.structs import TopicPartition

from tests.integration.test_collect_service import drain, register, sample, settings_for, until
from tracker.broker import topics as t
from tracker.collect.scheduler import IN_FLIGHT
from tracker.collect.service import Collection
from tracker.settings import Settings
from tracker.simulate import Simulation

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return Simulation.build(seed=11, posts=40)


async def max_message_bytes(settings: Settings, topic: str, value: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, settings.topic(topic),
                                                  configs={"max.message.bytes": str(value)})])
    finally:
        await admin.close()


def total(name: str, platforms: set[str], **labels: str) -> float:
    return sum(sample(name, platform=p, **labels) for p in platforms)


def test_a_snapshot_the_broker_refuses_is_polled_again_and_not_counted(
        kafka: str, tracker_topics: str, sim: Simulation, url: str, tmp_path: Path) -> None:
    moment = sim.population.campaign_start + timedelta(days=20)
    sim.clock.set(moment)
    sim.clock.set_speed(0)
    settings = settings_for(kafka, tracker_topics, url, collect_comments=False)
    live = [p for p in sim.population.posts if sim.status(p) == "live"]
    assert live
    platforms = {p.platform for p in live}
    register(sim, settings, tmp_path, keep={p.id for p in live})
    asyncio.run(max_message_bytes(settings, t.SNAPSHOTS, 64))  # smaller than any snapshot
    produced = total("tracker_snapshots_produced_total", platforms)
    undelivered = total("tracker_collect_refresh_failures_total", platforms, reason="undelivered")
    errors = sample("tracker_produce_errors_total", topic=settings.topic(t.SNAPSHOTS))

    async def scenario() -> None:
        async with Collection(settings) as collection:
            await until(lambda: total("tracker_collect_refresh_failures_total", platforms,
                                      reason="undelivered") - undelivered >= len(live))
            collector, scheduler = collection.collector, collection.scheduler
            assert collector is not None
            assert collector.refreshed == 0, "a post whose snapshot the broker refused was marked refreshed"
            assert total("tracker_snapshots_produced_total", platforms) == produced
            assert sample("tracker_produce_errors_total", topic=settings.topic(t.SNAPSHOTS)) - errors >= len(live)
            now = collection.clock.now()
            for post in live:
                slot = scheduler.index[post.id.encode()]
                assert scheduler.last[slot] == 0.0, f"{post.id} recorded as observed"
                due = scheduler.due[slot]
                assert not math.isnan(due) and due != IN_FLIGHT, f"{post.id} is no longer scheduled"
                assert now < due <= now + 3600, f"{post.id} is not polled again soon ({due - now:.0f} s)"

            await max_message_bytes(settings, t.SNAPSHOTS, 1_048_588)  # the topic fixed
            sim.clock.advance(timedelta(minutes=10))
            await until(lambda: collector.refreshed >= len(live))
            await asyncio.sleep(0.5)

    asyncio.run(scenario())
    snaps = asyncio.run(drain(settings, t.SNAPSHOTS))
    assert {s["post_id"] for s in snaps} == {p.id for p in live}
    assert total("tracker_snapshots_produced_total", platforms) - produced == len(snaps) == len(live)


def test_a_producer_session_the_broker_lost_is_replaced_and_collection_goes_on(
        kafka: str, tracker_topics: str, sim: Simulation, url: str, tmp_path: Path) -> None:
    """After a broker outage longer than the request timeout, aiokafka fails a batch that
    expired while its partition had no leader after counting its records in the partition's
    sequence; the broker then answers every later batch OUT_OF_ORDER_SEQUENCE_NUMBER. A walk
    through `tracker run` with its broker stopped for 100 s collected nothing more, logging
    ~700 errors a minute, until it was restarted. Here the sequence is moved on as that batch
    moves it, and the broker's refusal is real."""
    moment = sim.population.campaign_start + timedelta(days=20)
    sim.clock.set(moment)
    sim.clock.set_speed(0)
    settings = settings_for(kafka, tracker_topics, url, collect_comments=False)
    live = [p for p in sim.population.posts if sim.status(p) == "live"]
    platforms = {p.platform for p in live}
    register(sim, settings, tmp_path, keep={p.id for p in live})
    topic = settings.topic(t.SNAPSHOTS)

    async def scenario() -> None:
        async with Collection(settings) as collection:
            collector, producer = collection.collector, collection.producer
            assert collector is not None and producer.kafka is not None
            await until(lambda: collector.refreshed >= len(live))
            errors = sample("tracker_produce_errors_total", topic=topic)
            undelivered = total("tracker_collect_refresh_failures_total", platforms, reason="undelivered")
            sequences = producer.kafka._txn_manager  # what the expired, leaderless batch leaves
            for partition in await producer.kafka.partitions_for(topic):
                sequences.increment_sequence_number(TopicPartition(topic, partition), 1)

            sim.clock.advance(timedelta(hours=7))  # every post due again (6 h cadence at 20 days)
            await until(lambda: collector.refreshed + total("tracker_collect_refresh_failures_total", platforms,
                                                            reason="undelivered") - undelivered >= 2 * len(live))
            assert sample("tracker_produce_errors_total", topic=topic) > errors  # the broker refused some
            sim.clock.advance(timedelta(hours=7))  # the posts refused are due again
            await until(lambda: collector.refreshed >= 2 * len(live))

    asyncio.run(scenario())
    snaps = asyncio.run(drain(settings, t.SNAPSHOTS))
    after = {s["post_id"] for s in snaps if s["observed_at"] >= moment + timedelta(hours=7)}
    assert after == {p.id for p in live}  # every post collected again once its session was lost
