"""Weibo open API (PLATFORMS.md §5): ``statuses/count.json`` for up to 100 ids, ``comments/show.json``.

``count.json`` answers a **bare array** ``[{id, reposts, comments, attitudes}]``
(attitudes = likes, reposts = shares); Weibo has no views or saves. An id left
out is no longer visible. Errors (HTTP 4xx) ``{"request","error_code","error"}``,
``error_code`` a string or a number: 10022 (IP), 10023 (user), 10024 (user per API)
→ an hourly budget is spent: Weibo is left alone for an hour (as an exhausted quota;
a Retry-After, when one comes, is honoured instead), never retried at once; 21314-21332 →
token, 10001/10002 → retry, 20101/20132 → post gone. The token travels in the
``Authorization: OAuth2`` header.

The API takes a post's numeric id (``4912047419945245``). Links copied from weibo.com carry it
in base 62 (``weibo.com/1669879400/N53pjFJdb``), and a post registered from such a link is asked
by the numeric id it stands for (``status_id``): asked as it is, it would be left out of every
answer and read as gone.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from datetime import datetime

import httpx

from tracker.collect import errors as e
from tracker.collect.http import PlatformHttp, Request, retry_after
from tracker.collect.model import Comment, CommentPage, Observation, PostRef
from tracker.collect.platforms.base import (
    Adapter,
    from_text,
    http_status,
    json_body,
    need,
    register,
    text_at,
)

NAME = "weibo"
GONE = {"20101", "20132", "20112"}
COUNTERS = (("likes", "attitudes"), ("comments", "comments"), ("shares", "reposts"))
HOUR = 3600.0  # Weibo's rate limits are hourly budgets per app and user (PLATFORMS.md §5)
BASE62 = string.digits + string.ascii_lowercase + string.ascii_uppercase


def status_id(pid: str) -> str:
    """The numeric id the API takes for a post id: digits as they are; a web link's base-62 id
    (``N53pjFJdb``) decoded, four characters at a time from the right, each group seven digits of
    the number (the leftmost without its leading zeros). Anything else is left as it is."""
    if not pid or (pid.isascii() and pid.isdigit()) or any(ch not in BASE62 for ch in pid):
        return pid
    groups: list[str] = []
    rest = pid
    while rest:
        rest, chunk = rest[:-4], rest[-4:]
        value = 0
        for ch in chunk:
            value = value * 62 + BASE62.index(ch)
        if value >= 10**7:  # no group of seven digits: not such an id
            return pid
        groups.append(f"{value:07d}" if rest else str(value))
    return "".join(reversed(groups))


def check(response: httpx.Response) -> object:
    body = json_body(response, NAME)
    if isinstance(body, dict) and "error_code" in body:
        code = str(body["error_code"])
        message = f"weibo: {code} {body.get('error', '')}"
        if code in GONE:
            return None
        if code in ("10022", "10023"):
            wait = retry_after(response)
            if wait is None:  # Weibo sends none: the IP's or user's hourly budget is spent
                raise e.QuotaExhausted(message, retry_after=HOUR, code=code)
            raise e.RateLimited(message, retry_after=wait, code=code)
        if code == "10024":
            raise e.QuotaExhausted(message, retry_after=HOUR, code=code)
        if code in ("10001", "10002") or response.status_code >= 500:
            raise e.ServerError(message, code=code)
        if code.startswith("213") or code == "10014" or response.status_code == 401:
            raise e.AuthFailed(message, code=code)
        raise e.Rejected(message, code=code)
    http_status(response, NAME)
    return body


def next_cursor(value: object) -> str | None:
    """The ``max_id`` of the next comment page; None at the end. ``next_cursor == 0`` means the
    end (PLATFORMS.md §5), compared as a number: Weibo writes ids as numbers or as texts, so
    ``"0"`` ends paging too. Anything but a whole number is an InvalidResponse."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        raise e.InvalidResponse(f"weibo: next_cursor is not a number ({value!r:.40})")
    number = int(str(value).strip())
    return str(number) if number else None


def created_at(text: object) -> datetime:
    """Weibo's ``Tue Sep 02 20:00:00 +0800 2025``."""
    return from_text(text, "created_at", NAME, lambda s: datetime.strptime(s, "%a %b %d %H:%M:%S %z %Y"))


@register
class Weibo(Adapter):
    name = NAME
    batch_size = 100
    has_comments = True
    exposes = ("likes", "comments", "shares")

    def _headers(self) -> dict[str, str]:
        token = self.config.secret("access_token")
        return {"Authorization": f"OAuth2 {token}"} if token else {}

    async def fetch_metrics(self, http: PlatformHttp, posts: Sequence[PostRef]) -> list[Observation]:
        by_id: dict[str, list[PostRef]] = {}  # numeric id → the posts it is (a link's id and the number alike)
        for post in posts:
            by_id.setdefault(status_id(post.platform_post_id), []).append(post)
        request = Request("GET", "/2/statuses/count.json", {"ids": ",".join(by_id)}, headers=self._headers())

        def parse(response: httpx.Response) -> dict[str, Observation]:
            body = check(response)
            if not isinstance(body, list):
                raise e.InvalidResponse("weibo: count.json did not answer an array")
            out = {}
            for item in body:
                sid = item.get("id") if isinstance(item, dict) else None
                if not isinstance(sid, int | str) or isinstance(sid, bool):
                    raise e.InvalidResponse("weibo: count item without id")
                for post in by_id.get(str(sid), ()):  # one item's bad counter fails that post alone
                    out[post.platform_post_id] = self.counted(post, item, COUNTERS)
            return out

        found = await http.call(request, parse)
        return [found.get(p.platform_post_id) or self.unavailable(p) for p in posts]

    async def fetch_comments(self, http: PlatformHttp, post: PostRef, cursor: str | None,
                             extra: dict[str, str]) -> CommentPage:
        params: dict[str, object] = {"id": status_id(post.platform_post_id), "count": 200}
        if cursor:
            params["max_id"] = cursor

        def parse(response: httpx.Response) -> CommentPage:
            body = check(response)
            if body is None:
                return CommentPage([], None)
            comments = [Comment(comment_id=str(need(c, "idstr", str, NAME)), text=text_at(c, "text"),
                                created_at=created_at(c.get("created_at")),
                                likes=c.get("like_counts") if isinstance(c.get("like_counts"), int) else None,
                                author_id=str((c.get("user") or {}).get("idstr") or "") or None,
                                parent_id=str(c["reply_comment"]["idstr"]) if isinstance(c.get("reply_comment"), dict)
                                and c["reply_comment"].get("idstr") else None)
                        for c in need(body, "comments", list, NAME)]
            return CommentPage(comments, next_cursor(body.get("next_cursor") if isinstance(body, dict) else 0))

        return await http.call(Request("GET", "/2/comments/show.json", params, headers=self._headers()), parse)
