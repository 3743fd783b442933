"""Douyin Open Platform under ``/douyin`` (PLATFORMS.md §6); HTTP 200, codes in the body.

Envelope ``{"data":{…,"error_code","description"},"extra":{"error_code","description",
"sub_error_code","sub_description","logid","now"}}``; success means both codes are 0.

- ``POST /douyin/api/douyin/v1/video/video_data/?open_id=`` body ``{"item_ids":[…]}``
  (or ``video_ids``; ≤20): ``data.list[].statistics={play_count,digg_count,comment_count,
  share_count,forward_count,download_count}``. No save or search counter (exports only).
  Unknown, unpublished and taken-down ids are left out of ``list``. ``video_status`` is 1,
  or as ``edges(sim).douyin_status`` says; counters as ``edges(sim).counter_forms`` says; with
  ``edges(sim).douyin_no_extra`` success bodies lack ``extra`` [sim].
- ``GET /douyin/item/comment/list/?open_id&item_id&cursor&count(≤50, def 10)``: newest
  first; ``data.{list,cursor,has_more}``; pass ``cursor`` back as is. A comment pinned by
  ``edges(sim).pinned`` heads the first page with ``top`` true, whatever its age [sim].
- Tokens (``grants.py``): ``POST /douyin/oauth/refresh_token/`` (form client_key, grant_type=
  refresh_token, refresh_token) → ``{"data":{"access_token","description":"","error_code":0,
  "expires_in":"1296000","open_id","refresh_expires_in","refresh_token"(the same),"scope"},
  "message":"success"}`` (lives written as texts, as documented); errors ``{"data":{"description",
  "error_code"},"extra":{"logid","now"},"message":"error"}``: 10005 missing parameters, 10003
  unknown client_key, 10010 refresh token expired (revoked or unknown too [sim]).
- Faults: expired token → 2190008 / sub 20028001008; 5xx → HTTP 5xx with 2100004 / sub
  20028001005 [sim status]; rate limit → HTTP 429 + Retry-After with 2100005 [sim].
  Missing open_id or bad ids → 2100005 [sim].
- Owners (``sim.owners.enforced``, ``owners.py``): the ``access-token`` header reads the videos
  of its own account alone, named by ``open_id``: another account's items are left out of
  ``list``, their comments answered 2100005; an unknown token, or an open_id not the token's,
  → 2190002 / sub 20028001003 [sim]; an account in ``sim.owners.expired`` → 2190008.
"""

from __future__ import annotations

import time

from aiohttp import web

from tracker.simulate.faults import FaultSpec
from tracker.simulate.grants import APPS
from tracker.simulate.owners import Reader
from tracker.simulate.platforms.base import (
    counter_form,
    edges,
    int_param,
    json_body,
    json_response,
    log_id,
    retry_headers,
)
from tracker.simulate.simulation import Simulation

NAME = "douyin"
KINDS = frozenset({"rate_limit", "server_error", "expired_token"})
_ERRORS = {
    2190008: (20028001008, "access_token过期,请刷新或重新授权"),
    2100004: (20028001005, "系统繁忙，此时请开发者稍候再试"),
    2100005: (0, "参数不合法"),
    2190002: (20028001003, "access_token无效"),
    2190015: (0, "请求太频繁，请稍后再试"),
}


def envelope(sim: Simulation, data: dict, code: int = 0, status: int = 200,
             headers: dict[str, str] | None = None) -> web.Response:
    """The Douyin envelope; ``code`` goes into both ``data`` and ``extra``."""
    sub, desc = _ERRORS.get(code, (0, ""))
    extra = {"error_code": code, "description": desc, "sub_error_code": sub, "sub_description": desc if sub else "",
             "logid": log_id(sim), "now": int(time.time() * 1000)}
    body = {"data": {**data, "error_code": code, "description": desc}, "extra": extra}
    if code == 0 and edges(sim).douyin_no_extra:
        del body["extra"]
    return json_response(body, status, headers)


def fault_response(spec: FaultSpec, sim: Simulation, path: str) -> web.Response:
    """The error this platform answers for a fault."""
    if spec.kind == "expired_token":
        return envelope(sim, {}, 2190008)
    if spec.kind == "rate_limit":
        return envelope(sim, {}, 2190015, spec.http_status or 429, retry_headers(spec))
    return envelope(sim, {}, 2100004, spec.http_status or 503)


