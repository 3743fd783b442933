"""Kuaishou Open Platform under ``/kuaishou/openapi`` (PLATFORMS.md §8); HTTP 200, ``result`` code.

- ``GET /kuaishou/openapi/photo/info?app_id&access_token&photo_id`` →
  ``{"result":1,"video_info":{photo_id,caption,cover,play_url,create_time(ms),like_count,
  comment_count,view_count,pending}}``. No share, save or comment-list endpoints.
- ``GET /kuaishou/openapi/photo/list?app_id&access_token&open_id&cursor&count(≤200)`` →
  ``{"result":1,"video_list":[…],"cursor":<last photo_id>}`` newest first; the account is
  chosen by ``open_id`` [sim: the real API uses the token's user].
- Owners (``sim.owners.enforced``, ``owners.py``): ``access_token`` reads the photos of its own
  account alone: another account's photo → 100200105 not found; ``photo/list`` lists the
  token's account. An unknown token → 100200103, an expired one → 100200101 [sim].
- Tokens (``grants.py``): ``GET /kuaishou/oauth2/refresh_token?app_id&app_secret&refresh_token&
  grant_type=refresh_token`` → ``{"result":1,"access_token","expires_in","refresh_token"(a new
  one),"refresh_token_expires_in","scopes"}``; the app's credentials wrong → 100200101, a refresh
  token refused (expired, rotated away, revoked, unknown) or a parameter missing → 100200100
  refreshToken.discarded [sim].
- Errors ``{"result":<code>,"error_msg"}``: not found 100200105 [sim]; expired token
  100200101 [sim]; rate limit 100100402 on HTTP 429 + Retry-After; quota 200100410;
  5xx → result 2 on HTTP 5xx [sim].
"""

from __future__ import annotations

from aiohttp import web

from tracker.simulate.faults import FaultSpec
from tracker.simulate.grants import APPS
from tracker.simulate.model import Post
from tracker.simulate.platforms.base import counter_form, int_param, json_response, retry_headers
from tracker.simulate.simulation import Simulation

NAME = "kuaishou"
KINDS = frozenset({"rate_limit", "server_error", "expired_token", "quota"})


def error(code: int, message: str, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A Kuaishou error body."""
    return json_response({"result": code, "error_msg": message}, status, headers)


def fault_response(spec: FaultSpec, sim: Simulation, path: str) -> web.Response:
    """The error this platform answers for a fault."""
    if spec.kind == "expired_token":
        return error(100200101, "accessToken.expired")
    if spec.kind == "quota":
        return error(200100410, "api call count exceeds the daily limit")
    if spec.kind == "rate_limit":
        return error(100100402, "request too frequent", spec.http_status or 429, retry_headers(spec))
    return error(2, "server error", spec.http_status or 503)


def routes(sim: Simulation) -> list[web.RouteDef]:
    """The Kuaishou endpoints."""

    def info(post: Post, counts: dict) -> dict:
        pid = post.platform_post_id
        return counter_form(sim, pid, {"photo_id": pid, "caption": post.title, "cover": f"https://p1.a.yximgs.com/{pid}.jpg",
                "play_url": f"https://www.kuaishou.com/short-video/{pid}",
                "create_time": int(post.published_at.timestamp() * 1000), "like_count": counts["likes"],
                "comment_count": counts["comments"], "view_count": counts["views"], "pending": False})

    def refusal(problem: str) -> web.Response:
        return error(100200101, "accessToken.expired") if problem == "expired" else \
            error(100200103, "accessToken.invalid")

    async def refresh_token(request: web.Request) -> web.Response:
        q = request.query
        if (q.get("app_id"), q.get("app_secret")) != APPS[NAME]:
            return error(100200101, "app_id or app_secret invalid")
        done = sim.owners.grants.refresh(NAME, q.get("refresh_token", "")) \
            if q.get("grant_type") == "refresh_token" else None
        if done is None:
            return error(100200100, "refreshToken.discarded")
        return json_response({"result": 1, "access_token": done.access_token, "expires_in": int(done.expires_in),
                              "refresh_token": done.refresh_token,
                              "refresh_token_expires_in": int(done.refresh_expires_in),
                              "scopes": ["user_info", "user_video_info"]})

    async def photo_info(request: web.Request) -> web.Response:
        who = sim.owners.reader(NAME, request.query.get("access_token"))
        if who.problem:
            return refusal(who.problem)
        ts = sim.clock.timestamp()
        post = sim.find(NAME, request.query.get("photo_id", ""), ts)
        if post is None or not who.reads(post):
            return error(100200105, "photo not found")
        return json_response({"result": 1, "video_info": info(post, sim.counts([post], ts)[0])})

    async def photo_list(request: web.Request) -> web.Response:
        who = sim.owners.reader(NAME, request.query.get("access_token"))
        if who.problem:
            return refusal(who.problem)
        ts = sim.clock.timestamp()
        open_id = who.account or request.query.get("open_id", "")
        mine = [p for p in sim.population.posts
                if p.platform == NAME and p.extra.get("account_id") == open_id and sim.live(p, ts)]
        mine.sort(key=lambda p: (p.published_at, p.platform_post_id), reverse=True)
        cursor = request.query.get("cursor")
        if cursor:
            ids = [p.platform_post_id for p in mine]
            mine = mine[ids.index(cursor) + 1:] if cursor in ids else []
        page = mine[: int_param(request, "count", 20, 1, 200)]
        body = {"result": 1, "video_list": [info(p, c) for p, c in zip(page, sim.counts(page, ts), strict=True)]}
        if page:
            body["cursor"] = page[-1].platform_post_id
        return json_response(body)

    return [web.get("/kuaishou/oauth2/refresh_token", refresh_token), web.get("/kuaishou/openapi/photo/info", photo_info),
            web.get("/kuaishou/openapi/photo/list", photo_list)]
