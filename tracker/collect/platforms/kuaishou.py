"""Kuaishou Open Platform (PLATFORMS.md §8): ``/openapi/photo/info`` per photo.

Success is ``{"result": 1, "video_info": {view_count, like_count, comment_count}}``;
anything else is ``{"result": <code>, "error_msg"}`` (on HTTP 200 too). Kuaishou
has no shares, saves or comment list. 100200105 → photo gone; 100200100/100200101
→ token; 100100402-404 → too frequent; 200100410 → daily limit; others retry
when the status is 5xx. The open platform takes app_id and access_token as
query parameters (its only documented way). A token reads the authorising user's
videos alone: each creator's posts go with that creator's token (TRACKER_ACCOUNTS_FILE); the
app_id is the app's (TRACKER_KUAISHOU_APP_ID).
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from tracker.collect import errors as e
from tracker.collect.http import PlatformHttp, Request, retry_after
from tracker.collect.model import Observation, PostRef
from tracker.collect.platforms.base import Adapter, json_body, need, register

NAME = "kuaishou"


def check(response: httpx.Response) -> dict | None:
    body = json_body(response, NAME)
    result = need(body, "result", int, NAME)
    if result == 1:
        return need(body, "video_info", dict, NAME)
    message = f"kuaishou: {result} {body.get('error_msg', '')}"
    if result in (100200105, 100200104):
        return None
    if result in (100200100, 100200101, 100200102, 100200103):
        raise e.AuthFailed(message, code=result)
    if 100100402 <= result <= 100100404 or response.status_code == 429:
        raise e.RateLimited(message, retry_after=retry_after(response), code=result)
    if result == 200100410:
        raise e.QuotaExhausted(message, code=result)
    if response.status_code >= 500 or result == 2:
        raise e.ServerError(message, code=result)
    raise e.Rejected(message, code=result)


@register
class Kuaishou(Adapter):
    name = NAME
    batch_size = 1
    exposes = ("views", "likes", "comments")
    owner_only = True

    async def fetch_metrics(self, http: PlatformHttp, posts: Sequence[PostRef]) -> list[Observation]:
        out = []
        for post in posts:
            def parse(response: httpx.Response, post: PostRef = post) -> Observation:
                info = check(response)
                if info is None:
                    return self.unavailable(post)
                return self.counted(post, info, (("views", "view_count"), ("likes", "like_count"),
                                                 ("comments", "comment_count")))

            account = self.account_for(post)
            params = {"app_id": self.config.options.get("kuaishou_app_id") or "",
                      "access_token": account.get("access_token"), "photo_id": post.platform_post_id}
            out.append(await http.call(Request("GET", "/openapi/photo/info", params), parse, account=account))
        return out
