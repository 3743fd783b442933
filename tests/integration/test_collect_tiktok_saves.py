"""TikTok saves from the Research API, served by the simulator over HTTP: with a Research token
the saves of the videos a Display call measured are the Research video query's favorites_count,
one query per window of ≤30 days of publish dates and ≤100 ids; without the token, for a video
the Research API does not return, and whatever the Research API answers instead of data (a
refused token, a spent quota, a rate limit, a 5xx) the saves are null, never 0, and the Display
counts go out as ever: the platform's breaker, pauses and quota stay untouched."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY
from pydantic import SecretStr

import tracker.simulate.population
from tests.integration.test_collect_edges import QUICK, config, injected, live, ref, run
from tracker.collect import errors as e
from tracker.collect.http import PlatformHttp
from tracker.collect.platforms import adapter_for
from tracker.collect.platforms.tiktok import ResearchFailed
from tracker.simulate import ServerThread, Simulation
from tracker.simulate.faults import spec_from_dict
from tracker.simulate.model import Post
from tracker.simulate.platforms.base import Edges, edges

pytestmark = pytest.mark.integration

RESEARCH = "/research/video/query/"
TOKENS = {"access_token": "act.user", "research_token": "clt.client"}


@pytest.fixture(autouse=True)
def clean(sim: Simulation) -> Iterator[None]:
    sim.faults.clear()
    sim.clock.set(sim.population.campaign_start + timedelta(days=20, minutes=17))
    edges(sim).tiktok_tokens = True  # each API takes its own token only
    yield
    sim.faults.clear()
    fresh = Edges()
    for name in vars(fresh):
        setattr(edges(sim), name, getattr(fresh, name))


def tiktok(url: str, **tokens: str) -> Any:
    cfg = config(url, "tiktok")
    return type(cfg)(**{**vars(cfg), "secrets": {k: SecretStr(v) for k, v in tokens.items()}})


def measure(sim: Simulation, url: str, posts: list[Post], times: int = 1, **tokens: str) -> tuple[list, int, Any]:
    """``times`` Display calls for ``posts`` by one adapter: (the observations of each call,
    requests the simulator served, the PlatformHttp left after them)."""
    cfg = tiktok(url, **tokens)
    before = sim.faults.requests

    async def scenario(http: PlatformHttp) -> tuple[list, PlatformHttp]:
        adapter = adapter_for(cfg)
        return [await adapter.fetch_metrics(http, [ref(p) for p in posts]) for _ in range(times)], http

    seen, http = run(cfg, scenario, sim, QUICK)
    return seen, sim.faults.requests - before, http


def requests(outcome: str) -> float:
    return REGISTRY.get_sample_value("tracker_collector_requests_total",
                                     {"platform": "tiktok", "outcome": outcome}) or 0.0


def test_saves_are_the_research_apis_favorites_when_its_token_is_set(sim: Simulation, url: str) -> None:
    posts = live(sim, "tiktok")[:20]
    (observations,), served, _ = measure(sim, url, posts, **TOKENS)
    truth = sim.counts(posts)
    assert [o.metrics["saves"] for o in observations] == [c["saves"] for c in truth]
    assert all(c["saves"] is not None for c in truth)
    assert [o.metrics["views"] for o in observations] == [c["views"] for c in truth]
    assert served == 2, "one Display call and one Research query for the batch, never one per post"


def test_without_a_research_token_saves_stay_null_and_research_is_not_asked(sim: Simulation, url: str) -> None:
    posts = live(sim, "tiktok")[:5]
    (observations,), served, _ = measure(sim, url, posts, access_token="act.user")
    assert [o.metrics["saves"] for o in observations] == [None] * 5
    assert [o.metrics["views"] for o in observations] == [c["views"] for c in sim.counts(posts)]
    assert served == 1


def test_a_video_the_research_api_does_not_return_keeps_saves_null(sim: Simulation, url: str) -> None:
    posts = live(sim, "tiktok")[:3]
    edges(sim).tiktok_unindexed.add(posts[1].platform_post_id)
    (observations,), _, _ = measure(sim, url, posts, **TOKENS)
    truth = sim.counts(posts)
    assert [o.metrics["saves"] for o in observations] == [truth[0]["saves"], None, truth[2]["saves"]]
    assert observations[1].status == "ok" and observations[1].metrics["views"] == truth[1]["views"]


@pytest.mark.parametrize(("kind", "held"), [("quota", True), ("expired_token", True), ("rate_limit", True),
                                            ("server_error", False), ("slow", False)])
def test_a_research_failure_costs_the_saves_alone(sim: Simulation, url: str, kind: str, held: bool) -> None:
    """The Research API answers 429 quota (Retry-After to 00:00 UTC), 401, 429 or 500 once, or
    times out: that batch's saves are null, its Display counts are delivered, nothing is retried,
    and the platform is neither paused, nor tripped, nor out of quota (a timed-out query counted
    against the breaker, and two of them stopped every TikTok metric). A refused token, a spent
    quota and a Retry-After hold the Research API (the next batch does not ask it); a 5xx and a
    timeout do not."""
    posts = live(sim, "tiktok")[:4]
    spec = sim.faults.add(spec_from_dict({"platform": "tiktok", "kind": kind, "count": 1, "path": RESEARCH,
                                          "retry_after": 600, "delay": 3.0}))  # slow: past the 2 s timeout
    timeouts = requests("timeout")
    (first, second), served, http = measure(sim, url, posts, times=2, **TOKENS)
    truth = sim.counts(posts)
    if kind == "slow":  # the client gave up before the server logged the fault
        assert requests("timeout") - timeouts == 1, "the timed-out Research query was not retried"
    else:
        assert injected(sim, spec.id) == 1, "the failed Research query was not retried"
    assert [o.metrics["saves"] for o in first] == [None] * 4
    assert [(o.status, o.metrics["views"], o.metrics["likes"]) for o in first] == \
        [("ok", c["views"], c["likes"]) for c in truth]
    assert http.breaker.state == "closed" and http.breaker.failures == 0
    assert http.quota.remaining(sim.clock.timestamp()) is None and http.wait_seconds() == 0
    assert [o.metrics["views"] for o in second] == [c["views"] for c in truth]
    if held:
        assert served == 3 and [o.metrics["saves"] for o in second] == [None] * 4
    else:
        assert served == 4 and [o.metrics["saves"] for o in second] == [c["saves"] for c in truth]


def test_a_refused_research_token_is_counted_and_holds_comments_and_saves(sim: Simulation, url: str) -> None:
    """A user token where the Research client token belongs: one 401 (counted as ``auth``), saves
    null; comments then fail without a request, as ``auth``; metrics go on."""
    post = live(sim, "tiktok")[0]
    cfg = tiktok(url, access_token="act.user", research_token="act.user")
    auth = requests("auth")

    async def scenario(http: PlatformHttp) -> tuple[list, ResearchFailed, int]:
        adapter = adapter_for(cfg)
        observations = await adapter.fetch_metrics(http, [ref(post)])
        before = sim.faults.requests
        with pytest.raises(ResearchFailed) as refused:
            await adapter.fetch_comments(http, ref(post), None, {})
        return observations, refused.value, sim.faults.requests - before

    (obs,), refused, sent = run(cfg, scenario, sim, QUICK)
    assert obs.metrics["saves"] is None and obs.metrics["views"] == sim.counts([post])[0]["views"]
    assert requests("auth") - auth == 1
    assert refused.outcome == "auth" and not isinstance(refused, e.AuthFailed) and sent == 0


def test_a_spent_research_quota_is_no_platform_quota_for_comments_either(sim: Simulation, url: str) -> None:
    """A comment page answered 429 quota holds the Research API, not the Display API: the next
    metrics call is made (without a Research query) and comments wait."""
    post = live(sim, "tiktok")[0]
    sim.faults.add(spec_from_dict({"platform": "tiktok", "kind": "quota", "count": 1, "path": "comment"}))
    cfg = tiktok(url, **TOKENS)

    async def scenario(http: PlatformHttp) -> tuple[str, list, int, float | None]:
        adapter = adapter_for(cfg)
        with pytest.raises(ResearchFailed) as spent:
            await adapter.fetch_comments(http, ref(post), None, {})
        before = sim.faults.requests
        observations = await adapter.fetch_metrics(http, [ref(post)])
        with pytest.raises(ResearchFailed):
            await adapter.fetch_comments(http, ref(post), None, {})
        return spent.value.outcome, observations, sim.faults.requests - before, \
            http.quota.remaining(sim.clock.timestamp())

    outcome, (obs,), sent, left = run(cfg, scenario, sim, QUICK)
    assert outcome == "throttled"
    assert obs.metrics["views"] == sim.counts([post])[0]["views"] and obs.metrics["saves"] is None
    assert sent == 1, "the Display call alone"
    assert left is None, "the platform's quota is not spent"


# -- windows of publish dates and ids ---------------------------------------------------------------
@pytest.fixture(scope="module")
def spread() -> Iterator[tuple[Simulation, str]]:
    """A simulator whose posts go live over 90 days instead of 21, served over HTTP."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tracker.simulate.population, "PUBLISH_DAYS", 90)
        sim = Simulation.build(seed=7, posts=200)
    sim.clock.set(sim.population.campaign_start + timedelta(days=95))
    edges(sim).tiktok_tokens = True
    with ServerThread(sim) as base:
        yield sim, base


