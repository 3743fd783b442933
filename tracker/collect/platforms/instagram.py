"""Instagram Graph API (PLATFORMS.md §3): ``/{media-id}/insights`` per media, ``/{media-id}/comments``.

Insights ``{"data":[{"name","values":[{"value"}]}]}`` (or ``total_value``);
views, likes, comments, shares, saved → views, likes, comments, shares, saves.
A metric with no data is left out of ``data`` and stays None (hidden likes),
never 0. Errors ``{"error":{"code","error_subcode","message"}}``: 190 → token;
4, 17, 32, 613, 80002 → throttled (Retry-After, or X-Business-Use-Case-Usage's
estimated_time_to_regain_access); 1, 2 → retry; 100/33 → media gone; 10 "Not enough
viewers" → too few viewers for insights (that media's metrics None, the credentials are
fine); other 10, 200-299 → permission. A comments cursor Instagram refuses (code 100 when
``after`` was sent) is ``CursorRejected``. The token is a Bearer header.

Every answer may carry the app's usage of its rate budget (``X-Business-Use-Case-Usage``,
``X-App-Usage``: per cent of calls, CPU time and total time); the highest share goes to
``PlatformHttp.note_usage``, which holds the platform's requests as it nears 100 %, before
Instagram throttles.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import orjson

from tracker.collect import errors as e
from tracker.collect.http import PlatformHttp, Request, retry_after
from tracker.collect.model import Comment, CommentPage, Observation, PostRef
from tracker.collect.platforms.base import Adapter, count, dig, from_text, json_body, need, register

NAME = "instagram"
METRIC_NAMES = {"views": "views", "likes": "likes", "comments": "comments", "shares": "shares", "saved": "saves"}
THROTTLE = {4, 17, 32, 613, 80002}
TOO_FEW_VIEWERS = "not enough viewers"


class TooFewViewers(e.Rejected):
    """``(#10) Not enough viewers``: too few people saw the media for Instagram to show its
    insights. Nothing is wrong with the credentials: that media's insights are None."""


def _regain_seconds(response: httpx.Response) -> float | None:
    """estimated_time_to_regain_access (minutes) of X-Business-Use-Case-Usage, in seconds."""
    raw = response.headers.get("X-Business-Use-Case-Usage")
    try:
        usage = orjson.loads(raw) if raw else {}
        minutes = max(int(x.get("estimated_time_to_regain_access", 0)) for v in usage.values() for x in v)
    except (orjson.JSONDecodeError, TypeError, ValueError, AttributeError):
        return None
    return minutes * 60.0 if minutes else None


def usage_share(response: httpx.Response) -> float | None:
    """The highest share (0–1) of any rate budget the usage headers report, None without any."""
    shares: list[float] = []
    for header in ("X-Business-Use-Case-Usage", "X-App-Usage"):
        raw = response.headers.get(header)
        if not raw:
            continue
        try:
            usage = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        # X-App-Usage is one mapping; X-Business-Use-Case-Usage lists mappings per business id
        if header == "X-App-Usage":
            entries = [usage]
        elif isinstance(usage, dict):
            entries = [x for v in usage.values() if isinstance(v, list) for x in v]
        else:
            entries = []
        for entry in entries:
            if isinstance(entry, dict):
                shares += [float(entry[k]) / 100.0 for k in ("call_count", "total_cputime", "total_time")
                           if isinstance(entry.get(k), int | float)]
    return max(shares) if shares else None


def check(response: httpx.Response, http: PlatformHttp | None = None) -> dict | None:
    """The body, None when the media is gone, or the error; ``http`` is told the usage headers."""
    if http is not None:
        http.note_usage(usage_share(response))
    body = json_body(response, NAME)
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        if response.status_code >= 400 or not isinstance(body, dict):
            raise e.InvalidResponse(f"instagram: HTTP {response.status_code} without an error object")
        return body
    code, sub = err.get("code"), err.get("error_subcode")
    message = f"instagram: ({code}/{sub}) {err.get('message', '')}"
    if code == 100 and sub == 33:
        return None
    if code == 190:
        raise e.AuthFailed(message, code=code)
    if code in THROTTLE or response.status_code == 429:
        wait = retry_after(response) or _regain_seconds(response)
        raise e.RateLimited(message, retry_after=wait, code=code)
    if code in (1, 2) or err.get("is_transient") or response.status_code >= 500:
        raise e.ServerError(message, code=code)
    if code == 10 and TOO_FEW_VIEWERS in str(err.get("message", "")).lower():
        raise TooFewViewers(message, code=code)
    if code == 10 or (isinstance(code, int) and 200 <= code <= 299):
        raise e.AuthFailed(message, code=code)
    raise e.Rejected(message, code=code)


@register
class Instagram(Adapter):
    name = NAME
    batch_size = 1
    has_comments = True
    exposes = ("views", "likes", "comments", "shares", "saves")

    def _headers(self) -> dict[str, str]:
        token = self.config.secret("access_token")
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def fetch_metrics(self, http: PlatformHttp, posts: Sequence[PostRef]) -> list[Observation]:
        out = []
        for post in posts:
            def parse(response: httpx.Response, post: PostRef = post) -> Observation:
                try:
                    body = check(response, http)
                except TooFewViewers:
                    return self.observation(post, {})  # insights withheld: every metric None, never 0
                if body is None:
                    return self.unavailable(post)
                values: dict[str, int | None] = {}
                for item in need(body, "data", list, NAME):
                    name = METRIC_NAMES.get(str(item.get("name"))) if isinstance(item, dict) else None
                    if name is None:
                        continue
                    raw = dig(item, "values.0.value")
                    if raw is None:
                        raw = dig(item, "total_value.value")
                    values[name] = count(raw, f"insights.{item['name']}", NAME)[0]
                return self.observation(post, values)

            request = Request("GET", f"/{post.platform_post_id}/insights",
                              {"metric": "views,likes,comments,shares,saved"}, headers=self._headers())
            out.append(await http.call(request, parse))
        return out

    async def fetch_comments(self, http: PlatformHttp, post: PostRef, cursor: str | None,
                             extra: dict[str, str]) -> CommentPage:
        params = {"fields": "id,text,timestamp,username,like_count", "limit": 50}
        if cursor:
            params["after"] = cursor

        def parse(response: httpx.Response) -> CommentPage:
            try:
                body = check(response, http)
            except e.Rejected as exc:
                if cursor and exc.code == 100:  # invalid parameter: the one that varies is the cursor
                    raise e.CursorRejected(exc.message, code=exc.code) from None
                raise
            if body is None:
                return CommentPage([], None)
            comments = [Comment(comment_id=str(need(c, "id", str, NAME)), text=str(c.get("text", "")),
                                created_at=from_text(str(c.get("timestamp", "")).replace("+0000", "+00:00"),
                                                     "timestamp", NAME),
                                likes=c.get("like_count") if isinstance(c.get("like_count"), int) else None,
                                author_id=c.get("username")) for c in need(body, "data", list, NAME)]
            after = dig(body, "paging.cursors.after")
            more = dig(body, "paging.next")
            return CommentPage(comments, after if more and isinstance(after, str) else None)

        return await http.call(Request("GET", f"/{post.platform_post_id}/comments", params,
                                       headers=self._headers()), parse)
