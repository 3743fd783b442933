"""TikTok (PLATFORMS.md §4): Display ``/v2/video/query/`` for up to 20 ids; Research video query
for their saves; Research comment list.

Envelope ``{"data":{…},"error":{"code":"ok"}}``: success means ``error.code == "ok"``.
access_token_invalid / scope_* → token; rate_limit_exceeded → rate limit, unless
it says the daily quota is spent (Research: 1,000 requests/day, reset 00:00 UTC)
→ quota until the Retry-After; internal_error → retry. Comments come oldest first
with an offset cursor.

Saves: the Display API has no saves counter. With a Research token the videos a Display call
measured are looked up in the Research video query (``favorites_count``): ``video_id`` IN their
ids, between the UTC days of their ``create_time`` (``windows``: at most 30 days and 100 ids a
query), paged with cursor and search_id. The Research budget is small (1,000 requests/day): one
query per window per Display call, never one per post. A video the Research API does not return
(not public, not indexed yet) keeps saves None; so does every video of a window whose query
failed: a Research answer that is no data (token refused, quota, 5xx, invalid_params) is not
retried and never costs the Display counts, which go out with saves None (never 0). Nor is a
timeout or a lost connection: the query is a request aside (``PlatformHttp.call``), whose
failures never count against the platform's breaker. Without a Research token saves stay None.

Two tokens, each a Bearer header: the Display API takes the creator's user token
(``act.…``: the creator's entry in TRACKER_ACCOUNTS_FILE, else TRACKER_TIKTOK_ACCESS_TOKEN), which
reads that creator's own videos alone, so one Display call per account; the Research API an app's
client token (``clt.…``, TRACKER_TIKTOK_RESEARCH_TOKEN; for comments the post's user token is
tried when it is unset), which reads any public video. A
Research answer that refuses the token or says its quota is spent fails comments and saves alone
(``ResearchFailed``, logged with the setting to fix) and holds the Research API until the
breaker's cooldown or the quota's reset: it never opens the breaker or spends the quota that
would stop every TikTok metric.

Tokens renewed (``POST /v2/oauth/token/``, a form; the answer is flat: ``{"access_token",
"expires_in","token_type":"Bearer",…}``, an error ``{"error","error_description","log_id"}``):

- The Research API's client token lives 2 h. With the research client's key and secret
  (TRACKER_TIKTOK_RESEARCH_CLIENT_KEY and _SECRET: a research project's client, not the app
  creators authorise) the collector obtains it itself (``grant_type=client_credentials``), renews
  it before it expires (``tokens.renew_at``) and at once when the Research API refuses it, asking
  the refused query again once. TRACKER_TIKTOK_RESEARCH_TOKEN, when set, is used until refused.
- A creator's user token (24 h; its refresh token 365 days, rotated at each refresh) is renewed
  with ``grant_type=refresh_token`` and the app's TRACKER_TIKTOK_CLIENT_KEY and _SECRET
  (``renew``; ``renewal.py`` decides when). ``invalid_grant`` (expired, revoked, rotated away)
  refuses the refresh token, ``invalid_client``/``unauthorized_client`` the app's credentials
  (developers.tiktok.com: oauth-user-access-token-management, client-access-token-management,
  oauth-error-handling).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import TypeVar

import httpx

from tracker.collect import errors as e
from tracker.collect.accounts import Account
from tracker.collect.config import PlatformConfig
from tracker.collect.http import PlatformHttp, Request, outcome_label, retry_after
from tracker.collect.model import Comment, CommentPage, Observation, PostRef
from tracker.collect.platforms.base import (
    Adapter,
    counters,
    from_unix,
    json_body,
    need,
    register,
    text_at,
)
from tracker.collect.tokens import Grant, renew_at
from tracker.ops import metrics as m

log = logging.getLogger(__name__)
T = TypeVar("T")
NAME = "tiktok"
FIELDS = "id,view_count,like_count,comment_count,share_count"
COMMENT_FIELDS = "id,video_id,text,like_count,reply_count,parent_comment_id,create_time"
COUNTERS = (("views", "view_count"), ("likes", "like_count"), ("comments", "comment_count"),
            ("shares", "share_count"))
RESEARCH_FIELDS = "id,favorites_count"
SAVES = (("saves", "favorites_count"),)
RESEARCH_IDS = 100  # video ids per Research query (its max_count)
RESEARCH_DAYS = 30  # a Research query's end_date is at most this many days after its start_date
RESEARCH_PAGES = 3  # pages of one query at most: ≤100 ids fit one, but TikTok may cut pages short
DAY = 86400.0
TOKEN_PATH = "/v2/oauth/token/"
RECENT = 60.0
"""Real seconds during which a client token obtained after a refusal, refused in turn, is not
renewed again (nor one asked again after the token endpoint failed)."""
RETRY_HELD = 300.0
"""Real seconds the Research API is held when no client token could be obtained for it."""


class ResearchFailed(e.Rejected):
    """A Research API answer that is no data (its token refused, its quota spent, a 5xx…): it costs
    what was asked of it (comments, saves) alone. A Rejected, not an AuthFailed or a QuotaExhausted:
    the Display API's metrics go on with their own token, breaker and budget. ``outcome`` is the
    answer's (``auth``, ``throttled``, ``server_error``…)."""

    def __init__(self, message: str, *, outcome: str, code: object = None) -> None:
        super().__init__(message, code=code)
        self.outcome = outcome


