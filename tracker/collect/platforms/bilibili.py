"""Bilibili web API (PLATFORMS.md §1): ``/x/web-interface/view`` per video, ``/x/v2/reply`` pages.

Envelope ``{code, message, data}``, usually HTTP 200: ``code != 0`` is an error.
-404, 62002, 62004, 62012 → the video is not visible (status unavailable);
-352 and -412 (often HTTP 412) → risk control: back off and report, never evade
(no WBI signing here: the plain documented endpoints only); -509, -799 → too
frequent: the platform is left alone for ``LIMIT_HOLD`` (an hour, as an exhausted quota;
a Retry-After, when one comes, is honoured instead), never retried at once; -101 → login needed (set TRACKER_BILIBILI_SESSDATA); -503 → overload,
retry. ``data.stat``: view, like, reply, share, favorite → views, likes,
comments, shares, saves. Comment pages are addressed by ``oid`` = the video's aid,
which the view answer carries.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from tracker.collect import errors as e
from tracker.collect.http import PlatformHttp, Request, retry_after
from tracker.collect.model import Comment, CommentPage, Observation, PostRef
from tracker.collect.platforms.base import Adapter, from_unix, json_body, need, register, text_at

NAME = "bilibili"
GONE = {-404, 62002, 62004, 62012}
COUNTERS = (("views", "stat.view"), ("likes", "stat.like"), ("comments", "stat.reply"), ("shares", "stat.share"),
            ("saves", "stat.favorite"))
LIMIT_HOLD = 3600.0
"""Seconds Bilibili is left alone after -509 (over limit) or -799 (too frequent) without a
Retry-After: it documents no window, and such blocks are reported to last up to hours; a retry
within seconds only prolongs them."""


def check(response: httpx.Response) -> dict | None:
    """``data`` of a successful answer (None when the video is gone), or the error."""
    if response.status_code == 412:
        raise e.RiskControl("bilibili: HTTP 412 (request intercepted)", code=-412)
    body = json_body(response, NAME)
    code = need(body, "code", int, NAME)
    message = f"bilibili: code {code} {body.get('message', '')}"
    if code == 0:
        return need(body, "data", dict, NAME)
    if code in GONE:
        return None
    if code in (-352, -412) or response.headers.get("x-bili-gaia-vvoucher"):
        raise e.RiskControl(message, code=code)
    if code in (-509, -799) or response.status_code == 429:
        wait = retry_after(response)
        if wait is None and code in (-509, -799):  # Bilibili's own answer: no Retry-After, a window of its own
            raise e.QuotaExhausted(message, retry_after=LIMIT_HOLD, code=code)
        raise e.RateLimited(message, retry_after=wait, code=code)
    if code == -503 or response.status_code >= 500:
        raise e.ServerError(message, code=code)
    if code in (-101, -403):
        raise e.AuthFailed(message, code=code)
    raise e.Rejected(message, code=code)


@register
class Bilibili(Adapter):
    name = NAME
    batch_size = 1
    has_comments = True
    exposes = ("views", "likes", "comments", "shares", "saves")

    def _headers(self) -> dict[str, str]:
        sess = self.config.secret("sessdata")
        return {"Cookie": f"SESSDATA={sess}"} if sess else {}

    async def fetch_metrics(self, http: PlatformHttp, posts: Sequence[PostRef]) -> list[Observation]:
        out = []
        for post in posts:
            def parse(response: httpx.Response, post: PostRef = post) -> Observation:
                data = check(response)
                if data is None:
                    return self.unavailable(post)
                stat = need(data, "stat", dict, NAME)
                obs = self.counted(post, data, COUNTERS)
                aid = data.get("aid", stat.get("aid"))
                if aid:
                    obs.extra["aid"] = str(aid)
                return obs

            request = Request("GET", "/x/web-interface/view", {"bvid": post.platform_post_id}, headers=self._headers())
            out.append(await http.call(request, parse))
        return out

    async def fetch_comments(self, http: PlatformHttp, post: PostRef, cursor: str | None,
                             extra: dict[str, str]) -> CommentPage:
        aid = extra.get("aid")
        if not aid:
            raise e.Rejected("bilibili: the video's aid is not known yet (learnt from its first view answer)")
        page = int(cursor or 1)

        def parse(response: httpx.Response) -> CommentPage:
            data = check(response)
            if data is None:
                return CommentPage([], None)
            replies = data.get("replies") or []
            if not isinstance(replies, list):
                raise e.InvalidResponse("bilibili: data.replies is not a list")
            comments = [Comment(comment_id=str(need(r, "rpid", int, NAME)), text=text_at(r, "content.message"),
                                created_at=from_unix(r.get("ctime"), "ctime", NAME), likes=r.get("like"),
                                author_id=str(r["mid"]) if r.get("mid") else None,
                                parent_id=str(r["parent"]) if r.get("parent") else None) for r in replies]
            total = need(data, "page.count", int, NAME)
            size = need(data, "page.size", int, NAME)
            more = bool(comments) and page * size < total
            return CommentPage(comments, str(page + 1) if more else None)

        params = {"type": 1, "oid": aid, "sort": 0, "ps": 20, "pn": page}
        return await http.call(Request("GET", "/x/v2/reply", params, headers=self._headers()), parse)
