"""TikTok (PLATFORMS.md §4): Display ``/v2/video/query/`` for up to 20 ids; Research comment list.

Envelope ``{"data":{…},"error":{"code":"ok"}}``: success means ``error.code == "ok"``.
access_token_invalid / scope_* → token; rate_limit_exceeded → rate limit, unless
it says the daily quota is spent (Research: 1,000 requests/day, reset 00:00 UTC)
→ quota until the Retry-After; internal_error → retry. The Display API has no
saves counter (None). Comments come oldest first with an offset cursor.

Two tokens, each a Bearer header: the Display API takes the creator's user token
(``act.…``, TRACKER_TIKTOK_ACCESS_TOKEN), the Research API a client token (``clt.…``,
TRACKER_TIKTOK_RESEARCH_TOKEN; the access token is tried when it is unset). A Research token
the API refuses fails the comment reading alone (``ResearchAuthFailed``, logged with the
setting to fix): it never opens the breaker that would stop every TikTok metric.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import httpx

from tracker.collect import errors as e
from tracker.collect.config import PlatformConfig
from tracker.collect.http import PlatformHttp, Request, retry_after
from tracker.collect.model import Comment, CommentPage, Observation, PostRef
from tracker.collect.platforms.base import Adapter, from_unix, json_body, need, register

log = logging.getLogger(__name__)
NAME = "tiktok"
FIELDS = "id,view_count,like_count,comment_count,share_count"
COMMENT_FIELDS = "id,video_id,text,like_count,reply_count,parent_comment_id,create_time"
COUNTERS = (("views", "view_count"), ("likes", "like_count"), ("comments", "comment_count"),
            ("shares", "share_count"))


class ResearchAuthFailed(e.Rejected):
    """The Research API refused its token: comments cannot be read until it is fixed. A
    Rejected, not an AuthFailed: the Display API's metrics go on with their own token."""

    outcome = "auth"


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

    def __init__(self, config: PlatformConfig) -> None:
        super().__init__(config)
        self.research_refused_until = 0.0  # monotonic: comments wait until then after a refused token
        self.research_problem = ""

    def _headers(self, research: bool = False) -> dict[str, str]:
        token = (self.config.secret("research_token") if research else "") or self.config.secret("access_token")
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def fetch_metrics(self, http: PlatformHttp, posts: Sequence[PostRef]) -> list[Observation]:
        request = Request("POST", "/v2/video/query/", {"fields": FIELDS},
                          json={"filters": {"video_ids": [p.platform_post_id for p in posts]}}, headers=self._headers())

        by_id = {p.platform_post_id: p for p in posts}

        def parse(response: httpx.Response) -> dict[str, Observation]:
            out = {}
            for video in need(check(response), "videos", list, NAME):
                vid = video.get("id") if isinstance(video, dict) else None
                if not isinstance(vid, str | int) or isinstance(vid, bool):
                    raise e.InvalidResponse("tiktok: video without id")
                if str(vid) in by_id:  # one video's bad counter fails that post alone
                    out[str(vid)] = self.counted(by_id[str(vid)], video, COUNTERS)
            return out

        found = await http.call(request, parse)
        return [found.get(p.platform_post_id) or self.unavailable(p) for p in posts]

    async def fetch_comments(self, http: PlatformHttp, post: PostRef, cursor: str | None,
                             extra: dict[str, str]) -> CommentPage:
        if time.monotonic() < self.research_refused_until:  # as a breaker would, for comments alone
            raise ResearchAuthFailed(f"tiktok: Research API token refused ({self.research_problem}); not asked again yet")
        body = {"video_id": post.platform_post_id, "max_count": 100, "cursor": int(cursor or 0)}

        def parse(response: httpx.Response) -> CommentPage:
            try:
                data = check(response)
            except e.AuthFailed as exc:
                log.error("tiktok: the Research API refused its token (%s): set or renew "
                          "TRACKER_TIKTOK_RESEARCH_TOKEN (a client token, clt.…); metrics go on", exc.message)
                self.research_refused_until = time.monotonic() + http.d.breaker_cooldown
                self.research_problem = exc.message
                raise ResearchAuthFailed(exc.message, code=exc.code) from None
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
                          headers=self._headers(research=True))
        return await http.call(request, parse)
