"""Kuaishou Open Platform (PLATFORMS.md §8): ``/openapi/photo/info`` per photo.

Success is ``{"result": 1, "video_info": {view_count, like_count, comment_count}}``;
anything else is ``{"result": <code>, "error_msg"}`` (on HTTP 200 too). Kuaishou
has no shares, saves or comment list. 100200105 → photo gone; 100200100/100200101
→ token; 100100402-404 → too frequent; 200100410 → daily limit; others retry
when the status is 5xx. The open platform takes app_id and access_token as
query parameters (its only documented way). A token reads the authorising user's
videos alone: each creator's posts go with that creator's token (TRACKER_ACCOUNTS_FILE); the
app_id is the app's (TRACKER_KUAISHOU_APP_ID).

Token renewal: ``GET /oauth2/refresh_token?app_id&app_secret&refresh_token&grant_type=
refresh_token`` (TRACKER_KUAISHOU_APP_ID and TRACKER_KUAISHOU_APP_SECRET) answers ``{"result":1,
"access_token","expires_in"(48 h),"refresh_token","refresh_token_expires_in","scopes"}``: a new
refresh token each time, the old one discarded, the new one ending when the old one would have
(open.kuaishou.com 快手登录 refreshToken). ``result`` other than 1 refuses the grant (e.g. 100200100
refreshToken.discarded; 100200101 the app_id or app_secret), 2 or a 5xx is retried.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from tracker.collect import errors as e
from tracker.collect.accounts import Account
from tracker.collect.http import PlatformHttp, Request, retry_after
from tracker.collect.model import Observation, PostRef
from tracker.collect.platforms.base import Adapter, json_body, need, register
from tracker.collect.tokens import Grant

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


def granted(response: httpx.Response) -> Grant:
    """The grant of the token endpoint's answer, or the error (RefreshRefused when refused)."""
    body = json_body(response, NAME)
    result = need(body, "result", int, NAME)
    if result == 1 and response.status_code == 200:
        return Grant.of(body, NAME, "refresh_token_expires_in")
    message = f"kuaishou: {result} {body.get('error_msg', '')}".rstrip()
    if 100100402 <= result <= 100100404 or response.status_code == 429:
        raise e.RateLimited(message, retry_after=retry_after(response), code=result)
    if response.status_code >= 500 or result == 2:
        raise e.ServerError(message, code=result)
    raise e.RefreshRefused(message, code=result, client=result == 100200101)


@register
class Kuaishou(Adapter):
    name = NAME
    batch_size = 1
    exposes = ("views", "likes", "comments")
    owner_only = True
    renewal_settings = "TRACKER_KUAISHOU_APP_ID and TRACKER_KUAISHOU_APP_SECRET"

    def app_credentials(self) -> tuple[str, ...]:
        return str(self.config.options.get("kuaishou_app_id") or ""), self.config.secret("app_secret")

    async def renew(self, http: PlatformHttp, account: Account) -> Grant:
        app_id, app_secret = self.app_credentials()
        params = {"app_id": app_id, "app_secret": app_secret, "refresh_token": account.get("refresh_token"),
                  "grant_type": "refresh_token"}
        return await http.call(Request("GET", "/oauth2/refresh_token", params), granted, aside=True)

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
