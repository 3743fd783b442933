"""Douyin Open Platform (PLATFORMS.md §6): ``video_data`` for up to 20 items, comment list.

OK means HTTP 200 with ``extra.error_code == 0`` and ``data.error_code == 0``:
anything else is an error even on HTTP 200. ``statistics``: play_count,
digg_count (likes), comment_count, share_count; saves and searches-after-view
exist only in Xingtu exports (None here). Codes: 2190008 / sub 20028001003,
20028001008 → token; 2100004 / sub 20028001005 → retry; 2190015 → too frequent.
An item left out of ``list`` is no longer visible. A comment with ``top`` true is
pinned on the first page whatever its age. The token goes in the
``access-token`` header with the authorising account's ``open_id``: it reads that account's
videos alone, so each creator's posts go with that creator's account (TRACKER_ACCOUNTS_FILE),
one call per account.

Token renewal: ``POST /oauth/refresh_token/`` with the form ``client_key`` (the app's,
TRACKER_DOUYIN_CLIENT_KEY; Douyin's refresh takes no client_secret), ``grant_type=refresh_token``
and the creator's ``refresh_token`` answers ``{"data":{"access_token","expires_in"(15 days),
"refresh_token","refresh_expires_in","open_id","scope","error_code":0,"description":""},
"message":"success"}``; ``expires_in`` may be written as a text. The refresh token keeps its
30-day end (only ``/oauth/renew_refresh_token/`` extends it, a permission of its own), and a
token not expired yet comes back the same with a later end. An error is ``data.error_code``:
10010 refresh token expired, 10005/10002 parameters, 10003/10013 the app's client_key → refused;
2100004/5xx → retry (developer.open-douyin.com, "刷新 access_token").
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
from pydantic import SecretStr

from tracker.collect import errors as e
from tracker.collect.accounts import Account
from tracker.collect.config import PlatformConfig
from tracker.collect.http import PlatformHttp, Request, retry_after
from tracker.collect.model import Comment, CommentPage, Observation, PostRef
from tracker.collect.platforms.base import Adapter, from_unix, json_body, need, register, text_at
from tracker.collect.tokens import Grant

NAME = "douyin"
AUTH = {2190008, 2190002, 2190004, 20028001003, 20028001008, 28001003, 28001008}
RETRY = {2100004, 20028001005, 2190001}
THROTTLE = {2190015, 2100007}
COUNTERS = (("views", "statistics.play_count"), ("likes", "statistics.digg_count"),
            ("comments", "statistics.comment_count"), ("shares", "statistics.share_count"))
CLIENT = {10003, 10013}
"""Token endpoint codes that refuse the app's client_key (or secret), not the creator's token."""
HIDDEN = {2, 4, 7}
"""``video_status`` values of an item the public no longer sees. PLATFORMS.md §6 names the field
but not its values, so they are [unv] here; these three are the ones Douyin's video-list
documentation spells out (developer.open-douyin.com, not re-checked for this project):
2 不适宜公开 (withheld by the platform), 4 审核中 (in review), 7 私密 (private). Such an item is
``unavailable``, never counted as live. Any other value (1 published, 5 public, 6 friends only,
or one not documented) keeps the item live, as before: its counters still grow where it is shown.
Deleted items are left out of ``list`` (unavailable too)."""


def _code(part: object) -> int | None:
    """``error_code`` of the envelope's ``extra`` or ``data``; None when absent or not a number."""
    code = part.get("error_code") if isinstance(part, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def check(response: httpx.Response) -> dict:
    """``data`` of a successful answer, or the error. Success is HTTP 200 with both
    ``extra.error_code`` and ``data.error_code`` present and 0 (PLATFORMS.md §6): a body missing
    either is no success (InvalidResponse), however it looks otherwise."""
    body = json_body(response, NAME)
    if not isinstance(body, dict):
        raise e.InvalidResponse("douyin: the body is not an object")
    data, extra = body.get("data"), body.get("extra")
    outer, inner = _code(extra), _code(data)
    failing = outer or inner or 0  # an error code read from either part classifies the answer
    if failing == 0 and response.status_code == 200:
        if outer is None or inner is None or not isinstance(data, dict):
            missing = "extra.error_code" if outer is None else "data.error_code" if inner is None else "data"
            raise e.InvalidResponse(f"douyin: {missing} missing from the envelope: not a success")
        return data
    extra = extra if isinstance(extra, dict) else {}
    data = data if isinstance(data, dict) else {}
    sub = extra.get("sub_error_code", 0)
    message = f"douyin: {failing}/{sub} {extra.get('description') or data.get('description', '')}"
    if failing in AUTH or sub in AUTH:
        raise e.AuthFailed(message, code=failing)
    if failing in THROTTLE or response.status_code == 429:
        raise e.RateLimited(message, retry_after=retry_after(response), code=failing)
    if failing in RETRY or sub in RETRY or response.status_code >= 500:
        raise e.ServerError(message, code=failing)
    raise e.Rejected(message, code=failing)


def granted(response: httpx.Response) -> Grant:
    """The grant of a token endpoint's answer, or the error (RefreshRefused when refused)."""
    body = json_body(response, NAME)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise e.InvalidResponse("douyin: the token answer has no data")
    raw = data.get("error_code", 0)
    code = int(raw) if isinstance(raw, str) and raw.strip().isdigit() else raw
    if code == 0 and response.status_code == 200:
        return Grant.of(data, NAME)
    message = f"douyin: {code} {data.get('description', '')}".rstrip()
    if code in THROTTLE or response.status_code == 429:
        raise e.RateLimited(message, retry_after=retry_after(response), code=code)
    if code in RETRY or response.status_code >= 500:
        raise e.ServerError(message, code=code)
    raise e.RefreshRefused(message, code=code, client=code in CLIENT)


@register
class Douyin(Adapter):
    name = NAME
    batch_size = 20
    has_comments = True
    exposes = ("views", "likes", "comments", "shares")
    owner_only = True
    renewal_settings = "TRACKER_DOUYIN_CLIENT_KEY"

    def __init__(self, config: PlatformConfig) -> None:
        super().__init__(config)
        open_id = config.options.get("douyin_open_id") or "tracker"
        self.shared = Account(NAME, "", {**config.secrets, "open_id": SecretStr(open_id)})

    def app_credentials(self) -> tuple[str, ...]:
        return (str(self.config.options.get("douyin_client_key") or ""),)

    async def renew(self, http: PlatformHttp, account: Account) -> Grant:
        form = {"client_key": self.app_credentials()[0], "grant_type": "refresh_token",
                "refresh_token": account.get("refresh_token")}
        return await http.call(Request("POST", "/oauth/refresh_token/", data=form), granted, aside=True)

    @staticmethod
    def _auth(account: Account) -> tuple[dict[str, str], dict[str, str]]:
        token = account.get("access_token")
        return ({"access-token": token} if token else {}), {"open_id": account.get("open_id")}

    async def fetch_metrics(self, http: PlatformHttp, posts: Sequence[PostRef]) -> list[Observation]:
        found: dict[str, Observation] = {}
        for account, group in self.by_account(posts):
            found |= await self._video_data(http, account, group)
        return [found.get(p.platform_post_id) or self.unavailable(p) for p in posts]

    async def _video_data(self, http: PlatformHttp, account: Account,
                          posts: Sequence[PostRef]) -> dict[str, Observation]:
        """One ``video_data`` call for posts of one account: item id → observation of those it listed."""
        headers, params = self._auth(account)
        request = Request("POST", "/api/douyin/v1/video/video_data/", params,
                          json={"item_ids": [p.platform_post_id for p in posts]}, headers=headers)

        by_id = {p.platform_post_id: p for p in posts}

        def parse(response: httpx.Response) -> dict[str, Observation]:
            out = {}
            for item in need(check(response), "list", list, NAME):
                post = by_id.get(str(need(item, "item_id", str, NAME)))
                if post is None:
                    continue
                if item.get("video_status") in HIDDEN:
                    out[post.platform_post_id] = self.unavailable(post)
                else:  # one item's bad counter fails that post alone
                    out[post.platform_post_id] = self.counted(post, item, COUNTERS)
            return out

        return await http.call(request, parse, account=account)

    async def fetch_comments(self, http: PlatformHttp, post: PostRef, cursor: str | None,
                             extra: dict[str, str]) -> CommentPage:
        account = self.account_for(post)
        headers, params = self._auth(account)
        query = {**params, "item_id": post.platform_post_id, "count": 50, "cursor": int(cursor or 0)}

        def parse(response: httpx.Response) -> CommentPage:
            data = check(response)
            comments = [Comment(comment_id=str(need(c, "comment_id", str, NAME)), text=text_at(c, "content"),
                                created_at=from_unix(c.get("create_time"), "create_time", NAME),
                                likes=c.get("digg_count") if isinstance(c.get("digg_count"), int) else None,
                                author_id=c.get("comment_user_id"), pinned=c.get("top") is True)
                        for c in need(data, "list", list, NAME)]
            nxt = data.get("cursor")
            return CommentPage(comments, str(nxt) if data.get("has_more") and nxt else None)

        return await http.call(Request("GET", "/item/comment/list/", query, headers=headers), parse, account=account)
