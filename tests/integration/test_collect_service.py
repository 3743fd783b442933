"""The collectors end to end: registry topics in, the simulator as the platforms, snapshots and
comments out on the real broker; the quota spent on the young and heated posts first."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiokafka import AIOKafkaConsumer

from tracker.broker import topics as t
from tracker.collect.cadence import Cadence
from tracker.collect.comments import REPLY_CALLS
from tracker.collect.service import Collection
from tracker.contracts import decode
from tracker.registry.importer import send
from tracker.registry.reader import read
from tracker.registry.records import Options, build
from tracker.settings import Settings
from tracker.simulate import Simulation
from tracker.simulate.registry import campaign_document

pytestmark = pytest.mark.integration


def settings_for(kafka: str, prefix: str, url: str, **more: Any) -> Settings:
    values: dict[str, Any] = {"kafka_bootstrap": kafka, "topic_prefix": prefix, "collect_simulator_url": url,
                              "collect_tick_seconds": 0.05, "collect_comment_every_hours": 0.0}
    values.update(more)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def register(sim: Simulation, settings: Settings, tmp_path: Path, keep: set[str] | None = None) -> None:
    """The simulator's campaign, through the importer, onto the registry topics."""
    doc = campaign_document(sim.population)
    if keep is not None:
        doc["posts"] = [p for p in doc["posts"] if p["id"] in keep]
        doc["heating"] = [h for h in doc["heating"] if h["post"] in keep]
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    registry = build(read(path), Options(version=1_700_000_000_000))
    assert not registry.problems
    asyncio.run(send(settings, [(t.POSTS, m) for m in registry.posts] + [(t.HEATING, m) for m in registry.heating]))


async def drain(settings: Settings, topic: str, idle: float = 1.5) -> list[dict[str, Any]]:
    """Every message on a topic so far, decoded (the collector's output must pass its contract)."""
    consumer = AIOKafkaConsumer(settings.topic(topic), bootstrap_servers=settings.kafka_bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    out: list[dict[str, Any]] = []
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=int(idle * 1000))
            if not batch:
                return out
            for records in batch.values():
                for record in records:
                    msg = decode(topic, record.value)
                    assert record.key == msg["post_id"].encode()
                    out.append(msg)
    finally:
        await consumer.stop()


async def until(predicate: Any, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.1)


