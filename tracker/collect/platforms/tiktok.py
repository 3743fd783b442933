"""TikTok (PLATFORMS.md §4): Display ``/v2/video/query/`` for up to 20 ids; Research comment list.

Envelope ``{"data":{…},"error":{"code":"ok"}}``: success means ``error.code == "ok"``.
access_token_invalid / scope_* → token; rate_limit_exceeded → rate limit, unless
it says the daily quota is spent (Research: 1,000 requests/day, reset 00:00 UTC)
→ quota until the Retry-After; internal_error → retry. The Display API has no
saves counter (None). Comments come oldest first with an offset cursor. The
token is a Bearer header.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from tracker.collect import errors as e
from tracker.collect.http import PlatformHttp, Request, retry_after
from tracker.collect.model import Comment, CommentPage, Observation, PostRef
from tracker.collect.platforms.base import Adapter, count, from_unix, json_body, need, register

NAME = "tiktok"
FIELDS = "id,view_count,like_count,comment_count,share_count"
COMMENT_FIELDS = "id,video_id,text,like_count,reply_count,parent_comment_id,create_time"


def check(response: httpx.Response) -> dict:
    body = json_body(response, NAME)
    code = need(body, "error.code", str, NAME)
    if code == "ok" and response.status_code == 200:
        return need(body, "data", dict, NAME)
    message = f"tiktok: {code} {body['error'].get('message', '')}"
    if code in ("access_token_invalid", "scope_not_authorized", "scope_permission_missed") or \
            response.status_code == 401:
        raise e.AuthFailed(message, code=code)
    if code == "rate_limit_exceeded" or response.status_code == 429:
        if "quota" in message.lower():
            raise e.QuotaExhausted(message, retry_after=retry_after(response), code=code)
        raise e.RateLimited(message, retry_after=retry_after(response), code=code)
    if code == "internal_error" or response.status_code >= 500:
        raise e.ServerError(message, code=code)
    raise e.Rejected(message, code=code)


@register
class TikTok(Adapter):
    name = NAME
    batch_size = 20
    has_comments = True
    comments_newest_first = False
    exposes = ("views", "likes", "comments", "shares")

    def _headers(self) -> dict[str, str]:
        token = self.config.secret("access_token")
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def fetch_metrics(self, http: PlatformHttp, posts: Sequence[PostRef]) -> list[Observation]:
        request = Request("POST", "/v2/video/query/", {"fields": FIELDS},
                          json={"filters": {"video_ids": [p.platform_post_id for p in posts]}}, headers=self._headers())

        def parse(response: httpx.Response) -> dict[str, dict]:
            out = {}
            for video in need(check(response), "videos", list, NAME):
                vid = video.get("id")
                if not isinstance(vid, str | int) or isinstance(vid, bool):
                    raise e.InvalidResponse("tiktok: video without id")
                out[str(vid)] = {m: count(need(video, f"{m[:-1]}_count", int, NAME), f"{m[:-1]}_count", NAME)[0]
                                 for m in ("views", "likes", "comments", "shares")}
            return out

        found = await http.call(request, parse)
        return [self.observation(p, found[p.platform_post_id]) if p.platform_post_id in found
                else self.unavailable(p) for p in posts]

    async def fetch_comments(self, http: PlatformHttp, post: PostRef, cursor: str | None,
                             extra: dict[str, str]) -> CommentPage:
        body = {"video_id": post.platform_post_id, "max_count": 100, "cursor": int(cursor or 0)}

        def parse(response: httpx.Response) -> CommentPage:
            data = check(response)
            comments = [Comment(comment_id=str(need(c, "id", int, NAME)), text=str(c.get("text", "")),
                                created_at=from_unix(c.get("create_time"), "create_time", NAME),
                                likes=c.get("like_count") if isinstance(c.get("like_count"), int) else None,
                                parent_id=str(c["parent_comment_id"]) if c.get("parent_comment_id") and
                                str(c["parent_comment_id"]) != post.platform_post_id else None)
                        for c in need(data, "comments", list, NAME)]
            nxt = data.get("cursor")
            if not isinstance(nxt, int) or isinstance(nxt, bool):
                raise e.InvalidResponse("tiktok: data.cursor is not an offset")
            return CommentPage(comments, str(nxt) if data.get("has_more") else None, resume=str(nxt))

        request = Request("POST", "/v2/research/video/comment/list/", {"fields": COMMENT_FIELDS}, json=body,
                          headers=self._headers())
        return await http.call(request, parse)
