"""Weibo open API under ``/weibo/2`` (PLATFORMS.md §5).

- ``GET /weibo/2/statuses/count.json?ids=a,b`` (≤100): a **bare array**
  ``[{"id","reposts","comments","attitudes"}]``; missing, unpublished and taken-down
  ids are left out. No view or save counters exist.
- ``GET /weibo/2/statuses/show.json?id=``: one status; gone → 400 error 20101.
- ``GET /weibo/2/comments/show.json?id&since_id&max_id&count(≤200, def 50)``: newest
  first; page with ``max_id=next_cursor``; ``next_cursor == 0`` at the end (a text with
  ``edges(sim).weibo_text_cursor``); a reply carries ``reply_comment`` (the comment it answers).
  Counters as ``edges(sim).counter_forms`` says [sim].
- Errors (HTTP 4xx) ``{"request","error_code","error"}`` with ``error_code`` as text:
  expired token → 401 "21327"; rate limit → 429 + Retry-After "10023" [sim status], or with
  ``code=10022|10023`` as Weibo sends it: 403 without headers; quota → 403
  "10024"; 5xx → "10001"; bad ids → 400 "10017" [sim statuses].
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from aiohttp import web

from tracker.simulate.faults import FaultSpec
from tracker.simulate.model import Post
from tracker.simulate.platforms.base import (
    counter_form,
    edges,
    ids_param,
    int_param,
    json_response,
    retry_headers,
)
from tracker.simulate.simulation import Simulation

NAME = "weibo"
KINDS = frozenset({"rate_limit", "server_error", "expired_token", "quota"})
_CST = timezone(timedelta(hours=8))
_COMMENT_BASE = 4_960_000_000_000_000


def error(request_path: str, code: str, message: str, status: int,
          headers: dict[str, str] | None = None) -> web.Response:
    """A Weibo error body."""
    return json_response({"request": request_path.removeprefix("/weibo"), "error_code": code, "error": message},
                         status, headers)


def fault_response(spec: FaultSpec, sim: Simulation, path: str) -> web.Response:
    """The error this platform answers for a fault."""
    if spec.kind == "expired_token":
        return error(path, "21327", "expired_token", 401)
    if spec.kind == "quota":
        return error(path, "10024", "User requests for (statuses/count) out of rate limit!", 403)
    if spec.kind == "rate_limit":
        if spec.code in (10022, 10023):  # as Weibo answers it: HTTP 403, no headers
            return error(path, str(spec.code), "IP requests out of rate limit!" if spec.code == 10022
                         else "User requests out of rate limit!", spec.http_status or 403)
        return error(path, "10023", "User requests out of rate limit!", spec.http_status or 429, retry_headers(spec))
    return error(path, "10001", "system error!", spec.http_status or 503)


def created_at(ts: float) -> str:
    """Weibo's ``created_at`` text, e.g. ``Tue Sep 02 20:00:00 +0800 2025``."""
    return datetime.fromtimestamp(ts, UTC).astimezone(_CST).strftime("%a %b %d %H:%M:%S +0800 %Y")


def comment_id(post: Post, index: int) -> int:
    """Comment ids grow with time, so ``max_id`` paging works."""
    return _COMMENT_BASE + post.index * 10**8 + index


def routes(sim: Simulation) -> list[web.RouteDef]:
    """The Weibo endpoints."""

    def user(post: Post) -> dict:
        creator = sim.population.creator(post.creator)
        acc = creator.account(NAME)
        return {"id": int(acc.account_id), "idstr": acc.account_id, "screen_name": creator.name,
                "followers_count": acc.followers}

    async def count(request: web.Request) -> web.Response:
        ids = ids_param(request, "ids")
        if not ids or len(ids) > 100:
            return error(request.path, "10017", "parameter (ids)'s value invalid", 400)
        ts = sim.clock.timestamp()
        found = sim.find_all(NAME, ids, ts)
        return json_response([counter_form(sim, p.platform_post_id, {
            "id": int(p.platform_post_id), "reposts": c["shares"], "comments": c["comments"], "attitudes": c["likes"]})
            for p, c in zip(found, sim.counts(found, ts), strict=True)])

    async def show(request: web.Request) -> web.Response:
        ts = sim.clock.timestamp()
        post = sim.find(NAME, request.query.get("id", ""), ts)
        if post is None:
            return error(request.path, "20101", "target weibo does not exist!", 400)
        c = sim.counts([post], ts)[0]
        pid = post.platform_post_id
        return json_response({"created_at": created_at(post.published_at.timestamp()), "id": int(pid),
                              "idstr": pid, "mid": pid, "text": post.title, "user": user(post),
                              "reposts_count": c["shares"], "comments_count": c["comments"],
                              "attitudes_count": c["likes"]})

    async def comments(request: web.Request) -> web.Response:
        ts = sim.clock.timestamp()
        post = sim.find(NAME, request.query.get("id", ""), ts)
        if post is None:
            return error(request.path, "20101", "target weibo does not exist!", 400)
        size = int_param(request, "count", 50, 1, 200)
        total = sim.comment_count(post, ts)
        low = int_param(request, "since_id", 0, 0, 2**62) - comment_id(post, 0) + 1
        high = int_param(request, "max_id", 0, 0, 2**62)
        top = total - 1 if high == 0 else min(total - 1, high - comment_id(post, 0))
        indices = [i for i in range(top, max(top - size, -1), -1) if i >= max(low, 0)]
        nxt = indices[-1] - 1 if indices and indices[-1] - 1 >= max(low, 0) else None
        status = {"id": int(post.platform_post_id), "idstr": post.platform_post_id}
        items = []
        for c in sim.comments(post, indices):
            cid = comment_id(post, c.index)
            item = {"created_at": created_at(c.created_ts), "id": cid, "idstr": str(cid), "mid": str(cid),
                    "text": c.text, "like_counts": c.likes, "status": status,
                    "user": {"id": int(c.author_id[1:], 16), "idstr": str(int(c.author_id[1:], 16)),
                             "screen_name": c.author_name}}
            parent = sim.parent(post, c.index)
            if parent is not None:
                item["reply_comment"] = {"id": comment_id(post, parent), "idstr": str(comment_id(post, parent))}
            items.append(item)
        cursor = 0 if nxt is None else comment_id(post, nxt)
        return json_response({"comments": items, "total_number": total, "previous_cursor": 0,
                              "next_cursor": str(cursor) if edges(sim).weibo_text_cursor else cursor,
                              "hasvisible": False})

    return [web.get("/weibo/2/statuses/count.json", count), web.get("/weibo/2/statuses/show.json", show),
            web.get("/weibo/2/comments/show.json", comments)]