def sample(name: str, **labels: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_every_platform_collected_as_served(kafka: str, tracker_topics: str, sim: Simulation, url: str,
                                            tmp_path: Path) -> None:
    """Every live post gets a snapshot equal to what the simulator served at its clock, with null for
    the metrics its platform lacks, rounded values flagged, taken-down posts unavailable; comments follow."""
    moment = sim.population.campaign_start + timedelta(days=20, hours=3)
    sim.clock.set(moment)
    sim.clock.set_speed(0)
    settings = settings_for(kafka, tracker_topics, url)
    register(sim, settings, tmp_path)
    published = [p for p in sim.population.posts if sim.status(p) != "unpublished"]

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        async with Collection(settings) as collection:
            await until(lambda: collection.collector is not None and collection.collector.refreshed >= len(published))
            await asyncio.sleep(1.0)  # comment pages follow the counters
        return await drain(settings, t.SNAPSHOTS), await drain(settings, t.COMMENTS)

    snaps, comments = asyncio.run(scenario())
    by_post = {s["post_id"]: s for s in snaps}
    assert set(by_post) == {p.id for p in published}
    served = dict(zip([p.id for p in published], sim.counts(published), strict=True))
    for post in published:
        snap = by_post[post.id]
        assert snap["observed_at"] == moment.astimezone(UTC)
        assert snap["source"] == "simulator"
        if sim.status(post) == "taken_down":
            assert snap["status"] == "unavailable"
            assert all(v is None for v in snap["metrics"].values())
            continue
        assert snap["status"] == "ok"
        for metric, value in snap["metrics"].items():
            truth = served[post.id][metric]
            if metric in snap["rounded"]:  # "1.2万": a lower bound within 0.1万
                assert truth is not None and value <= truth < value + 1000
            elif value is not None:
                assert value == truth, (post.id, metric)
        if post.platform == "xiaohongshu":
            assert snap["metrics"]["views"] is None  # exports only, never 0
    assert any(s["rounded"] for s in snaps if s["platform"] == "xiaohongshu")
    assert all(s["metrics"]["views"] is None and s["metrics"]["saves"] is None
               for s in snaps if s["platform"] == "weibo")
    assert {c["platform"] for c in comments} >= {"youtube", "bilibili", "weibo", "douyin", "tiktok", "instagram",
                                                 "xiaohongshu"}
    assert all(c["author_hash"] is None or len(c["author_hash"]) == 32 for c in comments)
    assert len({(c["post_id"], c["comment_id"]) for c in comments}) == len(comments)
    replies = [c for c in comments if c["parent_id"]]  # where the platforms' answers give them
    assert {c["platform"] for c in replies} == {"youtube", "bilibili", "weibo", "tiktok"}
    read = {(c["post_id"], c["comment_id"]) for c in comments}
    assert all((c["post_id"], c["parent_id"]) in read for c in replies if c["platform"] in ("youtube", "bilibili"))


def test_cadence_follows_event_time(kafka: str, tracker_topics: str, sim: Simulation, url: str,
                                    tmp_path: Path) -> None:
    """Moving the simulator's clock one hour refreshes the young posts again, not the old ones."""
    start = sim.population.campaign_start + timedelta(days=18)
    sim.clock.set(start)
    sim.clock.set_speed(0)
    settings = settings_for(kafka, tracker_topics, url, collect_comments=False)
    register(sim, settings, tmp_path)
    cadence = Cadence()
    live = [p for p in sim.population.posts if sim.status(p) == "live"]

    def age(p: Any) -> float:
        return (start - p.published_at).total_seconds() / 3600

    heated = {h.post_id for h in sim.population.heating
              if h.start <= start + timedelta(hours=1) < h.end + timedelta(hours=cadence.heating_tail_hours)}
    young = {p.id for p in live if age(p) < 5 and p.id not in heated}
    old = {p.id for p in live if age(p) > 8 * 24 and p.id not in heated}
    assert young and old

    async def scenario() -> list[dict[str, Any]]:
        async with Collection(settings) as collection:
            await until(lambda: collection.collector is not None and collection.collector.refreshed >= len(live))
            first = collection.collector.refreshed
            sim.clock.advance(timedelta(hours=1))
            await until(lambda: collection.collector.refreshed >= first + len(young))
            await asyncio.sleep(1.0)
        return await drain(settings, t.SNAPSHOTS)

    snaps = asyncio.run(scenario())
    later = {s["post_id"] for s in snaps if s["observed_at"] > start.astimezone(UTC)}
    assert young <= later
    assert not (old & later)


def test_quota_defers_old_posts_never_young_or_heated_first(kafka: str, tracker_topics: str, sim: Simulation,
                                                            url: str, tmp_path: Path) -> None:
    """A daily quota too small for every Instagram post: the heated and young are refreshed, the
    old are deferred (and counted), and no young or heated post waits while an old one is served."""
    moment = datetime(2025, 9, 22, 0, 30, tzinfo=UTC)  # early in the quota day (UTC)
    sim.clock.set(moment)
    sim.clock.set_speed(0)
    cadence = Cadence()
    live = [p for p in sim.population.posts if p.platform == "instagram" and sim.status(p) == "live"]
    windows: dict[str, list[tuple[float, float]]] = {}
    for h in sim.population.heating:
        windows.setdefault(h.post_id, []).append((h.start.timestamp(), h.end.timestamp()))
    now = moment.timestamp()

    def klass(p: Any) -> str:
        if cadence.heated(windows.get(p.id, []), now):
            return "heated"
        hours = (moment - p.published_at).total_seconds() / 3600
        return "young" if hours < 72 else "ageing" if hours < 168 else "old"

    classes = {p.id: klass(p) for p in live}
    important = {pid for pid, k in classes.items() if k in ("heated", "young")}
    old = {pid for pid, k in classes.items() if k == "old"}
    assert important and len(old) >= 3
    quota = len(important) + 3  # the important ones fit; the reserve keeps the old ones out
    settings = settings_for(kafka, tracker_topics, url, collect_comments=False,
                            collect_limits={"instagram": {"daily_quota": quota, "concurrency": 1}})
    register(sim, settings, tmp_path, keep={p.id for p in live})
    before = {k: sample("tracker_collect_deferred_total", platform="instagram", priority=k)
              for k in ("heated", "young", "ageing", "old")}

    async def scenario() -> list[dict[str, Any]]:
        async with Collection(settings) as collection:
            deferred = lambda: sum(sample("tracker_collect_deferred_total", platform="instagram", priority=k)  # noqa: E731
                                   - before[k] for k in before)
            await until(lambda: collection.collector is not None and deferred() > 0)
            await asyncio.sleep(0.5)
        return await drain(settings, t.SNAPSHOTS)

    snaps = asyncio.run(scenario())
    served = [s["post_id"] for s in snaps]
    assert len(served) <= quota
    assert important <= set(served)
    after = {k: sample("tracker_collect_deferred_total", platform="instagram", priority=k) - before[k]
             for k in before}
    assert after["heated"] == 0 and after["young"] == 0
    assert after["old"] > 0
    assert len(old & set(served)) < len(old)  # the old ones paid for the shortage
    assert sample("tracker_collector_quota_remaining", platform="instagram") >= 0


def test_plan_shows_what_is_tracked_and_what_the_quota_allows(kafka: str, tracker_topics: str, sim: Simulation,
                                                              url: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from tracker.cli.main import main

    sim.clock.set(sim.population.campaign_start + timedelta(days=15))
    settings = settings_for(kafka, tracker_topics, url)
    register(sim, settings, tmp_path)
    env = {"TRACKER_KAFKA_BOOTSTRAP": kafka, "TRACKER_TOPIC_PREFIX": tracker_topics,
           "TRACKER_COLLECT_SIMULATOR_URL": url, "TRACKER_COLLECT_LIMITS": '{"bilibili": {"daily_quota": 5}}'}
    result = CliRunner().invoke(main, ["collect", "--plan"], env=env)
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert "200 posts in the registry" in result.output
    for platform in ("youtube", "bilibili", "douyin", "wechat_channels"):
        assert platform in lines
    assert "over quota" in lines["bilibili"] and "defers" in lines["bilibili"]
    assert "fits" in lines["youtube"]
    # comment pages spend the same quota: their ceiling is told beside the counters' calls (5 pages per
    # visit, a visit every 6 h: 20 a day per tracked post), and when it is more than the quota leaves
    tracked = int(lines["youtube"].split()[2]) - int(lines["youtube"].split()[8])
    assert f"comments up to {tracked * 20:,}/day" in lines["youtube"], lines["youtube"]
    tight = CliRunner().invoke(main, ["collect", "--plan"],
                               env={**env, "TRACKER_COLLECT_LIMITS": '{"youtube": {"daily_quota": 100}}'})
    youtube = next(line for line in tight.output.splitlines() if line.startswith("youtube"))
    assert "fits; comments up to" in youtube and "the counters leave: comment visits wait" in youtube, youtube
    # Bilibili's replies take a call per thread beside the pages: up to REPLY_CALLS more a visit
    bilibili = next(line for line in tight.output.splitlines() if line.startswith("bilibili"))
    tracked = int(bilibili.split()[2]) - int(bilibili.split()[8])
    assert f"comments up to {tracked * (5 + REPLY_CALLS) * 4:,}/day" in bilibili, bilibili
    assert "next 10 refreshes" in result.output