def test_posts_published_more_than_30_days_apart_are_asked_in_separate_windows(
        spread: tuple[Simulation, str]) -> None:
    sim, url = spread
    posts = sorted(live(sim, "tiktok"), key=lambda p: p.published_at)[:20]
    days = {p.published_at.date() for p in posts}
    assert (max(days) - min(days)).days > 60
    (observations,), served, _ = measure(sim, url, posts, **TOKENS)
    truth = sim.counts(posts)
    assert [o.metrics["saves"] for o in observations] == [c["saves"] for c in truth]
    assert served == 1 + 3, "a Display call and three Research windows of ≤30 days (the simulator refuses wider)"


@pytest.fixture(scope="module")
def crowd() -> Iterator[tuple[Simulation, str]]:
    """A simulator with more than 100 TikTok videos published within 30 days, served over HTTP."""
    sim = Simulation.build(seed=7, posts=1000)
    sim.clock.set(sim.population.campaign_start + timedelta(days=25))
    edges(sim).tiktok_tokens = True
    with ServerThread(sim) as base:
        yield sim, base


def test_more_than_100_videos_are_asked_100_at_a_time(crowd: tuple[Simulation, str]) -> None:
    sim, url = crowd
    posts = live(sim, "tiktok")
    assert len(posts) > 100 and (max(p.published_at for p in posts) - min(p.published_at for p in posts)).days < 30
    cfg = tiktok(url, **TOKENS)
    before = sim.faults.requests
    found = run(cfg, lambda http: adapter_for(cfg).saves(http, {p.platform_post_id: p.published_at.date()
                                                                 for p in posts}), sim, QUICK)
    assert sim.faults.requests - before == 2
    assert {vid: saves for vid, (saves, _) in found.items()} == \
        {p.platform_post_id: c["saves"] for p, c in zip(posts, sim.counts(posts), strict=True)}
