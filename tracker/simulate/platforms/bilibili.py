"""Bilibili web API under ``/bilibili/x`` (PLATFORMS.md §1); HTTP 200 with ``code`` in the body.

- ``GET /bilibili/x/web-interface/view?bvid=|aid=`` (also ``/wbi/view``; signatures are not
  checked): ``data.stat`` with view, like, reply, share, favorite (+ danmaku, coin… [sim]).
  Unknown or unpublished → code -404; taken down → 62002 (稿件不可见); ``data`` null.
- ``GET /bilibili/x/v2/reply?type=1&oid=<aid>&ps≤20&pn=N``: the root comments newest first (every
  ``sort``), ``data.page={num,size,count(roots),acount(all)}``; each item's ``rcount`` is its
  replies, ``replies`` null (the list does not carry them [sim]). type≠1 → 12009.
- ``GET /bilibili/x/v2/reply/reply?type=1&oid=<aid>&root=<rpid>&ps≤20&pn=N``: the replies of one
  root, oldest first, ``data.page={num,size,count}``, ``data.replies[]`` (``root`` and
  ``parent`` = the root's rpid), ``data.root`` the root [sim shape]; an unknown root → 12022 [sim].
- ``GET /bilibili/x/v2/reply/wbi/main?oid&type=1&mode=2&pagination_str={"offset":""}``:
  20 roots per page, ``data.cursor={is_begin,is_end,next,all_count,pagination_reply{next_offset}}``;
  the last page has ``is_end`` true and no ``next_offset``.
- Faults: expired token → -101; risk control → -352 (``data.v_voucher``, header
  ``x-bili-gaia-vvoucher``) or, with ``code=-412``, -412 on HTTP 412; quota → -509;
  rate limit → HTTP 429 + Retry-After with -799 [sim status], or with ``code=-799`` as
  Bilibili sends it: HTTP 200, no Retry-After; 5xx → -503 [sim].
"""

from __future__ import annotations

import json
import uuid

from aiohttp import web

from tracker.simulate.comments import Comment
from tracker.simulate.faults import FaultSpec
from tracker.simulate.model import Post
from tracker.simulate.platforms.base import (
    counter_form,
    int_param,
    json_response,
    newest_threads,
    retry_headers,
)
from tracker.simulate.simulation import Simulation

NAME = "bilibili"
KINDS = frozenset({"rate_limit", "server_error", "expired_token", "risk_control", "quota"})
_MESSAGES = {-101: "账号未登录", -352: "风控校验失败", -412: "请求被拦截", -509: "请求过于频繁，请稍后再试",
             -799: "请求过于频繁，请稍后再试", -503: "过载保护,服务暂不可用", -404: "啥都木有", 12022: "已经被删除了",
             62002: "稿件不可见", 12009: "评论主体的type不合法", -400: "请求错误"}


