"""``tracker_collector_rate_limit_wait_seconds_total`` counts the wall seconds a platform's
collection was held back by rate limits, each second once however many requests wait in it:
its rate is a share of time (0–1), as the Grafana panel and TrackerRateLimitWaitHigh read it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from tests.integration.test_collect_faults import SimClock
from tracker.collect.config import DEFAULTS, PlatformConfig
from tracker.collect.http import Discipline, PlatformHttp
from tracker.collect.model import PostRef
from tracker.collect.platforms import adapter_for
from tracker.simulate import Simulation
from tracker.simulate.faults import spec_from_dict

pytestmark = pytest.mark.integration


def waited(platform: str) -> float:
    return REGISTRY.get_sample_value("tracker_collector_rate_limit_wait_seconds_total", {"platform": platform}) or 0.0


def held_share(sim: Simulation, cfg: PlatformConfig, requests: int) -> tuple[float, float]:
    """(rate-limit wait counted, wall seconds) while ``requests`` metric calls run at once."""
    sim.clock.set(sim.population.campaign_start + timedelta(days=20))
    post = next(p for p in sim.population.posts if p.platform == cfg.platform and sim.status(p) == "live")
    adapter = adapter_for(cfg)

    async def scenario() -> None:
        http = PlatformHttp(cfg, SimClock(sim), Discipline(max_attempts=4, max_pause=5.0))
        try:
            await asyncio.gather(*(adapter.fetch_metrics(http, [PostRef(post.id, post.tenant)])
                                   for _ in range(requests)))
        finally:
            await http.aclose()

    before, started = waited(cfg.platform), time.monotonic()
    asyncio.run(scenario())
    return waited(cfg.platform) - before, time.monotonic() - started


def test_requests_queued_at_the_rate_limiter_count_each_second_once(sim: Simulation, url: str) -> None:
    """Four slots wait for a 4/s limiter at once: about 3 s of waiting, not 4 × 3 s."""
    cfg = PlatformConfig("youtube", "youtube", f"{url}/youtube", rate_per_second=4.0, concurrency=4,
                         quota_zone=DEFAULTS["youtube"][3])
    counted, wall = held_share(sim, cfg, 16)
    assert 0 < counted <= wall


def test_a_retry_after_holding_every_slot_counts_once(sim: Simulation, url: str) -> None:
    """Four requests at once all answered 429 Retry-After: 1: the platform is held about a second,
    counted once (not a second per request)."""
    sim.faults.clear()
    sim.faults.add(spec_from_dict({"platform": "douyin", "kind": "rate_limit", "count": 4, "retry_after": 1}))
    cfg = replace(PlatformConfig("douyin", "douyin", f"{url}/douyin", concurrency=4), batch_size=1)
    try:
        counted, wall = held_share(sim, cfg, 4)
    finally:
        sim.faults.clear()
    assert 0.9 <= counted <= wall
