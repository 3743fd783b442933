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
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import date

import httpx

from tracker.collect import errors as e
from tracker.collect.accounts import Account
from tracker.collect.config import PlatformConfig
from tracker.collect.http import PlatformHttp, Request, outcome_label, retry_after
from tracker.collect.model import Comment, CommentPage, Observation, PostRef
from tracker.collect.platforms.base import Adapter, counters, from_unix, json_body, need, register

log = logging.getLogger(__name__)
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

    def __init__(self, config: PlatformConfig) -> None:
        super().__init__(config)
        if config.secret("research_token"):  # saves from the Research video query
            self.metrics = (*self.exposes, "saves")
        self.research_refused_until = 0.0  # monotonic: comments and saves wait until then after a refusal
        self.research_refusal: ResearchFailed | None = None

    def _headers(self, account: Account | None = None) -> dict[str, str]:
        """The Display API's header with ``account``'s user token; without one the Research API's
        (the client token, else the platform-wide user token)."""
        if account is not None:
            token = account.get("access_token")
        else:
            token = self.config.secret("research_token") or self.config.secret("access_token")
        return {"Authorization": f"Bearer {token}"} if token else {}

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
            request = Request("POST", "/v2/research/video/query/", {"fields": RESEARCH_FIELDS},
                              json=body | follow, headers=self._headers())
            nxt = await http.call(request, parse, aside=True)
            if nxt is None or wanted.issubset(found):
                break
            follow = nxt
        return found

    def _research_error(self, exc: e.CollectError, http: PlatformHttp) -> ResearchFailed:
        """A failed Research answer as a ResearchFailed. A refused token (for the breaker's cooldown),
        a spent quota (until its Retry-After, else 00:00 UTC) or a Retry-After also hold the
        Research API, comments and saves alike: logged once, here."""
        failed = ResearchFailed(exc.message, outcome=outcome_label(exc), code=exc.code)
        hold = 0.0
        if isinstance(exc, e.AuthFailed):
            hold = http.d.breaker_cooldown
            log.error("tiktok: the Research API refused its token (%s): set or renew "
                      "TRACKER_TIKTOK_RESEARCH_TOKEN (a client token, clt.…); metrics go on", exc.message)
        elif isinstance(exc, e.QuotaExhausted):
            hold = exc.retry_after if exc.retry_after is not None else DAY - http.clock.now() % DAY
            log.warning("tiktok: the Research API's daily quota is spent (%s): comments and saves wait %.0f s; "
                        "metrics go on", exc.message, hold)
        elif isinstance(exc, e.RateLimited) and exc.retry_after:
            hold = exc.retry_after
            log.warning("tiktok: the Research API asked to wait %.0f s (%s): comments and saves wait; metrics go on",
                        hold, exc.message)
        if hold:
            self.research_refused_until = max(self.research_refused_until, time.monotonic() + hold)
            self.research_refusal = failed
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
            comments = [Comment(comment_id=str(need(c, "id", int, NAME)), text=str(c.get("text", "")),
                                created_at=from_unix(c.get("create_time"), "create_time", NAME),
                                likes=c.get("like_count") if isinstance(c.get("like_count"), int) else None,
                                parent_id=str(c["parent_comment_id"]) if c.get("parent_comment_id") and
                                str(c["parent_comment_id"]) != post.platform_post_id else None)
                        for c in need(data, "comments", list, NAME)]
            nxt = data.get("cursor")
            if not isinstance(nxt, int) or isinstance(nxt, bool):
                raise e.InvalidResponse("tiktok: data.cursor is not an offset")
            return CommentPage(comments, str(nxt) if data.get("has_more") else None, resume=str(nxt))

        research = None if self.config.secret("research_token") else self.account_of(post)
        request = Request("POST", "/v2/research/video/comment/list/", {"fields": COMMENT_FIELDS}, json=body,
                          headers=self._headers(research))
        return await http.call(request, parse)
