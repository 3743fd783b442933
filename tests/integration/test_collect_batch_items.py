"""One unreadable item of a batched answer costs its own post, never the batch: answers in the
platforms' recorded formats (PLATFORMS.md §2; the export body of ``platforms.export``) served by
a local HTTP server. YouTube asks 50 videos a call, an export 200 posts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from aiohttp import web

from tracker.collect.clock import WallClock
from tracker.collect.config import PlatformConfig
from tracker.collect.http import Discipline, PlatformHttp
from tracker.collect.model import Observation, PostRef
from tracker.collect.platforms import adapter_for

pytestmark = pytest.mark.integration

ONCE = Discipline(max_attempts=1)


def served(route: str, body: Any, cfg: Callable[[str], PlatformConfig],
           fetch: Callable[[PlatformHttp, PlatformConfig], Awaitable[list[Observation]]]) -> list[Observation]:
    """``fetch`` against a local server answering ``body`` (JSON) on ``route``."""
    async def go() -> list[Observation]:
        app = web.Application()

        async def answer(request: web.Request) -> web.Response:
            return web.Response(body=orjson.dumps(body), content_type="application/json")

        app.router.add_get(route, answer)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        config = cfg(f"http://127.0.0.1:{port}")
        http = PlatformHttp(config, WallClock(), ONCE)
        try:
            return await fetch(http, config)
        finally:
            await http.aclose()
            await runner.cleanup()

    return asyncio.run(go())


def youtube_item(vid: str, **stats: str) -> dict[str, Any]:
    return {"kind": "youtube#video", "etag": vid, "id": vid, "statistics": {"favoriteCount": "0", **stats}}


def test_a_youtube_video_without_a_readable_view_count_fails_alone() -> None:
    """Of three videos asked in one videos.list call, one answers statistics without viewCount and
    one a viewCount that is no count: those two fail (invalid: polled again), the third is measured;
    a hidden likeCount is null, never an error."""
    body = {"kind": "youtube#videoListResponse", "etag": "e", "pageInfo": {"totalResults": 3, "resultsPerPage": 3},
            "items": [youtube_item("dQw4w9WgXcQ", viewCount="1520", commentCount="12"),
                      youtube_item("9bZkp7q19f0", likeCount="3", commentCount="1"),
                      youtube_item("kJQP7kiw5Fk", viewCount="n/a", likeCount="9", commentCount="2")]}
    posts = [PostRef(f"youtube:{vid}", "acme") for vid in ("dQw4w9WgXcQ", "9bZkp7q19f0", "kJQP7kiw5Fk")]

    def cfg(base: str) -> PlatformConfig:
        return PlatformConfig("youtube", "youtube", f"{base}/youtube", timeout=2.0)

    measured, missing, unreadable = served("/youtube/v3/videos", body, cfg,
                                           lambda http, c: adapter_for(c).fetch_metrics(http, posts))
    assert measured.status == "ok"
    assert (measured.metrics["views"], measured.metrics["likes"], measured.metrics["comments"]) == (1520, None, 12)
    assert (missing.status, unreadable.status) == ("invalid", "invalid")
    assert "viewCount" in missing.problem and "viewCount" in unreadable.problem


def test_export_rows_of_posts_not_asked_and_total_lines_cost_nothing() -> None:
    """An export of a creator's whole Channels account holds a row of an untracked video whose
    counts are still being computed ("统计中") and a total line (合计) that names no post: the two
    posts asked are measured all the same."""
    body = {"platform": "wechat_channels", "as_of": "2025-09-20T12:00:00Z",
            "columns": ["post_id", "platform_post_id", "as_of", "views", "likes", "comments", "shares"],
            "rows": [
                {"post_id": "wechat_channels:sph1a", "platform_post_id": "sph1a", "views": 1200,
                 "likes": 80, "comments": 6, "shares": 3},
                {"post_id": "wechat_channels:sph9z", "platform_post_id": "sph9z", "views": "统计中",
                 "likes": None, "comments": None, "shares": None},
                {"platform_post_id": "sph2b", "views": "1.2万", "likes": 300, "comments": 20, "shares": 9},
                {"post_id": "合计", "views": 13200, "likes": 380, "comments": 26, "shares": 12}]}
    posts = [PostRef("wechat_channels:sph1a", "acme"), PostRef("wechat_channels:sph2b", "acme")]

    def cfg(base: str) -> PlatformConfig:
        return PlatformConfig("wechat_channels", "export", f"{base}/wechat_channels", timeout=2.0,
                              quota_zone="Asia/Shanghai", source="export")

    first, second = served("/wechat_channels/export", body, cfg,
                           lambda http, c: adapter_for(c).fetch_metrics(http, posts))
    assert (first.post_id, first.status, first.metrics["views"], first.metrics["likes"]) == \
        ("wechat_channels:sph1a", "ok", 1200, 80)
    assert (second.post_id, second.status, second.metrics["views"], second.rounded) == \
        ("wechat_channels:sph2b", "ok", 12000, ("views",))
