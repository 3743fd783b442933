"""Platform answers at the edge of their formats, served by the simulator over HTTP: hidden
counters, too few viewers for insights, a field path that leads nowhere, hourly rate limits
without Retry-After, stale comment cursors, a pinned comment on top, a comment page that
fails halfway through a visit, and a breaker's probe refused for its own sake. None of them loses
a value, a comment or the platform."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.integration.test_collect_faults import SimClock
from tracker.collect import errors as e
from tracker.collect.comments import CommentState, read_new
from tracker.collect.config import DEFAULTS, PlatformConfig
from tracker.collect.http import Discipline, PlatformHttp
from tracker.collect.model import CommentPage, PostRef
from tracker.collect.platforms import adapter_for
from tracker.simulate import Simulation
from tracker.simulate.faults import spec_from_dict
from tracker.simulate.model import Post
from tracker.simulate.platforms.base import edges
from tracker.simulate.platforms.xiaohongshu import parse_display_count

if TYPE_CHECKING:
    from tracker.collect.comments import Reading

pytestmark = pytest.mark.integration

QUICK = Discipline(max_attempts=4, backoff_base=0.01, backoff_max=0.05, max_pause=5.0, breaker_failures=5,
                   breaker_cooldown=0.3, risk_backoff=0.5)


@pytest.fixture(autouse=True)
def clean(sim: Simulation) -> Iterator[None]:
    sim.faults.clear()
    sim.clock.set(sim.population.campaign_start + timedelta(days=20))
    yield
    sim.faults.clear()
    edges(sim).pinned.clear()
    edges(sim).hidden_counters.clear()


def config(url: str, platform: str, adapter: str | None = None, **options: Any) -> PlatformConfig:
    return PlatformConfig(platform, adapter or DEFAULTS[platform][0], f"{url}/{platform}", timeout=2.0,
                          daily_quota=None, quota_zone=DEFAULTS[platform][3], options=options)


def ref(post: Post) -> PostRef:
    return PostRef(post.id, post.tenant)


def run(cfg: PlatformConfig, scenario: Callable[[PlatformHttp], Awaitable[Any]],
        sim: Simulation, discipline: Discipline = QUICK) -> Any:
    async def go() -> Any:
        http = PlatformHttp(cfg, SimClock(sim), discipline)
        try:
            return await scenario(http)
        finally:
            await http.aclose()

    return asyncio.run(go())


def live(sim: Simulation, platform: str) -> list[Post]:
    return [p for p in sim.population.posts if p.platform == platform and sim.status(p) == "live"]


def injected(sim: Simulation, fault_id: str) -> int:
    return sum(1 for r in sim.faults.log if r.fault_id == fault_id)


# -- counters -------------------------------------------------------------------------------
def test_instagram_too_few_viewers_leaves_that_media_null_and_the_breaker_closed(sim: Simulation, url: str) -> None:
    """'(#10) Not enough viewers' is no credentials problem: that media's insights are null, the
    next media is read as usual and the platform's breaker stays closed."""
    posts = sorted((p for p in sim.population.posts if p.platform == "instagram"), key=lambda p: p.published_at)
    young = posts[-1]
    sim.clock.set(young.published_at + timedelta(seconds=10))
    old = next(p for p in posts if p is not young and sim.status(p) == "live")
    assert int(sim.counts([young])[0]["views"] * 0.62) < 5, "the simulator answers (#10) for it"
    cfg = config(url, "instagram")

    async def scenario(http: PlatformHttp) -> tuple[list, list, str]:
        first = await adapter_for(cfg).fetch_metrics(http, [ref(young), ref(old)])
        again = await adapter_for(cfg).fetch_metrics(http, [ref(old)])
        return first, again, http.breaker.state

    (few, seen), (again,), state = run(cfg, scenario, sim)
    assert few.status == "ok" and all(v is None for v in few.metrics.values())
    assert seen.metrics["views"] == sim.counts([old])[0]["views"]
    assert again.metrics["views"] == seen.metrics["views"]
    assert state == "closed"


