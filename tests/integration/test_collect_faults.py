"""Every fault the simulator can inject, on every platform, survived as configured and visible
in the metrics: transient ones are retried to the right answer, quota answers stop the platform
until its reset, risk control and rejected credentials open the breaker until it cools down (on
an owner-only API rejected credentials hold that account alone)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from tracker.collect import errors as e
from tracker.collect.config import DEFAULTS, PlatformConfig
from tracker.collect.http import Discipline, PlatformHttp
from tracker.collect.model import PostRef
from tracker.collect.platforms import adapter_for
from tracker.simulate import Simulation
from tracker.simulate.control import supported_kinds
from tracker.simulate.faults import spec_from_dict

pytestmark = pytest.mark.integration

PLATFORMS = [p for p in DEFAULTS if p != "generic"]
CASES = [(p, k) for p in PLATFORMS for k in sorted(supported_kinds(p))]
OUTCOME = {"rate_limit": "throttled", "server_error": "server_error", "slow": "timeout", "truncated": "invalid",
           "html": "server_error", "expired_token": "auth", "risk_control": "risk_control", "quota": "throttled"}
COUNT = {"rate_limit": 2, "server_error": 2, "slow": 1, "truncated": 2, "html": 2, "expired_token": 1,
         "risk_control": 1, "quota": 1}
# The simulator reads a POST body only after a slow fault's delay: a client that timed out by then
# leaves no record. On those endpoints a slow answer is waited for (and shows in the durations).
POSTED = {"douyin", "tiktok", "xiaohongshu"}
DISCIPLINE = Discipline(max_attempts=4, backoff_base=0.01, backoff_max=0.05, max_pause=5.0, breaker_failures=5,
                        breaker_cooldown=0.3, risk_backoff=0.5)


class SimClock:
    """The simulator's clock read in process (event time of the platform)."""

    label = "simulator"

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim

    def now(self) -> float:
        return self.sim.clock.timestamp()

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def requests(platform: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("tracker_collector_requests_total",
                                     {"platform": platform, "outcome": outcome}) or 0.0


@pytest.mark.parametrize(("platform", "kind"), CASES, ids=[f"{p}-{k}" for p, k in CASES])
def test_fault_survived_and_counted(sim: Simulation, url: str, platform: str, kind: str) -> None:
    t0 = sim.population.campaign_start + timedelta(days=20, hours=1)
    sim.clock.set(t0)
    sim.faults.clear()
    spec = sim.faults.add(spec_from_dict({"platform": platform, "kind": kind, "count": COUNT[kind],
                                          "retry_after": 1, "delay": 1.0}))
    waits = kind == "slow" and platform in POSTED
    cfg = PlatformConfig(platform, DEFAULTS[platform][0], f"{url}/{platform}", timeout=3.0 if waits else 0.5,
                         concurrency=2,
                         daily_quota=None, quota_zone=DEFAULTS[platform][3])
    adapter = adapter_for(cfg)
    live = [p for p in sim.population.posts if p.platform == platform and sim.status(p) == "live"][:3]
    refs = [PostRef(p.id, p.tenant) for p in live]
    outcome = "ok" if waits else OUTCOME[kind]
    before = requests(platform, outcome)
    waited = REGISTRY.get_sample_value("tracker_collector_request_duration_seconds_sum", {"platform": platform}) or 0
    logged = len(sim.faults.log)

    async def scenario() -> list:
        http = PlatformHttp(cfg, SimClock(sim), DISCIPLINE)
        try:
            try:
                return await adapter.fetch_metrics(http, refs)
            except e.QuotaExhausted:
                assert kind == "quota"
                with pytest.raises(e.QuotaExhausted):  # blocked: nothing is sent until the reset
                    await adapter.fetch_metrics(http, refs)
                sim.clock.set(t0 + timedelta(hours=25))
            except e.RiskControl:
                assert kind == "risk_control"
                assert http.breaker.state == "open" and http.wait_seconds() > 0
                await asyncio.sleep(http.wait_seconds() + 0.05)
            except e.AuthFailed:
                assert kind == "expired_token"
                if adapter.owner_only:  # that account alone is held: the platform's other accounts go on
                    assert http.breaker.state == "closed" and http.account_wait(adapter.shared) > 0
                    await asyncio.sleep(http.account_wait(adapter.shared) + 0.05)
                else:
                    assert http.breaker.state == "open"
                    await asyncio.sleep(http.wait_seconds() + 0.05)
            return await adapter.fetch_metrics(http, refs)
        finally:
            await http.aclose()

    started = time.monotonic()
    observations = asyncio.run(scenario())
    if kind == "slow":
        time.sleep(1.2)  # the simulator records a slow answer once it is sent, after we gave up on it
    injected = [r for r in sim.faults.log[logged:] if r.fault_id == spec.id]
    assert len(injected) == COUNT[kind], "the fault fired as configured"
    if waits:
        assert (REGISTRY.get_sample_value("tracker_collector_request_duration_seconds_sum", {"platform": platform})
                or 0) - waited >= 1.0, "the slow answer shows in the request durations"
    else:
        assert requests(platform, outcome) - before == len(injected), "each injected fault is counted"
    served = dict(zip([p.id for p in live], sim.counts(live), strict=True))
    assert observations, "the platform answered in the end"
    for obs in observations:
        for metric, value in obs.metrics.items():
            if value is not None and metric not in obs.rounded and platform != "wechat_channels":
                assert value == served[obs.post_id][metric]
    assert time.monotonic() - started < 60


def test_risk_control_is_reported_not_evaded(sim: Simulation, url: str) -> None:
    """Bilibili -412 (HTTP 412) and Xiaohongshu's captcha (HTTP 461): one request each, then silence."""
    sim.clock.set(sim.population.campaign_start + timedelta(days=20))
    for platform, code in (("bilibili", -412), ("xiaohongshu", 461)):
        sim.faults.clear()
        spec = sim.faults.add(spec_from_dict({"platform": platform, "kind": "risk_control", "code": code,
                                              "start": "2000-01-01T00:00:00Z"}))  # every request from now on
        cfg = PlatformConfig(platform, platform, f"{url}/{platform}", timeout=2)
        post = next(p for p in sim.population.posts if p.platform == platform and sim.status(p) == "live")
        before = REGISTRY.get_sample_value("tracker_collect_risk_control_total", {"platform": platform}) or 0.0

        async def scenario(cfg: PlatformConfig = cfg, post=post) -> None:  # noqa: ANN001
            http = PlatformHttp(cfg, SimClock(sim), Discipline(risk_backoff=60))
            try:
                for _ in range(3):
                    with pytest.raises((e.RiskControl, e.CircuitOpen)):
                        await adapter_for(cfg).fetch_metrics(http, [PostRef(post.id, post.tenant)])
            finally:
                await http.aclose()

        asyncio.run(scenario())
        sent = [r for r in sim.faults.log if r.fault_id == spec.id]
        assert len(sent) == 1, "after a risk-control answer the platform is left alone"
        assert (REGISTRY.get_sample_value("tracker_collect_risk_control_total", {"platform": platform}) or 0) \
            - before == 1
    sim.faults.clear()


def test_instagram_usage_near_its_budget_holds_requests_before_throttling(sim: Simulation, url: str) -> None:
    """Instagram reports how much of its rate budget the app has spent on every answer; the
    collector holds its requests from 90 % on, so a steady stream of calls is never throttled
    (ignoring the headers, the 11th call of a 10-call budget is)."""
    sim.clock.set(sim.population.campaign_start + timedelta(days=20))
    sim.faults.clear()
    sim.instagram_calls_per_hour, sim.instagram_usage_window = 10, 3.0
    cfg = PlatformConfig("instagram", DEFAULTS["instagram"][0], f"{url}/instagram", timeout=2, concurrency=1,
                         daily_quota=None, quota_zone=DEFAULTS["instagram"][3])
    adapter = adapter_for(cfg)
    post = next(p for p in sim.population.posts if p.platform == "instagram" and sim.status(p) == "live")
    throttled = requests("instagram", "throttled")
    held = REGISTRY.get_sample_value("tracker_collect_backoff_seconds_total",
                                     {"platform": "instagram", "reason": "usage"}) or 0.0

    async def scenario() -> tuple[list, list[float]]:
        http = PlatformHttp(cfg, SimClock(sim), replace(DISCIPLINE, max_pause=3.0))
        seen, holds = [], []
        try:
            for _ in range(25):
                seen += await adapter.fetch_metrics(http, [PostRef(post.id, post.tenant)])
                holds.append(http.wait_seconds())
        finally:
            await http.aclose()
        return seen, holds

    try:
        observations, holds = asyncio.run(scenario())
    finally:
        sim.instagram_calls_per_hour, sim.instagram_usage_window = None, 3600.0
    assert len(observations) == 25 and all(o.metrics["views"] is not None for o in observations)
    assert requests("instagram", "throttled") == throttled, "no call went past the budget"
    assert holds[8] > 0 and all(h == 0 for h in holds[:8]), "held from the 9th answer (90 %) on, not before"
    assert (REGISTRY.get_sample_value("tracker_collect_backoff_seconds_total",
                                      {"platform": "instagram", "reason": "usage"}) or 0.0) > held
    assert REGISTRY.get_sample_value("tracker_collector_platform_usage_ratio", {"platform": "instagram"}) is not None