def check(response: httpx.Response) -> dict:
    body = json_body(response, NAME)
    code = need(body, "error.code", str, NAME)
    if code == "ok" and response.status_code == 200:
        return need(body, "data", dict, NAME)
    message = f"tiktok: {code} {body['error'].get('message', '')}"
    if code in ("access_token_invalid", "scope_not_authorized", "scope_permission_missed") or \
            response.status_code == 401:
        raise e.AuthFailed(message, code=code)
    if code == "rate_limit_exceeded" or response.status_code == 429:
        if "quota" in message.lower():
            raise e.QuotaExhausted(message, retry_after=retry_after(response), code=code)
        raise e.RateLimited(message, retry_after=retry_after(response), code=code)
    if code == "internal_error" or response.status_code >= 500:
        raise e.ServerError(message, code=code)
    raise e.Rejected(message, code=code)


def granted(response: httpx.Response) -> Grant:
    """The grant of the token endpoint's answer, or the error (RefreshRefused when refused)."""
    body = json_body(response, NAME)
    if not isinstance(body, dict):
        raise e.InvalidResponse("tiktok: the token answer is not an object")
    if response.status_code == 200 and isinstance(body.get("access_token"), str) and body["access_token"]:
        return Grant.of(body, NAME)
    error = body.get("error")
    if isinstance(error, dict):  # the API envelope, should the endpoint answer with it
        code, text = str(error.get("code", "")), str(error.get("message", ""))
    else:
        code, text = str(error or ""), str(body.get("error_description", ""))
    if not code:
        raise e.InvalidResponse(f"tiktok: HTTP {response.status_code}, a token answer with neither token nor error")
    message = f"tiktok: {code} {text}".rstrip()
    if response.status_code == 429 or code == "rate_limit_exceeded":
        raise e.RateLimited(message, retry_after=retry_after(response), code=code)
    if response.status_code >= 500 or code in ("server_error", "temporarily_unavailable", "internal_error"):
        raise e.ServerError(message, code=code)
    raise e.RefreshRefused(message, code=code, client=code in ("invalid_client", "unauthorized_client"))


def windows(published: dict[str, date]) -> list[tuple[date, date, list[str]]]:
    """Video ids (id → UTC publish day) grouped for Research queries: (start_date, end_date, ids)
    with end_date at most ``RESEARCH_DAYS`` after start_date and at most ``RESEARCH_IDS`` ids, in
    date order; the fewest such groups that hold every id."""
    out: list[tuple[date, date, list[str]]] = []
    for vid, day in sorted(published.items(), key=lambda item: (item[1], item[0])):
        if not out or (day - out[-1][0]).days > RESEARCH_DAYS or len(out[-1][2]) >= RESEARCH_IDS:
            out.append((day, day, []))
        start, _, ids = out[-1]
        ids.append(vid)
        out[-1] = (start, day, ids)
    return out