def test_xiaohongshu_hidden_counter_is_null_alone(sim: Simulation, url: str) -> None:
    """A counter missing, null or "" in interact_info is null; the note's other counters are kept."""
    note = live(sim, "xiaohongshu")[0]
    edges(sim).hidden_counters[note.platform_post_id] = {"share_count": "null", "collected_count": "blank",
                                                         "comment_count": "absent"}
    cfg = config(url, "xiaohongshu")
    (obs,) = run(cfg, lambda http: adapter_for(cfg).fetch_metrics(http, [ref(note)]), sim)
    from tracker.simulate.platforms.xiaohongshu import display_count

    served = sim.counts([note])[0]
    assert obs.status == "ok"
    assert obs.metrics["likes"] == parse_display_count(display_count(served["likes"]))
    assert obs.metrics["shares"] is None and obs.metrics["saves"] is None and obs.metrics["comments"] is None


def test_generic_path_that_leads_nowhere_is_an_error_naming_it(sim: Simulation, url: str) -> None:
    note = live(sim, "xiaohongshu")[0]
    spec = {"method": "POST", "path": "/api/sns/web/v1/feed", "body": {"source_note_id": "{id}"}, "batch_size": 1,
            "items": "data.items.0.note_card", "item_id": "note_id", "error_path": "code", "ok_values": [0],
            "gone_values": [-510001],
            "metrics": {"likes": "interact_info.liked_count", "saves": "interact_info.collect_count"}}
    wrong = config(url, "xiaohongshu", "generic", generic=spec)
    with pytest.raises(e.InvalidResponse, match="interact_info.collect_count"):
        run(wrong, lambda http: adapter_for(wrong).fetch_metrics(http, [ref(note)]), sim, Discipline(max_attempts=1))
    right = config(url, "xiaohongshu", "generic",
                   generic={**spec, "metrics": {"likes": "interact_info.liked_count",
                                                "saves": "interact_info.collected_count"}})
    edges(sim).hidden_counters[note.platform_post_id] = {"liked_count": "null"}  # null: there, but no value
    (obs,) = run(right, lambda http: adapter_for(right).fetch_metrics(http, [ref(note)]), sim)
    assert obs.status == "ok" and obs.metrics["likes"] is None and obs.metrics["saves"] is not None


# -- hourly limits ----------------------------------------------------------------------------
@pytest.mark.parametrize(("platform", "kind", "code"), [
    ("bilibili", "rate_limit", -799), ("bilibili", "quota", None), ("weibo", "rate_limit", 10023),
    ("weibo", "rate_limit", 10022),
])
def test_an_hourly_limit_leaves_the_platform_alone_for_its_window(sim: Simulation, url: str, platform: str,
                                                                  kind: str, code: int | None) -> None:
    """Bilibili -799/-509 and Weibo 10022/10023 as the platforms send them (no Retry-After): one
    request, then nothing more is sent for the hour, then the platform is read again."""
    fault = {"platform": platform, "kind": kind, "start": "2000-01-01T00:00:00Z"}
    spec = sim.faults.add(spec_from_dict(fault if code is None else {**fault, "code": code}))
    post = live(sim, platform)[0]
    cfg = config(url, platform)
    moment = sim.clock.now()

    async def scenario(http: PlatformHttp) -> tuple[float | None, list]:
        adapter = adapter_for(cfg)
        for _ in range(3):
            with pytest.raises(e.QuotaExhausted):
                await adapter.fetch_metrics(http, [ref(post)])
        sim.clock.set(moment + timedelta(minutes=59))
        left = http.quota.remaining(sim.clock.timestamp())
        sim.faults.clear()
        sim.clock.set(moment + timedelta(minutes=61))
        return left, await adapter.fetch_metrics(http, [ref(post)])

    left, (obs,) = run(cfg, scenario, sim)
    assert injected(sim, spec.id) == 1, "not retried: one request, then the platform was left alone"
    assert left == 0, "still held 59 minutes later"
    assert obs.status == "ok" and obs.metrics["likes"] == sim.counts([post])[0]["likes"]


