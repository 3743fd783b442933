"""Answers that keep the documented shape but stretch it, served by the simulator over HTTP:
counters as digit strings or as texts that are no count, a "gone" code inside a batch, media
types that lack an insights metric, Douyin's video_status and envelope, Weibo's text cursor,
daily exports dated by day or in local time, and TikTok's two tokens. Each is read as what it
means, and one post's oddity never costs the other posts of its batch nor the platform."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from tests.integration.test_collect_edges import config, live, ref, run
from tracker.collect import errors as e
from tracker.collect.config import platform_configs
from tracker.collect.http import Discipline, PlatformHttp
from tracker.collect.model import CommentPage, PostRef
from tracker.collect.platforms import adapter_for
from tracker.settings import Settings
from tracker.simulate import Simulation
from tracker.simulate.platforms.base import Edges, edges

pytestmark = pytest.mark.integration

ONCE = Discipline(max_attempts=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def clean(sim: Simulation) -> Iterator[None]:
    sim.faults.clear()
    sim.clock.set(sim.population.campaign_start + timedelta(days=20, minutes=17))
    yield
    fresh = Edges()
    for name in vars(fresh):
        setattr(edges(sim), name, getattr(fresh, name))


# platform -> (counter key the platform writes, the metric it is)
COUNTER = {"bilibili": ("view", "views"), "weibo": ("attitudes", "likes"), "douyin": ("play_count", "views"),
           "kuaishou": ("view_count", "views"), "tiktok": ("view_count", "views")}


# -- 5. counters as digit strings; a bad one fails its post alone --------------------------------
@pytest.mark.parametrize("platform", sorted(COUNTER))
def test_a_counter_written_as_digits_is_that_count(sim: Simulation, url: str, platform: str) -> None:
    posts = live(sim, platform)[:3]
    key, metric = COUNTER[platform]
    edges(sim).counter_forms[posts[0].platform_post_id] = {key: "text"}
    cfg = config(url, platform)
    observations = run(cfg, lambda http: adapter_for(cfg).fetch_metrics(http, [ref(p) for p in posts]), sim, ONCE)
    truth = sim.counts(posts)
    assert [o.status for o in observations] == ["ok"] * 3
    assert [o.metrics[metric] for o in observations] == [c[metric] for c in truth]
    assert observations[0].rounded == ()  # a digit string is exact


@pytest.mark.parametrize("platform", ["weibo", "douyin", "tiktok"])
def test_a_counter_that_is_no_count_fails_its_post_alone(sim: Simulation, url: str, platform: str) -> None:
    """Weibo asks 100 posts at once: one post's unreadable counter must not cost the 99 others."""
    posts = live(sim, platform)[:3]
    key, metric = COUNTER[platform]
    edges(sim).counter_forms[posts[1].platform_post_id] = {key: "bad"}
    cfg = config(url, platform)
    good, bad, other = run(cfg, lambda http: adapter_for(cfg).fetch_metrics(http, [ref(p) for p in posts]), sim,
                           ONCE)
    truth = sim.counts(posts)
    assert bad.status == "invalid" and key in bad.problem and all(v is None for v in bad.metrics.values())
    assert (good.status, other.status) == ("ok", "ok")
    assert (good.metrics[metric], other.metrics[metric]) == (truth[0][metric], truth[2][metric])


# -- 6. a generic provider's "gone" code concerns one post -----------------------------------------
def test_a_gone_code_in_a_batch_marks_only_the_post_it_concerns(sim: Simulation, url: str) -> None:
    """The provider answers one code for the request: asked for three notes of which one is gone,
    the two others are asked alone and measured; only the gone one is unavailable."""
    notes = live(sim, "xiaohongshu")[:2]
    gone = PostRef("xiaohongshu:ffffffffffffffffffffffff", notes[0].tenant)
    spec = {"method": "POST", "path": "/api/sns/web/v1/feed", "body": {"source_note_id": "{ids}"}, "batch_size": 3,
            "items": "data.items.0.note_card", "item_id": "note_id", "error_path": "code", "ok_values": [0],
            "gone_values": [-510001], "metrics": {"likes": "interact_info.liked_count"}}
    cfg = config(url, "xiaohongshu", "generic", generic=spec)
    batch = [ref(notes[0]), gone, ref(notes[1])]
    first, lost, second = run(cfg, lambda http: adapter_for(cfg).fetch_metrics(http, batch), sim, ONCE)
    assert lost.status == "unavailable"
    assert first.status == "ok" and first.metrics["likes"] is not None
    assert second.status == "ok" and second.metrics["likes"] is not None


