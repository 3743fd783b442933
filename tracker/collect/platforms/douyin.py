"""Douyin Open Platform (PLATFORMS.md §6): ``video_data`` for up to 20 items, comment list.

OK means HTTP 200 with ``extra.error_code == 0`` and ``data.error_code == 0``:
anything else is an error even on HTTP 200. ``statistics``: play_count,
digg_count (likes), comment_count, share_count; saves and searches-after-view
exist only in Xingtu exports (None here). Codes: 2190008 / sub 20028001003,
20028001008 → token; 2100004 / sub 20028001005 → retry; 2190015 → too frequent.
An item left out of ``list`` is no longer visible. A comment with ``top`` true is
pinned on the first page whatever its age. The token goes in the
``access-token`` header with the authorising account's ``open_id``.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from tracker.collect import errors as e
from tracker.collect.http import PlatformHttp, Request, retry_after
from tracker.collect.model import Comment, CommentPage, Observation, PostRef
from tracker.collect.platforms.base import Adapter, count, from_unix, json_body, need, register

NAME = "douyin"
AUTH = {2190008, 2190002, 2190004, 20028001003, 20028001008, 28001003, 28001008}
RETRY = {2100004, 20028001005, 2190001}
THROTTLE = {2190015, 2100007}


def check(response: httpx.Response) -> dict:
    body = json_body(response, NAME)
    data = need(body, "data", dict, NAME)
    extra = body.get("extra") if isinstance(body.get("extra"), dict) else {}
    code = extra.get("error_code", data.get("error_code"))
    inner = data.get("error_code", 0)
    sub = extra.get("sub_error_code", 0)
    if not isinstance(code, int) or not isinstance(inner, int):
        raise e.InvalidResponse("douyin: error_code missing from the envelope")
    if code == 0 and inner == 0 and response.status_code == 200:
        return data
    failing = code or inner
    message = f"douyin: {failing}/{sub} {extra.get('description') or data.get('description', '')}"
    if failing in AUTH or sub in AUTH:
        raise e.AuthFailed(message, code=failing)
    if failing in THROTTLE or response.status_code == 429:
        raise e.RateLimited(message, retry_after=retry_after(response), code=failing)
    if failing in RETRY or sub in RETRY or response.status_code >= 500:
        raise e.ServerError(message, code=failing)
    raise e.Rejected(message, code=failing)


@register
class Douyin(Adapter):
    name = NAME
    batch_size = 20
    has_comments = True
    exposes = ("views", "likes", "comments", "shares")

    def _auth(self) -> tuple[dict[str, str], dict[str, str]]:
        token = self.config.secret("access_token")
        open_id = self.config.options.get("douyin_open_id") or "tracker"
        return ({"access-token": token} if token else {}), {"open_id": open_id}

    async def fetch_metrics(self, http: PlatformHttp, posts: Sequence[PostRef]) -> list[Observation]:
        headers, params = self._auth()
        request = Request("POST", "/api/douyin/v1/video/video_data/", params,
                          json={"item_ids": [p.platform_post_id for p in posts]}, headers=headers)

        def parse(response: httpx.Response) -> dict[str, dict]:
            out = {}
            for item in need(check(response), "list", list, NAME):
                stats = need(item, "statistics", dict, NAME)
                out[str(need(item, "item_id", str, NAME))] = {
                    m: count(need(stats, k, int, NAME), k, NAME)[0]
                    for m, k in (("views", "play_count"), ("likes", "digg_count"), ("comments", "comment_count"),
                                 ("shares", "share_count"))}
            return out

        found = await http.call(request, parse)
        return [self.observation(p, found[p.platform_post_id]) if p.platform_post_id in found
                else self.unavailable(p) for p in posts]

    async def fetch_comments(self, http: PlatformHttp, post: PostRef, cursor: str | None,
                             extra: dict[str, str]) -> CommentPage:
        headers, params = self._auth()
        query = {**params, "item_id": post.platform_post_id, "count": 50, "cursor": int(cursor or 0)}

        def parse(response: httpx.Response) -> CommentPage:
            data = check(response)
            comments = [Comment(comment_id=str(need(c, "comment_id", str, NAME)), text=str(c.get("content", "")),
                                created_at=from_unix(c.get("create_time"), "create_time", NAME),
                                likes=c.get("digg_count") if isinstance(c.get("digg_count"), int) else None,
                                author_id=c.get("comment_user_id"), pinned=c.get("top") is True)
                        for c in need(data, "list", list, NAME)]
            nxt = data.get("cursor")
            return CommentPage(comments, str(nxt) if data.get("has_more") and nxt else None)

        return await http.call(Request("GET", "/item/comment/list/", query, headers=headers), parse)
