"""Instagram Graph API (PLATFORMS.md §3): ``/{media-id}/insights`` per media, ``/{media-id}/comments``.

Insights ``{"data":[{"name","values":[{"value"}]}]}`` (or ``total_value``);
views, likes, comments, shares, saved → views, likes, comments, shares, saves.
A metric with no data is left out of ``data`` and stays None (hidden likes),
never 0. Errors ``{"error":{"code","error_subcode","message"}}``: 190 → token;
4, 17, 32, 613, 80002 → throttled (Retry-After, or X-Business-Use-Case-Usage's
estimated_time_to_regain_access); 1, 2 → retry; 100/33 → media gone; 10 "Not enough
viewers" → too few viewers for insights (that media's metrics None, the credentials are
fine); other 10, 200-299 → permission. A comments cursor Instagram refuses (code 100 when
``after`` was sent) is ``CursorRejected``. The token is a Bearer header: a media's insights and comments need the token
of the account that owns it, so each creator's media go with that creator's token
(TRACKER_ACCOUNTS_FILE).

Every answer may carry the app's usage of its rate budget (``X-Business-Use-Case-Usage``,
``X-App-Usage``: per cent of calls, CPU time and total time); the highest share goes to
``PlatformHttp.note_usage``, which holds the platform's requests as it nears 100 %, before
Instagram throttles.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import httpx
import orjson

from tracker.collect import errors as e
from tracker.collect.accounts import Account
from tracker.collect.config import PlatformConfig
from tracker.collect.http import PlatformHttp, Request, retry_after
from tracker.collect.model import Comment, CommentPage, Observation, PostRef
from tracker.collect.platforms.base import (
    Adapter,
    count,
    dig,
    from_text,
    json_body,
    need,
    register,
    text_at,
)

log = logging.getLogger(__name__)
NAME = "instagram"
METRIC_NAMES = {"views": "views", "likes": "likes", "comments": "comments", "shares": "shares", "saved": "saves"}
THROTTLE = {4, 17, 32, 613, 80002}
TOO_FEW_VIEWERS = "not enough viewers"


ASKED = ("views", "likes", "comments", "shares", "saved")
SUPPORTED = {"STORY": ("views", "shares")}
"""Of ``ASKED``, what a media product type supports where it is not all of them: Meta's media
insights reference lists no likes, comments or saved for stories; FEED (images, carousel
albums) and REELS support all five. PLATFORMS.md §3 only says that asking a type for a metric it
lacks is an error, so this table is the first guess and that error the authority (see
``Instagram._insights``)."""
_UNSUPPORTED = re.compile(r"does not support the ([\w, ]+?) metrics?\b", re.IGNORECASE)
_INDEXED = re.compile(r"metric\[(\d+)\]")


class UnsupportedMetric(e.Rejected):
    """Code 100 naming a metric: the media's type does not support (one of) the metrics asked,
    e.g. "(#100) The Media Insights API does not support the likes, saved metric for this media
    product type." """


def unsupported(message: str, asked: Sequence[str]) -> set[str]:
    """The asked metrics an UnsupportedMetric message names (by name or as ``metric[i]``)."""
    named: set[str] = set()
    match = _UNSUPPORTED.search(message)
    if match:
        named |= {m.strip() for m in match.group(1).split(",")} & set(asked)
    named |= {asked[int(i)] for i in _INDEXED.findall(message) if int(i) < len(asked)}
    return named


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
    if code == 100 and "metric" in str(err.get("message", "")).lower():
        raise UnsupportedMetric(message, code=code)
    raise e.Rejected(message, code=code)


@register
class Instagram(Adapter):
    name = NAME
    batch_size = 1
    has_comments = True
    exposes = ("views", "likes", "comments", "shares", "saves")
    owner_only = True

    def __init__(self, config: PlatformConfig) -> None:
        super().__init__(config)
        self.asks: dict[str, tuple[str, ...]] = {}
        """Media id → the insights metrics to ask it, for media that do not support all of ``ASKED``."""

    @staticmethod
    def _headers(account: Account) -> dict[str, str]:
        token = account.get("access_token")
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def fetch_metrics(self, http: PlatformHttp, posts: Sequence[PostRef]) -> list[Observation]:
        return [await self._insights(http, post, account) for account, group in self.by_account(posts)
                for post in group]

    async def _insights(self, http: PlatformHttp, post: PostRef, account: Account) -> Observation:
        """One media's insights, asked for what its type supports. A media whose type lacks a
        metric asked (UnsupportedMetric) is asked once more, without it and without what its
        ``media_product_type`` lacks (``SUPPORTED``), and then so from the start; the metrics left
        out stay None. Without that, such a media would be refused every time, never measured."""
        asked = self.asks.get(post.post_id, ASKED)
        try:
            return await self._ask_insights(http, post, asked, account)
        except UnsupportedMetric as exc:
            product = await self._product_type(http, post, account)
            fewer = tuple(m for m in SUPPORTED.get(product, asked)
                          if m in asked and m not in unsupported(exc.message, asked))
            if not fewer or fewer == asked:
                raise
            log.info("instagram: media %s (%s) lacks %s; asking %s", post.platform_post_id, product or "?",
                     ", ".join(sorted(set(asked) - set(fewer))), ",".join(fewer))
            self.asks[post.post_id] = fewer
            return await self._ask_insights(http, post, fewer, account)

    async def _product_type(self, http: PlatformHttp, post: PostRef, account: Account) -> str:
        """The media's ``media_product_type`` (FEED, REELS, STORY…), '' when it does not say."""
        def parse(response: httpx.Response) -> str:
            body = check(response, http)
            kind = body.get("media_product_type") if isinstance(body, dict) else None
            return kind.upper() if isinstance(kind, str) else ""

        request = Request("GET", f"/{post.platform_post_id}", {"fields": "id,media_type,media_product_type"},
                          headers=self._headers(account))
        return await http.call(request, parse, account=account)

    async def _ask_insights(self, http: PlatformHttp, post: PostRef, asked: Sequence[str],
                            account: Account) -> Observation:
        def parse(response: httpx.Response) -> Observation:
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

        request = Request("GET", f"/{post.platform_post_id}/insights", {"metric": ",".join(asked)},
                          headers=self._headers(account))
        return await http.call(request, parse, account=account)

    async def fetch_comments(self, http: PlatformHttp, post: PostRef, cursor: str | None,
                             extra: dict[str, str]) -> CommentPage:
        account = self.account_for(post)
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
            comments = [Comment(comment_id=str(need(c, "id", str, NAME)), text=text_at(c, "text"),
                                created_at=from_text(str(c.get("timestamp", "")).replace("+0000", "+00:00"),
                                                     "timestamp", NAME),
                                likes=c.get("like_count") if isinstance(c.get("like_count"), int) else None,
                                author_id=c.get("username")) for c in need(body, "data", list, NAME)]
            after = dig(body, "paging.cursors.after")
            more = dig(body, "paging.next")
            return CommentPage(comments, after if more and isinstance(after, str) else None)

        return await http.call(Request("GET", f"/{post.platform_post_id}/comments", params,
                                       headers=self._headers(account)), parse, account=account)