# -- 1. Instagram media types that lack a metric -------------------------------------------------
def test_a_story_is_measured_with_the_metrics_it_has(sim: Simulation, url: str) -> None:
    """A story has no likes, comments or saved insights: asking them is refused. It is asked
    again without them (views and shares measured, the rest null), later calls ask only what it
    has, and a media of another type is measured in full."""
    story, feed = [p for p in live(sim, "instagram") if sim.counts([p])[0]["views"] > 100][:2]
    edges(sim).instagram_product[story.platform_post_id] = "STORY"
    cfg = config(url, "instagram")

    async def scenario(http: PlatformHttp) -> tuple[list, list, str]:
        adapter = adapter_for(cfg)
        first = await adapter.fetch_metrics(http, [ref(story), ref(feed)])
        before = sim.faults.requests
        again = await adapter.fetch_metrics(http, [ref(story)])
        assert sim.faults.requests - before == 1, "the story's metrics are known: one call"
        return first, again, http.breaker.state

    (seen, full), (again,), state = run(cfg, scenario, sim, ONCE)
    truth = sim.counts([story, feed])
    assert seen.status == "ok" and seen.metrics["views"] == truth[0]["views"]
    assert seen.metrics["shares"] == truth[0]["shares"]
    assert seen.metrics["likes"] is None and seen.metrics["comments"] is None and seen.metrics["saves"] is None
    assert again.metrics == seen.metrics
    assert full.metrics["saves"] == truth[1]["saves"] and full.metrics["likes"] == truth[1]["likes"]
    assert state == "closed"


# -- 2, 3. Douyin video_status and envelope --------------------------------------------------------
def test_douyin_items_withheld_in_review_or_private_are_not_live(sim: Simulation, url: str) -> None:
    posts = live(sim, "douyin")[:5]
    for post, status in zip(posts, (2, 4, 7, 6, 1), strict=True):
        edges(sim).douyin_status[post.platform_post_id] = status
    cfg = config(url, "douyin")
    observations = run(cfg, lambda http: adapter_for(cfg).fetch_metrics(http, [ref(p) for p in posts]), sim, ONCE)
    assert [o.status for o in observations] == ["unavailable"] * 3 + ["ok"] * 2
    assert all(v is None for o in observations[:3] for v in o.metrics.values())
    assert observations[3].metrics["views"] == sim.counts([posts[3]])[0]["views"]  # friends only: still live


def test_a_douyin_body_without_extra_is_no_success(sim: Simulation, url: str) -> None:
    """OK is HTTP 200 with extra.error_code == 0 and data.error_code == 0 (PLATFORMS.md §6)."""
    edges(sim).douyin_no_extra = True
    post = live(sim, "douyin")[0]
    cfg = config(url, "douyin")
    with pytest.raises(e.InvalidResponse, match="extra.error_code"):
        run(cfg, lambda http: adapter_for(cfg).fetch_metrics(http, [ref(post)]), sim, ONCE)
    edges(sim).douyin_no_extra = False
    (obs,) = run(cfg, lambda http: adapter_for(cfg).fetch_metrics(http, [ref(post)]), sim, ONCE)
    assert obs.status == "ok"