def routes(sim: Simulation) -> list[web.RouteDef]:
    """The Douyin endpoints."""

    def reader(request: web.Request) -> Reader | web.Response:
        """Whose videos the request's token reads, or the refusal."""
        who = sim.owners.reader(NAME, request.headers.get("access-token"))
        if who.problem == "expired":
            return envelope(sim, {}, 2190008)
        if who.problem or (who.account is not None and request.query.get("open_id") != who.account):
            return envelope(sim, {}, 2190002)
        return who

    def token_error(code: int, description: str) -> web.Response:
        return json_response({"data": {"description": description, "error_code": code},
                              "extra": {"logid": log_id(sim), "now": int(time.time() * 1000)}, "message": "error"})

    async def refresh_token(request: web.Request) -> web.Response:
        form = await request.post()
        if not form.get("client_key") or not form.get("refresh_token") or form.get("grant_type") != "refresh_token":
            return token_error(10005, "缺少参数")
        if form["client_key"] != APPS[NAME][0]:
            return token_error(10003, "client_key 不存在")
        done = sim.owners.grants.refresh(NAME, str(form["refresh_token"]))
        if done is None:
            return token_error(10010, "refresh_token 过期")
        return json_response({"data": {"access_token": done.access_token, "description": "", "error_code": 0,
                                       "expires_in": str(int(done.expires_in)), "open_id": done.account,
                                       "refresh_expires_in": str(int(done.refresh_expires_in)),
                                       "refresh_token": done.refresh_token, "scope": "video.data.bind"},
                              "message": "success"})

    async def video_data(request: web.Request) -> web.Response:
        body = await json_body(request)
        ids = body.get("item_ids") or body.get("video_ids") or []
        if not request.query.get("open_id") or not isinstance(ids, list) or not ids or len(ids) > 20:
            return envelope(sim, {}, 2100005)
        who = reader(request)
        if isinstance(who, web.Response):
            return who
        ts = sim.clock.timestamp()
        found = [p for p in sim.find_all(NAME, ids, ts) if who.reads(p)]
        items = []
        for post, c in zip(found, sim.counts(found, ts), strict=True):
            stats = counter_form(sim, post.platform_post_id, {
                "play_count": c["views"], "digg_count": c["likes"], "comment_count": c["comments"],
                "share_count": c["shares"], "forward_count": 0, "download_count": 0})
            items.append({"item_id": post.platform_post_id, "title": post.title,
                          "cover": f"https://p3-sign.douyinpic.com/{post.platform_post_id}.jpeg",
                          "create_time": int(post.published_at.timestamp()), "share_url": post.url,
                          "is_top": False,
                          "video_status": edges(sim).douyin_status.get(post.platform_post_id, 1), "media_type": 4, "statistics": stats})
        return envelope(sim, {"list": items})

    async def comment_list(request: web.Request) -> web.Response:
        ts = sim.clock.timestamp()
        post = sim.find(NAME, request.query.get("item_id", ""), ts)
        if not request.query.get("open_id"):
            return envelope(sim, {"list": [], "cursor": 0, "has_more": False}, 2100005)
        who = reader(request)
        if isinstance(who, web.Response):
            return who
        if post is None or not who.reads(post):
            return envelope(sim, {"list": [], "cursor": 0, "has_more": False}, 2100005)
        size = int_param(request, "count", 10, 1, 50)
        cursor = int_param(request, "cursor", 0, 0, 2**62)
        total = sim.comment_count(post, ts)
        pinned = edges(sim).pinned.get(post.platform_post_id)
        if pinned is not None and pinned >= total:
            pinned = None
        first = [pinned] if pinned is not None and cursor == 0 else []
        top = total - 1 if cursor == 0 else min(total, cursor) - 1  # cursor = index of the next comment + 1
        indices: list[int] = []
        while top >= 0 and len(first) + len(indices) < size:
            if top != pinned:
                indices.append(top)
            top -= 1
        nxt = top + 1 if any(i != pinned for i in range(top + 1)) else 0
        items = [{"comment_id": f"{post.platform_post_id[-10:]}{c.index:09d}", "comment_user_id": c.author_id,
                  "content": c.text, "digg_count": c.likes, "reply_comment_total": 0, "top": c.index == pinned,
                  "create_time": int(c.created_ts)} for c in sim.comments(post, first + indices)]
        return envelope(sim, {"list": items, "cursor": nxt, "has_more": nxt > 0})

    return [web.post("/douyin/oauth/refresh_token/", refresh_token),
            web.post("/douyin/api/douyin/v1/video/video_data/", video_data),
            web.get("/douyin/item/comment/list/", comment_list)]