def envelope(code: int, data: object = None, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """The Bilibili envelope ``{code,message,ttl,data}``."""
    message = "0" if code == 0 else _MESSAGES.get(code, "错误")
    return json_response({"code": code, "message": message, "ttl": 1, "data": data}, status, headers)


def fault_response(spec: FaultSpec, sim: Simulation, path: str) -> web.Response:
    """The error this platform answers for a fault."""
    if spec.kind == "expired_token":
        return envelope(-101)
    if spec.kind == "risk_control":
        if spec.code == -412:
            return envelope(-412, status=412)
        voucher = f"voucher_{uuid.uuid4()}"
        return envelope(-352, {"v_voucher": voucher}, headers={"x-bili-gaia-vvoucher": voucher})
    if spec.kind == "quota":
        return envelope(-509)
    if spec.kind == "rate_limit":
        if spec.code == -799:  # as Bilibili answers it: HTTP 200, no Retry-After
            return envelope(-799)
        return envelope(-799, status=spec.http_status or 429, headers=retry_headers(spec))
    return envelope(-503, status=spec.http_status or 503)


def rpid(post: Post, index: int) -> int:
    """The rpid of comment ``index`` of ``post``."""
    return int(post.extra["aid"]) * 1000 + index + 10**12


def _reply(sim: Simulation, post: Post, c: Comment, ts: float, root: int | None = None) -> dict:
    mid = int(c.author_id[1:], 16) % 10**10
    replies = 0 if root is not None else len(sim.replies(post, c.index, ts))
    up = 0 if root is None else rpid(post, root)
    return {"rpid": rpid(post, c.index), "rpid_str": str(rpid(post, c.index)), "oid": int(post.extra["aid"]),
            "type": 1, "mid": mid, "root": up, "parent": up, "count": replies, "rcount": replies,
            "ctime": int(c.created_ts), "like": c.likes, "member": {"mid": str(mid), "uname": c.author_name},
            "content": {"message": c.text}, "replies": None}


def paged(request: web.Request, items: list[int]) -> tuple[int, int, list[int]]:
    """(pn, ps, the items of that page) of a page-numbered list: ``ps`` up to 20, as Bilibili serves."""
    size = int_param(request, "ps", 20, 1, 20)
    page = int_param(request, "pn", 1, 1, 10**6)
    return page, size, items[(page - 1) * size:page * size]


def routes(sim: Simulation) -> list[web.RouteDef]:
    """The Bilibili endpoints."""

    def find(request: web.Request) -> Post | None:
        if "bvid" in request.query:
            return sim.post(NAME, request.query["bvid"])
        if "aid" in request.query or "oid" in request.query:
            return sim.post("bilibili-aid", request.query.get("aid") or request.query.get("oid", ""))
        return None

    async def view(request: web.Request) -> web.Response:
        post = find(request)
        ts = sim.clock.timestamp()
        if post is None or sim.status(post, ts) == "unpublished":
            return envelope(-404)
        if sim.status(post, ts) == "taken_down":
            return envelope(62002)
        c = sim.counts([post], ts)[0]
        aid = int(post.extra["aid"])
        stat = counter_form(sim, post.platform_post_id, {"aid": aid, "view": c["views"], "danmaku": c["comments"] // 3, "reply": c["comments"],
                "favorite": c["saves"], "coin": c["likes"] // 4, "share": c["shares"], "now_rank": 0,
                "his_rank": 0, "like": c["likes"], "dislike": 0, "evaluation": "", "vt": 0})
        creator = sim.population.creator(post.creator)
        data = {"bvid": post.platform_post_id, "aid": aid, "title": post.title,
                "pubdate": int(post.published_at.timestamp()), "ctime": int(post.published_at.timestamp()),
                "owner": {"mid": int(post.extra["account_id"]), "name": creator.name}, "stat": stat}
        return envelope(0, data)

    def commentable(request: web.Request) -> Post | web.Response:
        if request.query.get("type", "1") != "1":
            return envelope(12009)
        post = find(request)
        if post is None or not sim.live(post, sim.clock.timestamp()):
            return envelope(-404)
        return post

    async def reply(request: web.Request) -> web.Response:
        post = commentable(request)
        if isinstance(post, web.Response):
            return post
        ts = sim.clock.timestamp()
        roots = sim.threads(post, ts)[::-1]
        page, size, shown = paged(request, roots)
        data = {"page": {"num": page, "size": size, "count": len(roots), "acount": sim.comment_count(post, ts)},
                "replies": [_reply(sim, post, c, ts) for c in sim.comments(post, shown)], "hots": [],
                "upper": {"mid": int(post.extra["account_id"])}}
        return envelope(0, data)

    async def reply_thread(request: web.Request) -> web.Response:
        post = commentable(request)
        if isinstance(post, web.Response):
            return post
        ts = sim.clock.timestamp()
        try:
            index = int(request.query.get("root", "")) - rpid(post, 0)
        except ValueError:
            return envelope(-400)
        if not 0 <= index < sim.comment_count(post, ts) or sim.parent(post, index) is not None:
            return envelope(12022)
        replies = sim.replies(post, index, ts)
        page, size, shown = paged(request, replies)
        data = {"page": {"num": page, "size": size, "count": len(replies)},
                "replies": [_reply(sim, post, c, ts, index) for c in sim.comments(post, shown)],
                "root": _reply(sim, post, sim.comments(post, [index])[0], ts),
                "upper": {"mid": int(post.extra["account_id"])}}
        return envelope(0, data)

    async def reply_main(request: web.Request) -> web.Response:
        post = commentable(request)
        if isinstance(post, web.Response):
            return post
        ts = sim.clock.timestamp()
        try:
            offset = json.loads(request.query.get("pagination_str") or '{"offset":""}').get("offset", "")
            start = json.loads(offset)["cursor"] if offset else None
        except (ValueError, KeyError, TypeError, AttributeError):
            return envelope(-400)
        count = sim.comment_count(post, ts)
        indices, nxt = newest_threads(sim.threads(post, ts), start, 20)
        pagination = {} if nxt is None else {"next_offset": json.dumps({"type": 3, "direction": 1, "cursor": nxt})}
        cursor = {"is_begin": start is None, "prev": 0, "next": 0 if nxt is None else nxt + 1,
                  "is_end": nxt is None, "mode": 2, "all_count": count, "pagination_reply": pagination}
        return envelope(0, {"cursor": cursor, "replies": [_reply(sim, post, c, ts) for c in sim.comments(post, indices)],
                            "top_replies": None})

    return [
        web.get("/bilibili/x/web-interface/view", view),
        web.get("/bilibili/x/web-interface/wbi/view", view),
        web.get("/bilibili/x/v2/reply", reply),
        web.get("/bilibili/x/v2/reply/reply", reply_thread),
        web.get("/bilibili/x/v2/reply/wbi/main", reply_main),
    ]
