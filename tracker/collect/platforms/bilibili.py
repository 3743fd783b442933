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

``/x/v2/reply`` lists the root comments, each with its reply count ``rcount``; their replies
come from ``/x/v2/reply/reply?root=<rpid>`` (oldest first, 20 a page), a call per thread: they are
asked only for a thread with more replies than were read from it, from the first one not read, and
at most ``comments.REPLY_CALLS`` calls a visit (``tracker.collect.comments``). Bilibili documents no
quota but answers risk control and "too frequent" codes that hold it for an hour, so the replies
cost a bounded number of calls beside the pages of root comments, not one call per thread and visit.
A thread deleted meanwhile (12022) has no replies.
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
REPLY_PAGE = 20  # replies a /x/v2/reply/reply page holds
THREAD_GONE = 12022  # the root comment asked for was deleted
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
    replies_apart = True
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
        aid = self._aid(extra)
        page = int(cursor or 1)

        def parse(response: httpx.Response) -> CommentPage:
            data = check(response)
            if data is None:
                return CommentPage([], None)
            items = listed(data)
            comments = [comment(r) for r in items]
            threads = {c.comment_id: r["rcount"] for c, r in zip(comments, items, strict=True)
                       if isinstance(r.get("rcount"), int) and not isinstance(r["rcount"], bool) and r["rcount"] > 0}
            total = need(data, "page.count", int, NAME)
            size = need(data, "page.size", int, NAME)
            more = bool(comments) and page * size < total
            return CommentPage(comments, str(page + 1) if more else None, threads=threads)

        params = {"type": 1, "oid": aid, "sort": 0, "ps": 20, "pn": page}
        return await http.call(Request("GET", "/x/v2/reply", params, headers=self._headers()), parse)

    async def fetch_replies(self, http: PlatformHttp, post: PostRef, thread: str, skip: int,
                            extra: dict[str, str]) -> CommentPage:
        aid = self._aid(extra)
        page = skip // REPLY_PAGE + 1

        def parse(response: httpx.Response) -> CommentPage:
            try:
                data = check(response)
            except e.Rejected as exc:
                if exc.code == THREAD_GONE:
                    return CommentPage([], None)
                raise
            if data is None:
                return CommentPage([], None)
            comments = [comment(r) for r in listed(data)][skip % REPLY_PAGE:]
            more = bool(comments) and page * need(data, "page.size", int, NAME) < need(data, "page.count", int, NAME)
            return CommentPage(comments, str(page + 1) if more else None)

        params = {"type": 1, "oid": aid, "root": thread, "ps": REPLY_PAGE, "pn": page}
        return await http.call(Request("GET", "/x/v2/reply/reply", params, headers=self._headers()), parse)

    @staticmethod
    def _aid(extra: dict[str, str]) -> str:
        aid = extra.get("aid")
        if not aid:
            raise e.Rejected("bilibili: the video's aid is not known yet (learnt from its first view answer)")
        return aid


def listed(data: dict) -> list:
    """``data.replies`` of a comment page (null: none)."""
    replies = data.get("replies") or []
    if not isinstance(replies, list):
        raise e.InvalidResponse("bilibili: data.replies is not a list")
    return replies


def comment(item: dict) -> Comment:
    """One comment item: a root (``parent`` 0) or a reply to the comment ``parent`` names."""
    return Comment(comment_id=str(need(item, "rpid", int, NAME)), text=text_at(item, "content.message"),
                   created_at=from_unix(item.get("ctime"), "ctime", NAME), likes=item.get("like"),
                   author_id=str(item["mid"]) if item.get("mid") else None,
                   parent_id=str(item["parent"]) if item.get("parent") else None)
