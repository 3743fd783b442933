"""A simulated post decays, the real Alertmanager hears of it, heating the post ends it.

The post comes from the demo campaign (deploy/demo/campaign.yaml and the simulator it
was written from): its registry entry and heating nodes as `tracker posts import`
reads them, its counters from the simulator, polled at half past every hour. It is
chosen, not named: the first post (earliest first heating node) whose offline replay
(``tracker.analytics.replay``, the `tracker analyze` code path) fires ``PostDecaying``
before that node starts, whose node truly lifted it (simulator truth) and whose
snapshots show the lift. Then, for real:

1. its registry entry and its snapshots up to the node's start go to Kafka and a
   ``tracker worker`` subprocess (analytics on) produces the firing ``PostDecaying``
   to tracker.alerts.v1, for the pulse the replay named;
2. the notifier posts it to a real Alertmanager; ``amtool alert query`` finds it
   with the post's labels;
3. the heating node goes to tracker.heating.v1, then the snapshots of the heated
   day; the worker resolves the alert (the node opened a new pulse), the notifier
   posts ``endsAt`` (Alertmanager counts a resolved alert received) and amtool no
   longer lists the alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from aiokafka import AIOKafkaConsumer
from prometheus_client.parser import text_string_to_metric_families

from tests.fixtures.prometheus import AlertmanagerProcess, until
from tests.fixtures.worker import WorkerProcess, produce
from tracker.alerting import NotifierService
from tracker.analytics.metrics import ENGAGEMENT_METRICS
from tracker.analytics.replay import replay_post
from tracker.analytics.resample import Snapshot, to_hours
from tracker.broker import topics as t
from tracker.contracts import decode, encode
from tracker.registry.importer import parse
from tracker.registry.records import Options
from tracker.settings import Settings
from tracker.simulate import Simulation
from tracker.simulate.model import Post

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

DEMO = Path(__file__).resolve().parents[2] / "deploy" / "demo" / "campaign.yaml"
POLL_OFFSET_H = 0.5  # snapshots at half past each hour after publish
HEATED_H = 24  # snapshots sent after the node starts
LIFT = 2.0  # engagements gained in the heated day ≥ this × those of the day before
WAIT_S = 240.0


@dataclass(frozen=True)
class Scenario:
    """One simulated post, cut at its first heating node (times are event times, UTC)."""

    post: Post
    registry: dict[str, Any]
    """Its ``tracker.posts.v1`` message."""
    heating: dict[str, Any]
    """Its first heating node as a ``tracker.heating.v1`` message (executed)."""
    before: list[dict[str, Any]]
    """``tracker.snapshots.v1`` messages from publish to the node's start."""
    after: list[dict[str, Any]]
    """The messages of the ``HEATED_H`` hours from the node's start."""
    pulse: str
    """Pulse key of the ``PostDecaying`` the replay fired."""
    fired_at: datetime


def snapshot_message(sim: Simulation, post: Post, at: datetime) -> dict[str, Any]:
    """The simulator's counters of ``post`` at ``at`` (null where the post has no such metric)."""
    counts = sim.counts([post], at.timestamp())[0]
    return {"tenant": post.tenant, "post_id": post.id, "platform": post.platform, "observed_at": at,
            "source": "simulator", "metrics": counts}


def engagements(message: dict[str, Any]) -> int:
    return sum(message["metrics"][m] or 0 for m in ENGAGEMENT_METRICS)