@register
class TikTok(Adapter):
    name = NAME
    batch_size = 20
    has_comments = True
    comments_newest_first = False
    exposes = ("views", "likes", "comments", "shares")
    owner_only = True  # the Display API; the Research API reads any public video with the app's token
    renewal_settings = "TRACKER_TIKTOK_CLIENT_KEY and TRACKER_TIKTOK_CLIENT_SECRET"

    def __init__(self, config: PlatformConfig) -> None:
        super().__init__(config)
        if self.researches():  # saves from the Research video query
            self.metrics = (*self.exposes, "saves")
        self.research_refused_until = 0.0  # monotonic: comments and saves wait until then after a refusal
        self.research_refusal: ResearchFailed | None = None
        self.research_token = config.secret("research_token")
        """The Research API's client token in use: TRACKER_TIKTOK_RESEARCH_TOKEN, or one obtained."""
        self.research_renew_at: float | None = None  # clock: when to renew the one obtained
        self.research_obtained = float("-inf")  # monotonic: obtained after a refusal then
        self.research_retry = 0.0  # monotonic: no new client token asked before then after a failure
        self.research_lock = asyncio.Lock()

    def app_credentials(self) -> tuple[str, ...]:
        return str(self.config.options.get("tiktok_client_key") or ""), self.config.secret("client_secret")

    def research_client(self) -> tuple[str, str]:
        """The research client's key and secret ('' each when unset; never log them)."""
        return (str(self.config.options.get("tiktok_research_client_key") or ""),
                self.config.secret("research_client_secret"))

    def researches(self) -> bool:
        """Whether comments and saves are read from the Research API: a client token is set or obtained."""
        return bool(self.config.secret("research_token") or all(self.research_client()))

    async def renew(self, http: PlatformHttp, account: Account) -> Grant:
        key, secret = self.app_credentials()
        form = {"client_key": key, "client_secret": secret, "grant_type": "refresh_token",
                "refresh_token": account.get("refresh_token")}
        return await http.call(Request("POST", TOKEN_PATH, data=form), granted, aside=True)

    def _headers(self, account: Account | None = None) -> dict[str, str]:
        """The Display API's header with ``account``'s user token; without one the platform-wide
        user token's."""
        token = account.get("access_token") if account is not None else self.config.secret("access_token")
        return {"Authorization": f"Bearer {token}"} if token else {}

    @staticmethod
    def _bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"} if token else {}

    # -- the Research API's client token ---------------------------------------------------
    async def _research(self, http: PlatformHttp, send: Callable[[str], Awaitable[T]]) -> T:
        """``send(token)`` with the Research API's client token; when it is refused and the
        research client can obtain another, once more with a new one. A refusal that stands holds
        the Research API (``_refused``)."""
        token = await self._research_token(http)
        try:
            return await send(token)
        except ResearchFailed as exc:
            if exc.outcome != "auth":
                raise
            refusal = exc
        if await self._obtain(http, token, refused=True):
            try:
                return await send(self.research_token)
            except ResearchFailed as exc:
                if exc.outcome != "auth":
                    raise
                refusal = exc
        raise self._refused(refusal, http)

    async def _research_token(self, http: PlatformHttp) -> str:
        """The client token in use, obtained first when there is none yet or its renewal is due."""
        due = self.research_renew_at is not None and http.clock.now() >= self.research_renew_at
        if all(self.research_client()) and (not self.research_token or due):
            await self._obtain(http, self.research_token, refused=False)
        if not self.research_token and self.research_refusal is not None:
            raise self.research_refusal
        return self.research_token

    async def _obtain(self, http: PlatformHttp, replacing: str, refused: bool) -> bool:
        """A new client token in place of ``replacing`` (client_credentials; ``refused``: after the
        Research API refused it); True when one is in use that is not ``replacing``. False without a
        research client, when a token obtained after a refusal is refused in turn a moment later,
        or when the token endpoint refused or failed (logged, counted)."""
        if not all(self.research_client()):
            return False
        async with self.research_lock:
            if self.research_token != replacing:
                return True  # obtained meanwhile
            if (refused and time.monotonic() - self.research_obtained < RECENT) or \
                    time.monotonic() < self.research_retry:
                return False
            key, secret = self.research_client()
            form = {"client_key": key, "client_secret": secret, "grant_type": "client_credentials"}
            asked = http.clock.now()
            try:
                grant = await http.call(Request("POST", TOKEN_PATH, data=form), granted, aside=True)
            except e.CollectError as exc:
                denied = isinstance(exc, e.RefreshRefused)
                m.COLLECTOR_TOKEN_REFRESH.labels(NAME, "refused" if denied else "failed").inc()
                self.research_retry = time.monotonic() + (RETRY_HELD if denied else RECENT)
                if denied:
                    log.error("tiktok: the research client's key and secret were refused (%s): check "
                              "TRACKER_TIKTOK_RESEARCH_CLIENT_KEY and TRACKER_TIKTOK_RESEARCH_CLIENT_SECRET; comments "
                              "and saves wait, metrics go on", exc.message)
                else:
                    log.warning("tiktok: no Research API client token obtained (%s); asked again in %.0f s",
                                exc.message, RECENT)
                if not self.research_token:  # nothing to read the Research API with meanwhile
                    self._hold(ResearchFailed(exc.message, outcome="auth", code=exc.code),
                               RETRY_HELD if denied else RECENT)
                return False
            m.COLLECTOR_TOKEN_REFRESH.labels(NAME, "ok").inc()
            self.research_token = grant.access_token
            self.research_obtained = time.monotonic() if refused else float("-inf")
            self.research_renew_at = renew_at(asked, asked + grant.expires_in) if grant.expires_in else None
            self.research_refused_until, self.research_refusal = 0.0, None
            log.info("tiktok: a Research API client token was obtained (%s)", "valid until " + time.strftime(
                "%Y-%m-%d %H:%MZ", time.gmtime(asked + grant.expires_in)) if grant.expires_in else "its life not given")
            return True

    def _refused(self, exc: ResearchFailed, http: PlatformHttp) -> ResearchFailed:
        """The Research API refused its token for good: held for the breaker's cooldown, said once."""
        if all(self.research_client()):
            log.error("tiktok: the Research API refused its client token (%s) and no other one could be used (a new "
                      "one refused too, or none obtained: see the token endpoint's answer above): check that the "
                      "research client of TRACKER_TIKTOK_RESEARCH_CLIENT_KEY has Research API access; comments and "
                      "saves wait, metrics go on", exc.message)
        else:
            log.error("tiktok: the Research API refused its token (%s): set or renew TRACKER_TIKTOK_RESEARCH_TOKEN "
                      "(a client token, clt.…), or set TRACKER_TIKTOK_RESEARCH_CLIENT_KEY and _SECRET for the "
                      "collector to obtain it; metrics go on", exc.message)
        self._hold(exc, http.d.breaker_cooldown)
        return exc

    def _hold(self, failed: ResearchFailed, seconds: float) -> None:
        """Comments and saves wait ``seconds`` (real) after ``failed``."""
        self.research_refused_until = max(self.research_refused_until, time.monotonic() + seconds)
        self.research_refusal = failed

    async def fetch_metrics(self, http: PlatformHttp, posts: Sequence[PostRef]) -> list[Observation]:
        found: dict[str, Observation] = {}
        published: dict[str, date] = {}
        for account, group in self.by_account(posts):
            seen, days = await self._display(http, account, group)
            found |= seen
            published |= days
        for vid, (saves, rounded) in (await self.saves(http, published)).items():
            found[vid].metrics["saves"] = saves
            found[vid].rounded += ("saves",) if rounded else ()
        return [found.get(p.platform_post_id) or self.unavailable(p) for p in posts]

    async def _display(self, http: PlatformHttp, account: Account,
                       posts: Sequence[PostRef]) -> tuple[dict[str, Observation], dict[str, date]]:
        """One Display video query for posts of one account: (id → observation of the videos it
        returned, id → UTC publish day of those whose saves to look up)."""
        reads_saves = "saves" in self.metrics
        request = Request("POST", "/v2/video/query/", {"fields": f"{FIELDS},create_time" if reads_saves else FIELDS},
                          json={"filters": {"video_ids": [p.platform_post_id for p in posts]}},
                          headers=self._headers(account))

        by_id = {p.platform_post_id: p for p in posts}

        def parse(response: httpx.Response) -> tuple[dict[str, Observation], dict[str, date]]:
            out: dict[str, Observation] = {}
            published: dict[str, date] = {}
            for video in need(check(response), "videos", list, NAME):
                vid = video.get("id") if isinstance(video, dict) else None
                if not isinstance(vid, str | int) or isinstance(vid, bool):
                    raise e.InvalidResponse("tiktok: video without id")
                if str(vid) in by_id:  # one video's bad counter fails that post alone
                    obs = out[str(vid)] = self.counted(by_id[str(vid)], video, COUNTERS)
                    if reads_saves and obs.status == "ok" and isinstance(video.get("create_time"), int):
                        published[str(vid)] = from_unix(video["create_time"], "create_time", NAME).date()
            return out, published

        return await http.call(request, parse, account=account)

    async def saves(self, http: PlatformHttp, published: dict[str, date]) -> dict[str, tuple[int | None, bool]]:
        """Saves (``favorites_count``, rounded or not) of videos (id → UTC publish day): one Research
        video query per window of ``windows``. A video the Research API did not return is left out,
        and so are a window's videos when its query failed (logged; counted in the requests metric
        by outcome): their saves stay None, and the Display counts go out regardless."""
        found: dict[str, tuple[int | None, bool]] = {}
        for start, end, ids in windows(published):
            if time.monotonic() < self.research_refused_until:
                log.debug("tiktok: saves of %d videos not read: the Research API is held (%s)", len(ids),
                          self.research_refusal.message if self.research_refusal else "")
                continue
            try:
                found |= await self._research_query(http, start, end, ids)
            except e.CollectError as exc:
                if exc is not self.research_refusal:  # a hold was logged where it was set
                    log.warning("tiktok: saves of %d videos not read, left null: %s", len(ids), exc.message)
        return found

    async def _research_query(self, http: PlatformHttp, start: date, end: date,
                              ids: list[str]) -> dict[str, tuple[int | None, bool]]:
        """One Research video query (``video_id`` IN ``ids``, published from ``start`` to ``end``),
        its pages followed with cursor and search_id while some asked id is still missing."""
        wanted = set(ids)
        found: dict[str, tuple[int | None, bool]] = {}
        body = {"query": {"and": [{"operation": "IN", "field_name": "video_id", "field_values": ids}]},
                "start_date": f"{start:%Y%m%d}", "end_date": f"{end:%Y%m%d}", "max_count": RESEARCH_IDS}

        def parse(response: httpx.Response) -> dict[str, object] | None:
            """Saves of this page into ``found``; the cursor and search_id of the next page, if any."""
            try:
                data = check(response)
                for video in need(data, "videos", list, NAME):
                    vid = video.get("id") if isinstance(video, dict) else None
                    if isinstance(vid, str | int) and not isinstance(vid, bool) and str(vid) in wanted:
                        with contextlib.suppress(e.InvalidResponse):  # no count: this video's saves stay None
                            values, rounded = counters(video, SAVES, NAME)
                            found[str(vid)] = values["saves"], bool(rounded)
                if not data.get("has_more"):
                    return None
                page: dict[str, object] = {"cursor": need(data, "cursor", int, NAME)}
                if isinstance(data.get("search_id"), str):
                    page["search_id"] = data["search_id"]
                return page
            except e.CollectError as exc:  # never retried: the Display counts wait for no Research answer
                raise self._research_error(exc, http) from None

        follow: dict[str, object] = {}
        for _ in range(RESEARCH_PAGES):
            def send(token: str, page: dict[str, object] = follow) -> Awaitable[dict[str, object] | None]:
                request = Request("POST", "/v2/research/video/query/", {"fields": RESEARCH_FIELDS},
                                  json=body | page, headers=self._bearer(token))
                return http.call(request, parse, aside=True)

            nxt = await self._research(http, send)
            if nxt is None or wanted.issubset(found):
                break
            follow = nxt
        return found

    def _research_error(self, exc: e.CollectError, http: PlatformHttp) -> ResearchFailed:
        """A failed Research answer as a ResearchFailed. A spent quota (until its Retry-After, else
        00:00 UTC) or a Retry-After also hold the Research API, comments and saves alike: logged
        once, here; a refused token is left to ``_research`` (renewed, or held there)."""
        failed = ResearchFailed(exc.message, outcome=outcome_label(exc), code=exc.code)
        hold = 0.0
        if isinstance(exc, e.QuotaExhausted):
            hold = exc.retry_after if exc.retry_after is not None else DAY - http.clock.now() % DAY
            log.warning("tiktok: the Research API's daily quota is spent (%s): comments and saves wait %.0f s; "
                        "metrics go on", exc.message, hold)
        elif isinstance(exc, e.RateLimited) and exc.retry_after:
            hold = exc.retry_after
            log.warning("tiktok: the Research API asked to wait %.0f s (%s): comments and saves wait; metrics go on",
                        hold, exc.message)
        if hold:
            self._hold(failed, hold)
        return failed

    async def fetch_comments(self, http: PlatformHttp, post: PostRef, cursor: str | None,
                             extra: dict[str, str]) -> CommentPage:
        refusal = self.research_refusal
        if refusal is not None and time.monotonic() < self.research_refused_until:  # a breaker for Research alone
            raise ResearchFailed(f"tiktok: Research API refused ({refusal.message}); not asked again yet",
                                 outcome=refusal.outcome, code=refusal.code)
        body = {"video_id": post.platform_post_id, "max_count": 100, "cursor": int(cursor or 0)}

        def parse(response: httpx.Response) -> CommentPage:
            try:
                data = check(response)
            except (e.AuthFailed, e.QuotaExhausted) as exc:
                raise self._research_error(exc, http) from None
            comments = [Comment(comment_id=str(need(c, "id", int, NAME)), text=text_at(c, "text"),
                                created_at=from_unix(c.get("create_time"), "create_time", NAME),
                                likes=c.get("like_count") if isinstance(c.get("like_count"), int) else None,
                                parent_id=str(c["parent_comment_id"]) if c.get("parent_comment_id") and
                                str(c["parent_comment_id"]) != post.platform_post_id else None)
                        for c in need(data, "comments", list, NAME)]
            nxt = data.get("cursor")
            if not isinstance(nxt, int) or isinstance(nxt, bool):
                raise e.InvalidResponse("tiktok: data.cursor is not an offset")
            return CommentPage(comments, str(nxt) if data.get("has_more") else None, resume=str(nxt))

        def send(token: str) -> Awaitable[CommentPage]:
            request = Request("POST", "/v2/research/video/comment/list/", {"fields": COMMENT_FIELDS}, json=body,
                              headers=self._bearer(token))
            return http.call(request, parse)

        if self.researches():
            return await self._research(http, send)
        user = self.account_of(post)  # no client token: the post's user token is tried
        try:
            return await send(user.get("access_token") if user is not None else self.config.secret("access_token"))
        except ResearchFailed as exc:
            if exc.outcome == "auth":
                raise self._refused(exc, http) from None
            raise
