"""TikTok open.tiktokapis.com under ``/tiktok/v2`` (PLATFORMS.md §4).

Envelope ``{"data":{…},"error":{"code":"ok","message":"","log_id"}}``; success means
``error.code == "ok"``.

- Display: ``POST /tiktok/v2/video/query/?fields=id,title,create_time,view_count,like_count,
  comment_count,share_count`` body ``{"filters":{"video_ids":[…≤20]}}`` → ``data.videos``
  (ids as strings). No saves counter here; unknown, unpublished, taken down: left out.
- Research: ``POST /tiktok/v2/research/video/query/?fields=…,favorites_count`` body
  ``{"query":{"and":[{"operation":"IN","field_name":"video_id"|"username"|"keyword",
  "field_values":[…]}]},"start_date":"YYYYMMDD","end_date"(≤30 d later),"max_count"≤100,
  "cursor"}`` → ``data.{videos,cursor,has_more,search_id}`` (ids as numbers); videos in
  ``edges(sim).tiktok_unindexed`` are left out.
- Comments: ``POST /tiktok/v2/research/video/comment/list/?fields=id,video_id,text,
  like_count,reply_count,parent_comment_id,create_time`` body ``{video_id,max_count≤100,
  cursor}`` → ``data.{comments,cursor,has_more}``, **oldest first**, cursor = offset; replies among
  them, ``parent_comment_id`` the comment replied to (the video's id for a top-level one).
- Tokens [sim]: with ``edges(sim).tiktok_tokens`` the Display API takes only ``Bearer act.…``
  and the Research API only ``Bearer clt.…`` (else 401 access_token_invalid). Display counters
  as ``edges(sim).counter_forms`` says.
- Owners (``sim.owners.enforced``, ``owners.py``): the Display API's Bearer user token reads the
  videos of its own account alone: another account's are left out of ``data.videos``; an
  unknown or expired token → 401 access_token_invalid. The Research API reads any public video.
- Tokens (``grants.py``): ``POST /tiktok/v2/oauth/token/`` (form) with ``grant_type=
  client_credentials`` and the research client's key and secret → ``{"access_token":"clt.…",
  "expires_in":7200,"token_type":"Bearer"}``; with ``grant_type=refresh_token``, the app's key and
  secret and a refresh token → ``{"access_token","expires_in","open_id","refresh_expires_in",
  "refresh_token"(a new one),"scope","token_type"}``. Errors ``{"error","error_description",
  "log_id"}``: invalid_client (401 [sim]), invalid_grant, invalid_request, unsupported_grant_type
  (400 [sim]). The Research API refuses a client token issued here once expired (401
  access_token_invalid).
- Errors: expired token → 401 access_token_invalid; rate limit → 429 rate_limit_exceeded
  + Retry-After; quota (Research daily) → 429 rate_limit_exceeded with Retry-After = seconds
  to 00:00 UTC of the simulated clock; 5xx → internal_error; bad input → 400 invalid_params.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web

from tracker.simulate.faults import FaultSpec
from tracker.simulate.grants import APPS
from tracker.simulate.model import Post
from tracker.simulate.owners import bearer
from tracker.simulate.platforms.base import (
    counter_form,
    edges,
    ids_param,
    json_body,
    json_response,
    log_id,
    retry_headers,
)
from tracker.simulate.simulation import Simulation

NAME = "tiktok"
KINDS = frozenset({"rate_limit", "server_error", "expired_token", "quota"})
DISPLAY_FIELDS = {"id", "title", "create_time", "view_count", "like_count", "comment_count", "share_count",
                  "video_description", "duration", "share_url", "embed_link", "cover_image_url"}
RESEARCH_FIELDS = {"id", "create_time", "username", "region_code", "video_description", "view_count",
                   "like_count", "comment_count", "share_count", "favorites_count", "hashtag_names"}
COMMENT_FIELDS = {"id", "video_id", "text", "like_count", "reply_count", "parent_comment_id", "create_time"}
_ERRORS = {
    "access_token_invalid": "The access token is invalid or not found in the request.",
    "rate_limit_exceeded": "API rate limit was exceeded. Please try again later.",
    "internal_error": "Something went wrong. Please try again later.",
    "invalid_params": "The request parameters are invalid.",
}


def error(sim: Simulation, code: str, status: int, message: str = "",
          headers: dict[str, str] | None = None) -> web.Response:
    """A TikTok error envelope."""
    body = {"data": {}, "error": {"code": code, "message": message or _ERRORS[code], "log_id": log_id(sim)}}
    return json_response(body, status, headers)


def oauth_error(sim: Simulation, code: str, status: int, description: str) -> web.Response:
    """An error of the token endpoint (OAuth's shape, not the API envelope)."""
    return json_response({"error": code, "error_description": description, "log_id": log_id(sim)}, status)


def ok(sim: Simulation, data: dict) -> web.Response:
    """A TikTok success envelope."""
    return json_response({"data": data, "error": {"code": "ok", "message": "", "log_id": log_id(sim)}})


def fault_response(spec: FaultSpec, sim: Simulation, path: str) -> web.Response:
    """The error this platform answers for a fault."""
    if spec.kind == "expired_token":
        return error(sim, "access_token_invalid", 401)
    if spec.kind == "quota":
        now = sim.clock.now()
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        wait = str(max(1, int((midnight - now).total_seconds())))
        return error(sim, "rate_limit_exceeded", 429, "Daily quota limit exceeded for the Research API.",
                     {"Retry-After": wait})
    if spec.kind == "rate_limit":
        return error(sim, "rate_limit_exceeded", spec.http_status or 429, headers=retry_headers(spec))
    return error(sim, "internal_error", spec.http_status or 500)


def routes(sim: Simulation) -> list[web.RouteDef]:
    """The TikTok endpoints."""

    def video(post: Post, c: dict, fields: list[str], research: bool) -> dict:
        creator = sim.population.creator(post.creator)
        full = {"id": int(post.platform_post_id) if research else post.platform_post_id, "title": post.title,
                "create_time": int(post.published_at.timestamp()), "view_count": c["views"],
                "like_count": c["likes"], "comment_count": c["comments"], "share_count": c["shares"],
                "favorites_count": c["saves"], "video_description": post.title, "duration": 30,
                "share_url": post.url, "embed_link": f"https://www.tiktok.com/embed/v2/{post.platform_post_id}",
                "cover_image_url": f"https://p16-sign.tiktokcdn.com/{post.platform_post_id}.jpeg",
                "username": creator.account(NAME).handle, "region_code": "US", "hashtag_names": []}
        return {f: full[f] for f in fields}

    def fields_of(request: web.Request, allowed: set[str]) -> list[str] | None:
        fields = ids_param(request, "fields")
        return fields if fields and set(fields) <= allowed else None

    def refused(request: web.Request, prefix: str) -> web.Response | None:
        """401 when ``edges(sim).tiktok_tokens`` is on and the Bearer token is not of this API, or
        the client token of a Research call has expired."""
        if edges(sim).tiktok_tokens and not request.headers.get("Authorization", "").startswith(f"Bearer {prefix}"):
            return error(sim, "access_token_invalid", 401)
        if prefix == "clt." and sim.owners.grants.client_expired(bearer(request.headers.get("Authorization"))):
            return error(sim, "access_token_invalid", 401, "The access token has expired.")
        return None

    async def oauth_token(request: web.Request) -> web.Response:
        form = await request.post()
        grant, key, secret = (str(form.get(k, "")) for k in ("grant_type", "client_key", "client_secret"))
        grants = sim.owners.grants
        if grant == "client_credentials":
            issued = grants.client(key, secret)
            if issued is None:
                return oauth_error(sim, "invalid_client", 401, "Client key or secret is invalid.")
            return json_response({"access_token": issued[0], "expires_in": int(issued[1]), "token_type": "Bearer"})
        if grant != "refresh_token":
            return oauth_error(sim, "unsupported_grant_type", 400, "The grant type is not supported.")
        if (key, secret) != APPS[NAME]:
            return oauth_error(sim, "invalid_client", 401, "Client key or secret is invalid.")
        if not form.get("refresh_token"):
            return oauth_error(sim, "invalid_request", 400, "The request parameters are malformed.")
        done = grants.refresh(NAME, str(form["refresh_token"]))
        if done is None:
            return oauth_error(sim, "invalid_grant", 400, "Refresh token is invalid or expired.")
        return json_response({"access_token": done.access_token, "expires_in": int(done.expires_in),
                              "open_id": done.account, "refresh_expires_in": int(done.refresh_expires_in),
                              "refresh_token": done.refresh_token, "scope": "user.info.basic,video.list",
                              "token_type": "Bearer"})

    async def display_query(request: web.Request) -> web.Response:
        if (denied := refused(request, "act.")) is not None:
            return denied
        who = sim.owners.reader(NAME, bearer(request.headers.get("Authorization")))
        if who.problem:
            return error(sim, "access_token_invalid", 401)
        fields = fields_of(request, DISPLAY_FIELDS)
        ids = ((await json_body(request)).get("filters") or {}).get("video_ids")
        if fields is None or not isinstance(ids, list) or not ids or len(ids) > 20:
            return error(sim, "invalid_params", 400)
        ts = sim.clock.timestamp()
        found = [p for p in sim.find_all(NAME, ids, ts) if who.reads(p)]
        return ok(sim, {"videos": [counter_form(sim, p.platform_post_id, video(p, c, fields, False))
                                   for p, c in zip(found, sim.counts(found, ts), strict=True)]})

    async def research_query(request: web.Request) -> web.Response:
        if (denied := refused(request, "clt.")) is not None:
            return denied
        fields = fields_of(request, RESEARCH_FIELDS)
        body = await json_body(request)
        try:
            start = datetime.strptime(body["start_date"], "%Y%m%d").date()
            end = datetime.strptime(body["end_date"], "%Y%m%d").date()
            conditions = body["query"]["and"]
            max_count = int(body.get("max_count", 20))
            cursor = int(body.get("cursor", 0))
        except (KeyError, TypeError, ValueError):
            return error(sim, "invalid_params", 400)
        if fields is None or not 0 <= (end - start).days <= 30 or not 1 <= max_count <= 100:
            return error(sim, "invalid_params", 400)
        ts = sim.clock.timestamp()
        hits = []
        for post in sim.population.posts:
            if post.platform != NAME or not sim.live(post, ts) or not start <= post.published_at.date() <= end \
                    or post.platform_post_id in edges(sim).tiktok_unindexed:
                continue
            handle = sim.population.creator(post.creator).account(NAME).handle
            values = {"video_id": [post.platform_post_id], "username": [handle], "keyword": post.title.split()}
            if all(any(str(v) in values.get(cond.get("field_name"), []) for v in cond.get("field_values", []))
                   for cond in conditions):
                hits.append(post)
        page = hits[cursor:cursor + max_count]
        videos = [video(p, c, fields, True) for p, c in zip(page, sim.counts(page, ts), strict=True)]
        return ok(sim, {"videos": videos, "cursor": cursor + len(page), "has_more": cursor + len(page) < len(hits),
                        "search_id": f"sim-{start:%Y%m%d}-{len(hits)}"})

    async def comment_list(request: web.Request) -> web.Response:
        if (denied := refused(request, "clt.")) is not None:
            return denied
        fields = fields_of(request, COMMENT_FIELDS)
        body = await json_body(request)
        ts = sim.clock.timestamp()
        post = sim.find(NAME, str(body.get("video_id", "")), ts)
        try:
            max_count, cursor = int(body.get("max_count", 10)), int(body.get("cursor", 0))
        except (TypeError, ValueError):
            return error(sim, "invalid_params", 400)
        if fields is None or not 1 <= max_count <= 100 or cursor < 0:
            return error(sim, "invalid_params", 400)
        if post is None:
            return error(sim, "invalid_params", 400, "The video does not exist or is not public.")
        total = sim.comment_count(post, ts)
        indices = list(range(cursor, min(total, cursor + max_count)))
        comments = []
        base = int(post.platform_post_id[:10]) * 10**8
        for c in sim.comments(post, indices):
            parent = sim.parent(post, c.index)
            full = {"id": base + c.index, "video_id": int(post.platform_post_id), "text": c.text,
                    "like_count": c.likes, "reply_count": 0 if parent is not None else len(sim.replies(post, c.index, ts)),
                    "parent_comment_id": int(post.platform_post_id) if parent is None else base + parent,
                    "create_time": int(c.created_ts)}
            comments.append({f: full[f] for f in fields})
        nxt = cursor + len(indices)
        return ok(sim, {"comments": comments, "cursor": nxt, "has_more": nxt < total})

    return [web.post("/tiktok/v2/oauth/token/", oauth_token),
            web.post("/tiktok/v2/video/query/", display_query),
            web.post("/tiktok/v2/research/video/query/", research_query),
            web.post("/tiktok/v2/research/video/comment/list/", comment_list)]
