"""One post of a Weibo batch answered with a counter that is no count: the collector sends the
batch's other snapshots, counts that post as failed (reason ``invalid``) and polls it again,
without a snapshot for it; once the platform answers it properly it is collected too."""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta
from pathlib import Path

import pytest

from tests.integration.test_collect_service import drain, register, sample, settings_for, until
from tracker.broker import topics as t
from tracker.collect.scheduler import IN_FLIGHT
from tracker.collect.service import Collection
from tracker.simulate import Simulation
from tracker.simulate.platforms.base import edges

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return Simulation.build(seed=13, posts=150)


def test_a_post_with_an_unreadable_counter_fails_alone(kafka: str, tracker_topics: str, sim: Simulation,
                                                        url: str, tmp_path: Path) -> None:
    sim.clock.set(sim.population.campaign_start + timedelta(days=20))
    sim.clock.set_speed(0)
    live = [p for p in sim.population.posts if p.platform == "weibo" and sim.status(p) == "live"]
    assert len(live) >= 3
    bad = live[1]
    edges(sim).counter_forms[bad.platform_post_id] = {"attitudes": "bad"}
    settings = settings_for(kafka, tracker_topics, url, collect_comments=False)
    register(sim, settings, tmp_path, keep={p.id for p in live})
    invalid = sample("tracker_collect_refresh_failures_total", platform="weibo", reason="invalid")

    async def scenario() -> None:
        async with Collection(settings) as collection:
            collector, scheduler = collection.collector, collection.scheduler
            assert collector is not None
            await until(lambda: collector.refreshed >= len(live) - 1 and sample(
                "tracker_collect_refresh_failures_total", platform="weibo", reason="invalid") > invalid)
            slot = scheduler.index[bad.id.encode()]
            assert scheduler.last[slot] == 0.0, "the unreadable post was recorded as observed"
            due = scheduler.due[slot]
            assert not math.isnan(due) and due != IN_FLIGHT, "the unreadable post is no longer scheduled"
            edges(sim).counter_forms.clear()  # the platform answers it properly again
            sim.clock.advance(timedelta(minutes=10))
            await until(lambda: scheduler.last[slot] > 0.0)
            await asyncio.sleep(0.5)

    try:
        asyncio.run(scenario())
    finally:
        edges(sim).counter_forms.clear()
    snaps = asyncio.run(drain(settings, t.SNAPSHOTS))
    assert {s["post_id"] for s in snaps} == {p.id for p in live}
    first = {s["post_id"] for s in snaps if s["post_id"] != bad.id}
    assert first == {p.id for p in live if p is not bad}