def choose_scenario() -> Scenario:
    """The first demo post whose replay fires ``PostDecaying`` before its first heating node."""
    source = yaml.safe_load(DEMO.read_text(encoding="utf-8"))["source"]
    sim = Simulation.build(int(source["seed"]), int(source["posts"]), source["campaign_start"])
    registry = parse(DEMO, Options(version=int(time.time() * 1000)))
    entries = {m["post_id"]: m for m in registry.posts}
    first: dict[str, dict[str, Any]] = {}
    for node in sorted(registry.heating, key=lambda n: n["start"]):
        first.setdefault(node["post_id"], node)
    truth = {p.post_id: p for p in sim.truth(curves=False).posts}
    posts = {p.id: p for p in sim.population.posts}
    checked = fired = 0
    for post_id, node in sorted(first.items(), key=lambda kv: kv[1]["start"] - posts[kv[0]].published_at):
        post, start = posts[post_id], node["start"]
        pulse = next(p for p in truth[post_id].pulses if p.key == f"heating:{node['heating_id']}")
        if pulse.no_response or truth[post_id].taken_down_hour is not None:
            continue
        checked += 1
        polls = [post.published_at + timedelta(hours=k + POLL_OFFSET_H)
                 for k in range(math.ceil((start - post.published_at).total_seconds() / 3600) + HEATED_H)]
        before = [snapshot_message(sim, post, at) for at in polls if at < start]
        after = [snapshot_message(sim, post, at) for at in polls if start <= at < start + timedelta(hours=HEATED_H)]
        day_before = [m for m in before if m["observed_at"] >= start - timedelta(hours=HEATED_H)]
        if len(day_before) < HEATED_H or engagements(after[-1]) - engagements(before[-1]) < LIFT * (
                engagements(before[-1]) - engagements(day_before[0])):
            continue  # the snapshots must show the heated response
        entry = entries[post_id]
        report = replay_post(post_id, [Snapshot.from_mapping({"observed_at": m["observed_at"], **m["metrics"]})
                                       for m in before],
                             publish_hours=to_hours(entry["published_at"]),
                             tracking_end_hours=to_hours(entry["tracking_end"]))
        decaying = [a for a in report.alerts if a.type == "PostDecaying"]
        if not decaying:
            continue
        fired += 1
        if decaying[-1].state != "firing":
            continue  # resolved by a new organic pulse before the node
        return Scenario(post, entry, {**node, "status": "executed"}, before, after, decaying[-1].key,
                        datetime.fromtimestamp(decaying[-1].at * report.grid_hours * 3600, tz=UTC))
    pytest.fail(f"no demo post fires PostDecaying before its first heating node: {checked} posts with a "
                f"responding node and a visible lift replayed, {fired} fired but were resolved before the node. "
                f"Check the decay detector (tracker/analytics/alerts.py, pulses.py) with `tracker analyze`.")


