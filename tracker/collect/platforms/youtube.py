"""YouTube Data API v3 (PLATFORMS.md §2): ``videos.list`` for up to 50 ids, ``commentThreads`` with
the replies each thread carries (``part=snippet,replies``, in the same call and quota unit; replies
a thread does not carry would take a ``comments.list`` call per thread, which is not asked).

Counts are digit strings; ``likeCount`` and ``commentCount`` may be missing
(hidden) and stay None. There are no shares, saves or searches. An id missing
from ``items`` is no longer visible (deleted, private); an item whose statistics cannot be read
fails that post alone, never the other videos of its call. Errors are
``{"error":{"code","errors":[{"reason"}]}}``: quotaExceeded → quota,
rateLimitExceeded → rate limit, authError/forbidden → credentials,
backendError → retry, invalidPageToken (a stale comment page token) → CursorRejected.
Every call costs one quota unit (10,000/day, Pacific time). The key travels in
the ``X-goog-api-key`` header, never in the URL.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from tracker.collect import errors as e
from tracker.collect.http import PlatformHttp, Request, retry_after
from tracker.collect.model import Comment, CommentPage, Observation, PostRef
from tracker.collect.platforms.base import (
    Adapter,
    count,
    dig,
    from_text,
    http_status,
    json_body,
    need,
    register,
)

NAME = "youtube"


def check(response: httpx.Response) -> dict:
    """The body of a successful answer, or the error it carries."""
    body = json_body(response, NAME)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        reasons = [x.get("reason") for x in err.get("errors") or [] if isinstance(x, dict)]
        message = f"youtube: {err.get('code')} {','.join(map(str, reasons)) or err.get('message', '')}"
        if "quotaExceeded" in reasons or "dailyLimitExceeded" in reasons:
            raise e.QuotaExhausted(message, code=reasons)
        if {"rateLimitExceeded", "userRateLimitExceeded"} & set(reasons) or response.status_code == 429:
            raise e.RateLimited(message, retry_after=retry_after(response), code=reasons)
        if response.status_code >= 500 or "backendError" in reasons:
            raise e.ServerError(message, code=reasons)
        if response.status_code == 401 or {"authError", "keyInvalid", "forbidden"} & set(reasons):
            raise e.AuthFailed(message, code=reasons)
        if "invalidPageToken" in reasons:
            raise e.CursorRejected(message, code=reasons)
        raise e.Rejected(message, code=reasons)
    http_status(response, NAME)
    if not isinstance(body, dict):
        raise e.InvalidResponse("youtube: body is not an object")
    return body


@register
class YouTube(Adapter):
    name = NAME
    batch_size = 50
    has_comments = True
    exposes = ("views", "likes", "comments")

    def _headers(self) -> dict[str, str]:
        key = self.config.secret("api_key")
        return {"X-goog-api-key": key} if key else {}

    async def fetch_metrics(self, http: PlatformHttp, posts: Sequence[PostRef]) -> list[Observation]:
        by_id = {p.platform_post_id: p for p in posts}
        request = Request("GET", "/v3/videos", {"part": "statistics", "id": ",".join(by_id)}, headers=self._headers())

        def parse(response: httpx.Response) -> dict[str, Observation]:
            body = check(response)
            out = {}
            for item in need(body, "items", list, NAME):
                vid = need(item, "id", str, NAME)
                if vid in by_id:  # one video's unreadable statistics fail that post alone
                    out[vid] = self.statistics(by_id[vid], item)
            return out

        found = await http.call(request, parse)
        return [found.get(p.platform_post_id) or self.unavailable(p) for p in posts]

    def statistics(self, post: PostRef, item: dict) -> Observation:
        """One video's counts: viewCount must be there, likeCount and commentCount may be missing
        (hidden: None). Statistics missing or holding no count make ``invalid(post)``."""
        stats = item.get("statistics") if isinstance(item, dict) else None
        if not isinstance(stats, dict) or stats.get("viewCount") is None:
            return self.invalid(post, "youtube: statistics.viewCount missing")
        try:
            values = {m: count(stats.get(k), f"statistics.{k}", NAME)[0]
                      for m, k in (("views", "viewCount"), ("likes", "likeCount"), ("comments", "commentCount"))}
        except e.InvalidResponse as exc:
            return self.invalid(post, exc.message)
        return self.observation(post, values)

    async def fetch_comments(self, http: PlatformHttp, post: PostRef, cursor: str | None,
                             extra: dict[str, str]) -> CommentPage:
        """One page of comment threads, each top-level comment followed by the replies the thread
        carries (``part=replies``: ``replies.comments[]``, parent_id the thread's comment): the
        same call and quota unit as the top-level comments alone."""
        params = {"part": "snippet,replies", "videoId": post.platform_post_id, "maxResults": 100, "order": "time",
                  "textFormat": "plainText"}
        if cursor:
            params["pageToken"] = cursor

        def parse(response: httpx.Response) -> CommentPage:
            body = check(response)
            comments = []
            for item in need(body, "items", list, NAME):
                top = need(item, "snippet.topLevelComment", dict, NAME)
                thread = need(top, "id", str, NAME)
                comments.append(comment(top))
                replies = dig(item, "replies.comments") or []
                if not isinstance(replies, list):
                    raise e.InvalidResponse("youtube: replies.comments is not a list")
                comments += [comment(reply, thread) for reply in replies]
            token = body.get("nextPageToken")
            return CommentPage(comments, token if isinstance(token, str) and token else None)

        return await http.call(Request("GET", "/v3/commentThreads", params, headers=self._headers()), parse)


def comment(item: object, parent: str | None = None) -> Comment:
    """A comment resource (a thread's top-level comment, or one of its replies with ``parent``, the
    thread's comment id)."""
    snip = need(item, "snippet", dict, NAME)
    return Comment(comment_id=need(item, "id", str, NAME),
                   text=str(snip.get("textOriginal") or snip.get("textDisplay") or ""),
                   created_at=from_text(snip.get("publishedAt"), "publishedAt", NAME),
                   likes=count(snip.get("likeCount"), "likeCount", NAME)[0],
                   author_id=dig(snip, "authorChannelId.value") or snip.get("authorDisplayName"),
                   parent_id=parent)