def test_bilibili_risk_control_is_one_request(sim: Simulation, url: str) -> None:
    spec = sim.faults.add(spec_from_dict({"platform": "bilibili", "kind": "risk_control",
                                          "start": "2000-01-01T00:00:00Z"}))  # -352 with a voucher
    post = live(sim, "bilibili")[0]
    cfg = config(url, "bilibili")

    async def scenario(http: PlatformHttp) -> float:
        for _ in range(3):
            with pytest.raises((e.RiskControl, e.CircuitOpen)):
                await adapter_for(cfg).fetch_metrics(http, [ref(post)])
        return http.wait_seconds()

    assert run(cfg, scenario, sim, Discipline(risk_backoff=60)) > 30
    assert injected(sim, spec.id) == 1


# -- comments ---------------------------------------------------------------------------------
def with_comments(sim: Simulation, platform: str, low: int, high: int) -> Post:
    """A live post with ``low`` to ``high`` top-level comments (a page entry each; replies ride with
    them), the clock moved on by whole days until one has."""
    start = sim.clock.now()
    for days in range(60):
        sim.clock.set(start + timedelta(days=days))
        now = sim.clock.timestamp()
        found = [p for p in live(sim, platform) if low <= len(sim.threads(p, now)) <= high]
        if found:
            return found[0]
    raise AssertionError(f"no {platform} post with {low} to {high} top-level comments")


def reader(cfg: PlatformConfig, post: Post, http: PlatformHttp,
           after: Callable[[str | None], None] = lambda cursor: None) -> Callable[[str | None], Awaitable[CommentPage]]:
    adapter = adapter_for(cfg)

    async def fetch(cursor: str | None) -> CommentPage:
        page = await adapter.fetch_comments(http, ref(post), cursor, {})
        after(cursor)
        return page

    return fetch


@pytest.mark.parametrize(("platform", "per_page", "stale"), [
    ("youtube", 100, "QURTSl9pMkV4cGlyZWQ"), ("instagram", 50, "QVFIUmRxYUV4cGlyZWQ"),
])
def test_a_stale_cursor_is_dropped_and_the_comments_read_from_the_top(sim: Simulation, url: str, platform: str,
                                                                      per_page: int, stale: str) -> None:
    """An earlier visit left a backfill cursor that the platform now refuses (YouTube 400
    invalidPageToken, Instagram code 100): the next visit reads from the top instead, once, and
    every comment is read; later visits no longer send the stale cursor."""
    post = with_comments(sim, platform, per_page + 1, 3 * per_page)
    total = sim.comment_count(post, sim.clock.timestamp())
    cfg = config(url, platform)
    state = CommentState()

    async def scenario(http: PlatformHttp) -> tuple[Reading, Reading, Reading, list[int]]:
        fetch = reader(cfg, post, http)
        first = await read_new(fetch, state, True, 1)
        assert state.resume is not None, "ran out of pages: a backfill cursor is kept"
        state.resume = stale  # the platform no longer knows it
        requests = [sim.faults.requests]
        second = await read_new(fetch, state, True, 5)
        requests.append(sim.faults.requests)
        third = await read_new(fetch, state, True, 5)
        requests.append(sim.faults.requests)
        return first, second, third, requests

    first, second, third, requests = run(cfg, scenario, sim)
    assert second.error is None and third.error is None
    assert len({c.comment_id for c in first.comments + second.comments}) == total
    assert state.resume is None and third.comments == []
    assert requests[2] - requests[1] == 1, "the stale cursor is not asked for again"