# -- 4. Weibo's next_cursor as a text --------------------------------------------------------------
def test_weibo_paging_ends_at_a_text_zero_cursor(sim: Simulation, url: str) -> None:
    edges(sim).weibo_text_cursor = True
    now = sim.clock.timestamp()
    post = next(p for p in live(sim, "weibo") if 250 <= sim.comment_count(p, now) <= 2000)
    total = sim.comment_count(post, now)
    cfg = config(url, "weibo")

    async def scenario(http: PlatformHttp) -> tuple[int, set[str], str | None]:
        adapter = adapter_for(cfg)
        cursor: str | None = None
        ids: set[str] = set()
        for pages in range(1, total // 200 + 4):
            page: CommentPage = await adapter.fetch_comments(http, ref(post), cursor, {})
            ids |= {c.comment_id for c in page.comments}
            cursor = page.next_cursor
            if cursor is None:
                return pages, ids, cursor
        return pages, ids, cursor

    pages, ids, cursor = run(cfg, scenario, sim, ONCE)
    assert cursor is None, "paging stopped at next_cursor \"0\""
    assert len(ids) == total and pages == -(-total // 200)


# -- 7. exports dated by day or in local time -------------------------------------------------------
def export_cfg(url: str) -> Any:
    cfg = config(url, "wechat_channels")
    assert cfg.adapter == "export" and cfg.quota_zone == "Asia/Shanghai"
    return cfg


def test_a_daily_export_date_is_the_end_of_that_day_in_beijing(sim: Simulation, url: str) -> None:
    """Xingtu's 数据日期 2025-…-19 means the counts at the end of the 19th in Beijing, not 00:00 UTC."""
    edges(sim).export_as_of = "yesterday"
    post = live(sim, "wechat_channels")[0]
    cfg = export_cfg(url)
    (obs,) = run(cfg, lambda http: adapter_for(cfg).fetch_metrics(http, [ref(post)]), sim, ONCE)
    day = sim.clock.now().astimezone(SHANGHAI).date() - timedelta(days=1)
    end = datetime.combine(day, time(23, 59, 59), SHANGHAI).astimezone(UTC)
    assert obs.observed_at == end
    assert obs.metrics["views"] == sim.counts([post], end.timestamp())[0]["views"]


def test_todays_date_is_never_read_as_a_time_to_come(sim: Simulation, url: str) -> None:
    edges(sim).export_as_of = "date"
    post = live(sim, "wechat_channels")[0]
    cfg = export_cfg(url)
    (obs,) = run(cfg, lambda http: adapter_for(cfg).fetch_metrics(http, [ref(post)]), sim, ONCE)
    assert obs.observed_at == sim.clock.now()


def test_an_export_time_without_a_zone_is_read_in_the_platforms_zone(sim: Simulation, url: str) -> None:
    edges(sim).export_as_of = "local"
    posts = live(sim, "wechat_channels")[:3]
    cfg = export_cfg(url)
    observations = run(cfg, lambda http: adapter_for(cfg).fetch_metrics(http, [ref(p) for p in posts]), sim, ONCE)
    hour = sim.clock.now().replace(minute=0, second=0, microsecond=0)
    assert [o.observed_at for o in observations] == [hour] * 3
    assert [o.metrics["views"] for o in observations] == [c["views"] for c in sim.counts(posts, hour.timestamp())]


# -- 8. TikTok: a Display token and a Research token --------------------------------------------------
def tiktok(url: str, **tokens: str) -> Any:
    cfg = config(url, "tiktok")
    return type(cfg)(**{**vars(cfg), "secrets": {k: SecretStr(v) for k, v in tokens.items()}})


def test_tiktok_reads_metrics_and_comments_each_with_its_own_token(sim: Simulation, url: str) -> None:
    edges(sim).tiktok_tokens = True
    post = live(sim, "tiktok")[0]
    cfg = tiktok(url, access_token="act.user", research_token="clt.client")

    async def scenario(http: PlatformHttp) -> tuple[list, CommentPage]:
        adapter = adapter_for(cfg)
        return await adapter.fetch_metrics(http, [ref(post)]), await adapter.fetch_comments(http, ref(post), None, {})

    (obs,), page = run(cfg, scenario, sim, ONCE)
    assert obs.status == "ok" and obs.metrics["views"] == sim.counts([post])[0]["views"]
    assert page.comments or sim.comment_count(post, sim.clock.timestamp()) == 0


def test_a_refused_research_token_stops_comments_not_metrics(sim: Simulation, url: str) -> None:
    """With the user token alone, the Research API answers 401: comments fail (and say which
    setting to fix) while the breaker stays closed and every metric is still read."""
    edges(sim).tiktok_tokens = True
    posts = live(sim, "tiktok")[:2]
    cfg = tiktok(url, access_token="act.user")

    async def scenario(http: PlatformHttp) -> tuple[list, str]:
        adapter = adapter_for(cfg)
        for post in posts:
            with pytest.raises(e.Rejected) as refused:
                await adapter.fetch_comments(http, ref(post), None, {})
            assert not isinstance(refused.value, e.AuthFailed) and refused.value.outcome == "auth"
        return await adapter.fetch_metrics(http, [ref(p) for p in posts]), http.breaker.state

    observations, state = run(cfg, scenario, sim, ONCE)
    assert state == "closed"
    assert [o.metrics["views"] for o in observations] == [c["views"] for c in sim.counts(posts)]


def test_the_research_token_has_its_own_setting() -> None:
    settings = Settings(collect_simulator_url="http://127.0.0.1:1", tiktok_access_token=SecretStr("act.u"),
                        tiktok_research_token=SecretStr("clt.c"))
    cfg = platform_configs(settings)["tiktok"]
    assert (cfg.secret("access_token"), cfg.secret("research_token")) == ("act.u", "clt.c")
