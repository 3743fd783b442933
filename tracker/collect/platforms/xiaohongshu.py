"""Xiaohongshu note data as a licensed provider relays it (PLATFORMS.md §7).

There is no public API: the base URL is the provider's (TRACKER_COLLECT_BASE_URLS)
and the token its own. ``POST /api/sns/web/v1/feed {source_note_id}`` →
``data.items[0].note_card.interact_info`` with liked_count, collected_count,
comment_count, share_count as **texts** that may be rounded ("1.2万" = at least
12,000; listed in ``rounded``). A counter missing, null or "" is hidden: that one is None,
the others are kept. No views or searches here (exports only).
Envelope ``{success, code, msg, data}``: 300012 (IP risk) and HTTP 461/471 with
``Verifytype`` (captcha) → risk control: back off and report, never solve;
300013 → too frequent; -100 → login expired; -510001 → note gone; -1 → retry.
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
    from_unix,
    json_body,
    need,
    register,
    text_at,
)

NAME = "xiaohongshu"
INTERACT = (("likes", "liked_count"), ("saves", "collected_count"), ("comments", "comment_count"),
            ("shares", "share_count"))


def check(response: httpx.Response) -> dict | None:
    if response.status_code in (461, 471) or response.headers.get("Verifytype"):
        raise e.RiskControl(f"xiaohongshu: HTTP {response.status_code} captcha (Verifytype "
                            f"{response.headers.get('Verifytype', '?')})", code=response.status_code)
    body = json_body(response, NAME)
    code = need(body, "code", int, NAME)
    if code == 0 and body.get("success", True):
        return need(body, "data", dict, NAME)
    message = f"xiaohongshu: {code} {body.get('msg', '')}"
    if code == -510001:
        return None
    if code in (300012, 461, 471):
        raise e.RiskControl(message, code=code)
    if code == 300013 or response.status_code == 429:
        raise e.RateLimited(message, retry_after=retry_after(response), code=code)
    if code in (-100, -101):
        raise e.AuthFailed(message, code=code)
    if code == -1 or response.status_code >= 500:
        raise e.ServerError(message, code=code)
    raise e.Rejected(message, code=code)


def shown(value: object) -> object:
    """A counter as interact_info gives it; missing, null or an empty text is a hidden count (None),
    which leaves that counter alone null: the others of the note are kept, and it is never 0."""
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


@register
class Xiaohongshu(Adapter):
    name = NAME
    batch_size = 1
    has_comments = True
    exposes = ("likes", "comments", "shares", "saves")

    def _headers(self) -> dict[str, str]:
        token = self.config.secret("token")
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def fetch_metrics(self, http: PlatformHttp, posts: Sequence[PostRef]) -> list[Observation]:
        out = []
        for post in posts:
            def parse(response: httpx.Response, post: PostRef = post) -> Observation:
                data = check(response)
                if data is None:
                    return self.unavailable(post)
                info = need(data, "items.0.note_card.interact_info", dict, NAME)
                values, rounded = {}, []
                for metric, key in INTERACT:
                    values[metric], was_rounded = count(shown(info.get(key)), f"interact_info.{key}", NAME)
                    if was_rounded:
                        rounded.append(metric)
                return self.observation(post, values, rounded)

            request = Request("POST", "/api/sns/web/v1/feed", json={
                "source_note_id": post.platform_post_id, "image_formats": ["jpg"], "extra": {"need_body_topic": 1},
                "xsec_source": "pc_feed", "xsec_token": ""}, headers=self._headers())
            out.append(await http.call(request, parse))
        return out

    async def fetch_comments(self, http: PlatformHttp, post: PostRef, cursor: str | None,
                             extra: dict[str, str]) -> CommentPage:
        params = {"note_id": post.platform_post_id, "cursor": cursor or "", "xsec_token": ""}

        def parse(response: httpx.Response) -> CommentPage:
            data = check(response)
            if data is None:
                return CommentPage([], None)
            comments = []
            for c in need(data, "comments", list, NAME):
                likes, _ = count(c.get("like_count"), "like_count", NAME)
                comments.append(Comment(comment_id=str(need(c, "id", str, NAME)), text=text_at(c, "content"),
                                        created_at=from_unix(c.get("create_time"), "create_time", NAME, ms=True),
                                        likes=likes, author_id=(c.get("user_info") or {}).get("user_id")))
            nxt = data.get("cursor")
            return CommentPage(comments, nxt if data.get("has_more") and isinstance(nxt, str) and nxt else None)

        return await http.call(Request("GET", "/api/sns/web/v2/comment/page", params, headers=self._headers()),
                               parse)