def test_a_pinned_old_comment_does_not_stop_reading_newer_pages(sim: Simulation, url: str) -> None:
    """Douyin pins a comment on top of the first page whatever its age (``top``): the newer
    comments on the next pages are read all the same."""
    cfg = config(url, "douyin")
    start = sim.clock.now()
    found = None
    for post in live(sim, "douyin"):
        for hours in (1, 3, 6, 12, 24, 48):
            before = sim.comment_count(post, start.timestamp())
            after = sim.comment_count(post, (start + timedelta(hours=hours)).timestamp())
            if before >= 5 and 60 <= after - before <= 400 and after <= 450:
                found = post, hours, before, after
                break
        if found:
            break
    assert found, "a Douyin post gaining more than a page of comments"
    post, hours, before, after = found
    edges(sim).pinned[post.platform_post_id] = 0  # its oldest comment
    state = CommentState()

    async def scenario(http: PlatformHttp) -> tuple[Reading, Reading]:
        fetch = reader(cfg, post, http)
        first = await read_new(fetch, state, True, 10)
        sim.clock.set(start + timedelta(hours=hours))
        return first, await read_new(fetch, state, True, 10)

    first, second = run(cfg, scenario, sim)
    assert len({c.comment_id for c in first.comments}) == before
    assert any(c.pinned for c in second.comments + first.comments)
    assert len({c.comment_id for c in second.comments}) == after - before, "every newer comment read"


def test_a_page_failing_after_a_resumed_backfill_keeps_what_was_read(sim: Simulation, url: str) -> None:
    """A visit finishes an earlier visit's backfill, then its next page fails: the backfilled
    comments come back with the error (the collector sends them) and the next visit goes on;
    over the visits every comment is read."""
    post = with_comments(sim, "youtube", 101, 200)
    total = sim.comment_count(post, sim.clock.timestamp())
    cfg = config(url, "youtube")
    state = CommentState()

    def fail_next(cursor: str | None) -> None:
        if cursor is not None:  # the backfill's page was served: the next request fails
            sim.faults.add(spec_from_dict({"platform": "youtube", "kind": "server_error", "count": 1}))

    async def scenario(http: PlatformHttp) -> list[Reading]:
        first = await read_new(reader(cfg, post, http), state, True, 1)
        second = await read_new(reader(cfg, post, http, fail_next), state, True, 5)
        third = await read_new(reader(cfg, post, http), state, True, 5)
        return [first, second, third]

    first, second, third = run(cfg, scenario, sim, Discipline(max_attempts=1))
    assert isinstance(second.error, e.ServerError)
    assert len(second.comments) == total - len(first.comments), "the backfilled page is kept"
    assert third.error is None
    assert len({c.comment_id for r in (first, second, third) for c in r.comments}) == total


# -- circuit breaker ------------------------------------------------------------------------------
def test_a_probe_refused_for_its_own_sake_closes_the_breaker(sim: Simulation, url: str) -> None:
    """The breaker opens on a 5xx; its probe, once the cooldown is over, is refused for its own sake
    (TikTok's invalid_params: 21 ids where 20 are allowed). The platform answered: the next request
    goes (it was refused as "circuit open" for good, every TikTok post left unread until a restart)."""
    sim.faults.add(spec_from_dict({"platform": "tiktok", "kind": "server_error", "count": 1}))
    post = live(sim, "tiktok")[0]
    cfg = config(url, "tiktok")
    once = Discipline(max_attempts=1, backoff_base=0.01, backoff_max=0.05, max_pause=5.0, breaker_failures=1,
                      breaker_cooldown=0.3, risk_backoff=0.5)

    async def scenario(http: PlatformHttp) -> list:
        adapter = adapter_for(cfg)
        with pytest.raises(e.ServerError):
            await adapter.fetch_metrics(http, [ref(post)])
        with pytest.raises(e.CircuitOpen):
            await adapter.fetch_metrics(http, [ref(post)])
        await asyncio.sleep(0.35)
        with pytest.raises(e.Rejected):
            await adapter.fetch_metrics(http, [ref(post)] * 21)
        return await adapter.fetch_metrics(http, [ref(post)])

    (obs,) = run(cfg, scenario, sim, once)
    assert obs.status == "ok" and obs.metrics["likes"] == sim.counts([post])[0]["likes"]
