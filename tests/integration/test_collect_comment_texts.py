"""A comment whose text the platform answers as null (deleted or folded: Bilibili's ``content``
itself null, or its ``message``; the text fields of the others) is read as an empty text, like
one without the field. Bilibili's ``content: null`` used to fail the whole comment page (an
AttributeError, logged as "refresh failed unexpectedly"), so that video's comments were never
read again past it; elsewhere the null became the comment text "None". Answers in the platforms'
recorded formats (PLATFORMS.md) served by a local HTTP server."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from aiohttp import web

from tracker.collect.clock import WallClock
from tracker.collect.config import PlatformConfig
from tracker.collect.http import Discipline, PlatformHttp
from tracker.collect.model import CommentPage, PostRef
from tracker.collect.platforms import adapter_for

pytestmark = pytest.mark.integration

ONCE = Discipline(max_attempts=1)
ASKING = "求链接"


def bilibili_reply(rpid: int, content: Any) -> dict[str, Any]:
    return {"rpid": rpid, "rpid_str": str(rpid), "mid": 3000 + rpid, "root": 0, "parent": 0, "ctime": 1_740_800_000,
            "like": 2, "rcount": 0, "member": {"uname": "u"}, "content": content}


def douyin_comment(cid: str, content: str | None) -> dict[str, Any]:
    return {"comment_id": cid, "comment_user_id": "u1", "content": content, "digg_count": 0,
            "reply_comment_total": 0, "top": False, "create_time": 1_740_800_000}


ANSWERS: dict[str, tuple[str, str, str, Any]] = {  # platform -> (method, route, post id, body)
    "bilibili": ("GET", "/bilibili/x/v2/reply", "BV1xx411c7mD", {
        "code": 0, "message": "0", "ttl": 1, "data": {
            "page": {"num": 1, "size": 20, "count": 3, "acount": 3},
            "replies": [bilibili_reply(1, None), bilibili_reply(2, {"message": None}),
                        bilibili_reply(3, {"message": ASKING})]}}),
    "douyin": ("GET", "/douyin/item/comment/list/", "7301234567890123401", {
        "data": {"error_code": 0, "description": "", "cursor": 0, "has_more": False,
                 "list": [douyin_comment("c1", None), douyin_comment("c2", ASKING)]},
        "extra": {"error_code": 0, "description": "", "sub_error_code": 0, "sub_description": "", "logid": "l",
                  "now": 1_740_800_100}}),
    "weibo": ("GET", "/weibo/2/comments/show.json", "5120000000000001", {
        "comments": [{"id": 1, "idstr": "1", "created_at": "Sat Mar 01 10:00:00 +0800 2025", "text": text,
                      "user": {"idstr": "9"}} for text in (None, ASKING)],
        "total_number": 2, "previous_cursor": 0, "next_cursor": 0, "hasvisible": False}),
    "xiaohongshu": ("GET", "/xiaohongshu/api/sns/web/v2/comment/page", "64f0c0a1000000001f00a1b2", {
        "success": True, "code": 0, "msg": "成功", "data": {
            "cursor": "", "has_more": False,
            "comments": [{"id": f"c{i}", "content": text, "create_time": 1_740_800_000_000, "like_count": "0",
                          "sub_comment_count": "0", "user_info": {"user_id": "u", "nickname": "n"}}
                         for i, text in enumerate((None, ASKING))]}}),
    "instagram": ("GET", "/instagram/17900000000000001/comments", "17900000000000001", {
        "data": [{"id": f"1790{i}", "text": text, "timestamp": "2025-03-01T02:00:00+0000", "username": "u",
                  "like_count": 0} for i, text in enumerate((None, ASKING))],
        "paging": {"cursors": {"before": "a", "after": "b"}}}),
    "tiktok": ("POST", "/tiktok/v2/research/video/comment/list/", "7301234567890123401", {
        "data": {"cursor": 2, "has_more": False,
                 "comments": [{"id": 7001 + i, "video_id": 7301234567890123401, "text": text, "like_count": 0,
                               "reply_count": 0, "parent_comment_id": 7301234567890123401,
                               "create_time": 1_740_800_000} for i, text in enumerate((None, ASKING))]},
        "error": {"code": "ok", "message": "", "log_id": "l"}}),
}


def read_page(platform: str, body: Any = None) -> CommentPage:
    """The first comment page of ``platform``'s post, answered ``body`` (else its recorded answer)."""
    method, route, pid, recorded = ANSWERS[platform]
    body = recorded if body is None else body

    async def go() -> CommentPage:
        app = web.Application()

        async def answer(request: web.Request) -> web.Response:
            return web.Response(body=orjson.dumps(body), content_type="application/json")

        app.router.add_route(method, route, answer)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        config = PlatformConfig(platform, platform, f"http://127.0.0.1:{port}/{platform}", timeout=2.0)
        http = PlatformHttp(config, WallClock(), ONCE)
        try:
            return await adapter_for(config).fetch_comments(http, PostRef(f"{platform}:{pid}", "acme"), None,
                                                            {"aid": "170001"})
        finally:
            await http.aclose()
            await runner.cleanup()

    return asyncio.run(go())


@pytest.mark.parametrize("platform", sorted(ANSWERS))
def test_a_comment_without_text_is_read_as_an_empty_text(platform: str) -> None:
    page = read_page(platform)
    texts = [c.text for c in page.comments]
    assert texts[-1] == ASKING
    assert texts[:-1] == [""] * (len(texts) - 1), texts


def test_a_bilibili_reply_without_an_author_id_has_none() -> None:
    """``mid`` null is no author: its hash would have been that of the text "None", shared by all such."""
    body = ANSWERS["bilibili"][3]
    reply = {**bilibili_reply(4, {"message": ASKING}), "mid": None}
    (comment,) = read_page("bilibili", {**body, "data": {**body["data"], "replies": [reply]}}).comments
    assert comment.author_id is None