class AlertLog:
    """Every message on tracker.alerts.v1, decoded, as the test reads along."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                         enable_auto_commit=False)
        self.messages: list[dict[str, Any]] = []
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> AlertLog:
        await self.consumer.start()
        self.task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        async for record in self.consumer:
            self.messages.append(decode(t.ALERTS, record.value))

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.consumer.stop()

    def find(self, test: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        return [m for m in self.messages if test(m)]

    async def wait(self, test: Callable[[dict[str, Any]], bool], what: str, worker: WorkerProcess) -> dict[str, Any]:
        async def found() -> dict[str, Any] | None:
            if not worker.alive():
                raise AssertionError("the worker exited; log:\n" + worker.log.read_text()[-4000:])
            hits = self.find(test)
            return hits[0] if hits else None
        result: dict[str, Any] = await until(found, what, WAIT_S)
        return result


async def received(am: AlertmanagerProcess, status: str) -> float:
    """Alertmanager's own count of alerts received with ``status`` (firing / resolved)."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{am.url}/metrics", timeout=10)).text
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == "alertmanager_alerts_received_total" and s.labels.get("status") == status)


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_simulated_post_decays_into_alertmanager_and_heating_resolves_it(
        kafka: str, tracker_topics: str, alertmanager: AlertmanagerProcess, tmp_path: Path) -> None:
    began = time.monotonic()
    sc = choose_scenario()
    post, node = sc.post, sc.heating
    print(f"\npost {post.id} ({post.tenant}/{post.campaign}): published {post.published_at:%Y-%m-%d %H:%M}, "
          f"PostDecaying (pulse {sc.pulse}) in the replay at {sc.fired_at:%Y-%m-%d %H:%M}, node {node['heating_id']} "
          f"from {node['start']:%Y-%m-%d %H:%M}; {len(sc.before)} + {len(sc.after)} snapshots; "
          f"chosen in {time.monotonic() - began:.1f} s")

    settings = Settings(_env_file=None, kafka_bootstrap=kafka, topic_prefix=tracker_topics,  # type: ignore[call-arg]
                        alertmanager_url=alertmanager.url, notify_resend_seconds=1.0)
    worker = WorkerProcess(kafka, tracker_topics, tmp_path / "worker", TRACKER_ANALYTICS_ENABLED="true").start()
    notifier = NotifierService(settings)
    log = await AlertLog(kafka, settings.topic(t.ALERTS)).start()
    key = post.id.encode()
    matchers = ("alertname=PostDecaying", f"post_id={post.id}")
    try:
        await notifier.start()
        started = time.monotonic()
        await produce(kafka, settings.topic(t.POSTS), [(key, encode(t.POSTS, sc.registry))])
        await asyncio.to_thread(worker.wait_caught_up, t.POSTS)  # the registry before any counter
        await produce(kafka, settings.topic(t.SNAPSHOTS), [(key, encode(t.SNAPSHOTS, m)) for m in sc.before])

        # 1. the worker fires PostDecaying for the pulse the offline replay named
        alert_id = f"{post.id}:PostDecaying:{sc.pulse}"
        firing = await log.wait(lambda m: m["alert_id"] == alert_id and m["state"] == "firing",
                                f"the firing {alert_id} on tracker.alerts.v1", worker)
        assert firing["starts_at"] == sc.fired_at
        assert (firing["tenant"], firing["campaign_id"]) == (post.tenant, post.campaign)
        # the summary names the pulse by its index (as the pulses table) and does not call a settled
        # pulse "decaying"
        assert firing["summary"].startswith(f"pulse {int(sc.pulse)} (") and "has run its course" in firing["summary"]
        assert firing["evidence"]["pulse"] == int(sc.pulse)  # the machine figures stay as decided
        assert firing["evidence"]["creator_id"] == sc.registry["creator_id"]
        fired_s = time.monotonic() - started

        # 2. the notifier delivers it to Alertmanager, where amtool finds it with the post's labels
        (alert,) = await until(lambda: asyncio.to_thread(alertmanager.query, *matchers), "the alert in amtool", WAIT_S)
        assert alert["labels"] == {"alertname": "PostDecaying", "tenant": post.tenant, "campaign": post.campaign,
                                   "platform": post.platform, "severity": "warning", "post_id": post.id}
        assert alert["annotations"]["alert_id"] == firing["alert_id"]
        notes = alert["annotations"]
        assert notes["summary"] == f"{post.id}: {firing['summary']}"
        assert notes["runbook_url"] == f"http://{settings.web_host}:{settings.web_port}/runbook#postdecaying"
        # instants in UTC, figures rounded: no grid steps, no scientific notation
        since = datetime.fromisoformat(firing["evidence"]["decaying_since_at"])
        assert f"decaying since {since:%Y-%m-%d %H:%M}Z" in notes["description"]
        assert "e+" not in notes["description"] and str(firing["evidence"]["decaying_since"]) not in notes["description"]
        assert alert["status"]["state"] == "active"
        assert ts(alert["startsAt"]) == sc.fired_at
        delivered_s = time.monotonic() - started

        # nothing resolves it while the post keeps decaying
        await asyncio.to_thread(worker.wait_caught_up, t.SNAPSHOTS)
        assert not log.find(lambda m: m["alert_id"] == firing["alert_id"] and m["state"] == "resolved")
        resolved_before = await received(alertmanager, "resolved")

        # 3. the post is heated: the node, then the snapshots of the heated day
        await produce(kafka, settings.topic(t.HEATING), [(key, encode(t.HEATING, node))])
        await asyncio.to_thread(worker.wait_caught_up, t.HEATING)
        heated = time.monotonic()
        await produce(kafka, settings.topic(t.SNAPSHOTS), [(key, encode(t.SNAPSHOTS, m)) for m in sc.after])
        resolved = await log.wait(lambda m: m["alert_id"] == firing["alert_id"] and m["state"] == "resolved",
                                  "the resolved PostDecaying on tracker.alerts.v1", worker)
        assert resolved["evidence"].get("reason") == "new pulse"
        assert node["start"] <= resolved["ends_at"] < node["start"] + timedelta(hours=HEATED_H)
        await until(lambda: _gone(alertmanager, matchers), "amtool to stop listing the alert", WAIT_S)
        assert await received(alertmanager, "resolved") > resolved_before  # the notifier posted endsAt
        resolved_s = time.monotonic() - heated

        # the pulse that ended the decay is the heating node's (not an organic rise), starting at
        # the node; no new decay fired for the post
        await asyncio.to_thread(worker.wait_caught_up, t.SNAPSHOTS)
        onset = node["start"].replace(minute=0, second=0, microsecond=0)
        await asyncio.to_thread(
            worker.wait_for, f"SELECT (trigger, heating_ids, toUnixTimestamp(onset)) FROM pulses FINAL "
                             f"WHERE post_id = '{post.id}' AND pulse_index = {int(sc.pulse) + 1}",
            ("heating", [node["heating_id"]], int(onset.timestamp())))
        later = log.find(lambda m: m["alert"] == "PostDecaying" and m["post_id"] == post.id
                         and m["state"] == "firing" and m["alert_id"] != firing["alert_id"])
        assert later == [], later
        assert await asyncio.to_thread(alertmanager.query, *matchers) == []
        print(f"firing on tracker.alerts.v1 {fired_s:.1f} s after the registry, in amtool at {delivered_s:.1f} s; "
              f"resolved and gone from amtool {resolved_s:.1f} s after the heating node")
    finally:
        await notifier.stop()
        await log.stop()
        worker.stop()


async def _gone(am: AlertmanagerProcess, matchers: tuple[str, ...]) -> bool:
    return await asyncio.to_thread(am.query, *matchers) == []
