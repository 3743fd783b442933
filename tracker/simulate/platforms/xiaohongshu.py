"""Xiaohongshu under ``/xiaohongshu/api/sns/web`` (PLATFORMS.md §7): the shape a licensed
provider or export relays. Envelope ``{"success","code","msg","data"}``, HTTP 200.

- ``POST /xiaohongshu/api/sns/web/v1/feed`` body ``{source_note_id, xsec_source,
  xsec_token}`` → ``data.items[0].note_card.interact_info={liked_count, collected_count,
  comment_count, share_count}``, all **strings**, rounded by ``display_count``; a counter
  hidden by ``edges(sim).hidden_counters`` is null, "" or left out [sim]. No view or
  search count (exports only). Unknown, unpublished or taken down → code -510001.
- ``GET /xiaohongshu/api/sns/web/v2/comment/page?note_id&cursor&xsec_token``: 10 per page,
  newest first, ``data.{comments,cursor,has_more}``; ``like_count`` is a string too.
- Faults: risk control → code 300012 (HTTP 200), or with ``code=461`` HTTP 461 with
  ``Verifytype``/``Verifyuuid`` headers; expired login → -100; rate limit → HTTP 429 +
  Retry-After, code 300013; 5xx → code -1 [sim].
"""

from __future__ import annotations

import uuid

from aiohttp import web

from tracker.simulate.faults import FaultSpec
from tracker.simulate.model import Post
from tracker.simulate.platforms.base import (
    edges,
    json_body,
    json_response,
    newest_first,
    retry_headers,
)
from tracker.simulate.simulation import Simulation

NAME = "xiaohongshu"
KINDS = frozenset({"rate_limit", "server_error", "expired_token", "risk_control"})
PAGE = 10
_MESSAGES = {0: "成功", -510001: "笔记状态异常，请稍后查看", 300012: "当前IP存在风险，请切换可靠网络环境后重试",
             -100: "登录已过期", 300013: "访问频次异常，请勿频繁操作或重启试试", -1: "服务器繁忙", 461: "",
             -1003: "参数错误"}


def display_count(n: int) -> str:
    """Xiaohongshu's counter text: exact below 10,000, else floored to 0.1 万 ("1.2万", "10万")."""
    if n < 10_000:
        return str(n)
    tenths = n // 1_000
    return f"{tenths // 10}万" if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}万"


def parse_display_count(text: str) -> int:
    """The lower bound of a counter text from ``display_count`` (for tests and adapters)."""
    return int(round(float(text[:-1]) * 10_000)) if text.endswith("万") else int(text)


def envelope(code: int, data: object = None, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """The Xiaohongshu envelope."""
    return json_response({"code": code, "success": code == 0, "msg": _MESSAGES.get(code, ""),
                          "data": {} if data is None else data}, status, headers)


def fault_response(spec: FaultSpec, sim: Simulation, path: str) -> web.Response:
    """The error this platform answers for a fault."""
    if spec.kind == "risk_control":
        if spec.code == 461:
            return envelope(461, status=461, headers={"Verifytype": "102", "Verifyuuid": str(uuid.uuid4())})
        return envelope(300012)
    if spec.kind == "expired_token":
        return envelope(-100)
    if spec.kind == "rate_limit":
        return envelope(300013, status=spec.http_status or 429, headers=retry_headers(spec))
    return envelope(-1, status=spec.http_status or 503)


def comment_id(post: Post, index: int) -> str:
    """24-hex comment ids: the note id's first 16 hex digits + the comment index."""
    return f"{post.platform_post_id[:16]}{index:08x}"


def routes(sim: Simulation) -> list[web.RouteDef]:
    """The Xiaohongshu endpoints."""

    def user(post: Post) -> dict:
        creator = sim.population.creator(post.creator)
        return {"user_id": creator.account(NAME).account_id, "nickname": creator.name}

    async def feed(request: web.Request) -> web.Response:
        body = await json_body(request)
        ts = sim.clock.timestamp()
        post = sim.find(NAME, str(body.get("source_note_id", "")), ts)
        if post is None:
            return envelope(-510001)
        c = sim.counts([post], ts)[0]
        interact: dict[str, object] = {
            "liked": False, "liked_count": display_count(c["likes"]), "collected": False,
            "collected_count": display_count(c["saves"]), "comment_count": display_count(c["comments"]),
            "share_count": display_count(c["shares"])}
        for key, form in edges(sim).hidden_counters.get(post.platform_post_id, {}).items():
            if form == "absent":
                interact.pop(key, None)
            else:
                interact[key] = None if form == "null" else ""
        ms = int(post.published_at.timestamp() * 1000)
        card = {"note_id": post.platform_post_id, "type": "video" if post.content_form == "video_note" else "normal",
                "title": post.title, "desc": post.title, "time": ms, "last_update_time": ms, "user": user(post),
                "interact_info": interact}
        return envelope(0, {"cursor_score": "", "items": [{"id": post.platform_post_id, "model_type": "note",
                                                           "note_card": card}], "current_time": int(ts * 1000)})

    async def comment_page(request: web.Request) -> web.Response:
        ts = sim.clock.timestamp()
        post = sim.find(NAME, request.query.get("note_id", ""), ts)
        if post is None:
            return envelope(-510001)
        cursor = request.query.get("cursor", "")
        start = None
        if cursor:
            if len(cursor) != 24 or cursor[:16] != post.platform_post_id[:16]:
                return envelope(-1003)
            start = int(cursor[16:], 16) - 1
        indices, nxt = newest_first(sim.comment_count(post, ts), start, PAGE)
        items = [{"id": comment_id(post, c.index), "note_id": post.platform_post_id, "content": c.text,
                  "create_time": int(c.created_ts * 1000), "like_count": str(c.likes), "sub_comment_count": "0",
                  "sub_comment_cursor": "", "sub_comments": [], "ip_location": "",
                  "user_info": {"user_id": c.author_id, "nickname": c.author_name}}
                 for c in sim.comments(post, indices)]
        return envelope(0, {"comments": items, "cursor": items[-1]["id"] if items else "",
                            "has_more": nxt is not None, "time": int(ts * 1000)})

    return [web.post("/xiaohongshu/api/sns/web/v1/feed", feed),
            web.get("/xiaohongshu/api/sns/web/v2/comment/page", comment_page)]
