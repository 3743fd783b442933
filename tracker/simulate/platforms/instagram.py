"""Instagram Graph API under ``/instagram`` (optionally ``/instagram/vNN.0``) (PLATFORMS.md §3).

- ``GET /instagram/{media-id}?fields=id,like_count,comments_count,media_type,
  media_product_type,permalink,timestamp``; ``like_count`` is absent when likes are hidden.
- ``GET /instagram/{media-id}/insights?metric=views,reach,likes,comments,shares,saved,
  total_interactions`` → ``{"data":[{"name","period":"lifetime","values":[{"value"}],
  "title","description","id"}]}``; a metric with no data (hidden likes) is left out;
  deprecated or unknown metrics (plays, impressions, video_views…) → 400 code 100.
  ``reach`` is 62 % of views and ``total_interactions`` the sum of the four [sim]. A metric
  the media's product type lacks (``UNSUPPORTED``; the type is REELS, FEED, or what
  ``edges(sim).instagram_product`` says) → 400 code 100 "(#100) The Media Insights API does not
  support the likes, saved metric for this media product type." Media
  with too few viewers (reach below ``INSIGHTS_MIN_REACH``) → 400 code 10 "(#10) Not enough
  viewers for the media to show insights".
- ``GET /instagram/{media-id}/comments?fields=id,text,timestamp,username,like_count&limit
  (≤50, def 25)&after=`` → ``{"data":[…],"paging":{"cursors":{"before","after"},"next"?}}``,
  newest first; stop when ``next`` is missing.
- Owners (``sim.owners.enforced``, ``owners.py``): the token (Bearer or ``access_token``) reads
  the media of its own account alone: another account's media → 400 code 100 subcode 33, as
  a missing one ("cannot be loaded due to missing permissions"); an unknown token → 400 code
  190 subcode 467, an expired one → 190/463.
- Errors ``{"error":{"message","type","code","error_subcode"?,"fbtrace_id"}}``: expired
  token → 400 code 190/463; rate limit → 429 + Retry-After, code 80002 and
  ``X-Business-Use-Case-Usage``; quota → 403 code 4 with ``X-App-Usage``; 5xx → code 2
  ``is_transient``; unknown, unpublished or taken down → 400 code 100 subcode 33.
- Usage [sim]: with ``Simulation.instagram_calls_per_hour`` set, every answer carries
  ``X-Business-Use-Case-Usage`` (``call_count``: per cent of the budget spent in the last real
  hour, ``Simulation.instagram_usage_window``; the CPU and time shares follow it at 20 % and 30 %), and a call past the budget is the
  rate-limit error with ``estimated_time_to_regain_access`` (minutes).
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web

from tracker.simulate.faults import FaultSpec
from tracker.simulate.model import Post
from tracker.simulate.owners import bearer
from tracker.simulate.platforms.base import (
    decode_cursor,
    edges,
    encode_cursor,
    ids_param,
    int_param,
    json_response,
    newest_first,
    retry_headers,
)
from tracker.simulate.simulation import Simulation

Handler = Callable[[web.Request], Awaitable[web.Response]]
NAME = "instagram"
KINDS = frozenset({"rate_limit", "server_error", "expired_token", "quota"})
INSIGHTS = ("views", "reach", "likes", "comments", "shares", "saved", "total_interactions")
INSIGHTS_MIN_REACH = 5
"""Below this reach (people who saw the media) insights answer "(#10) Not enough viewers" [sim
threshold]: in the simulation, the first minute or two after publishing."""
UNSUPPORTED = {"STORY": ("likes", "comments", "saved")}
"""Insights metrics a media product type lacks (as Meta's reference lists them for stories)."""
_FIELDS = {"id", "like_count", "comments_count", "media_type", "media_product_type", "permalink", "timestamp",
           "caption", "username"}


def error(message: str, code: int, status: int, subcode: int | None = None, kind: str = "OAuthException",
          headers: dict[str, str] | None = None, transient: bool | None = None) -> web.Response:
    """A Graph API error body."""
    body: dict = {"message": message, "type": kind, "code": code, "fbtrace_id": uuid.uuid4().hex[:22]}
    if subcode is not None:
        body["error_subcode"] = subcode
    if transient is not None:
        body["is_transient"] = transient
    return json_response({"error": body}, status, headers)


def fault_response(spec: FaultSpec, sim: Simulation, path: str) -> web.Response:
    """The error this platform answers for a fault."""
    if spec.kind == "expired_token":
        return error("Error validating access token: Session has expired.", 190, 400, 463)
    if spec.kind == "rate_limit":
        usage = {"sim": [{"type": "instagram", "call_count": 100, "total_cputime": 20, "total_time": 30,
                          "estimated_time_to_regain_access": max(1, spec.retry_after // 60)}]}
        headers = {**retry_headers(spec), "X-Business-Use-Case-Usage": json.dumps(usage)}
        return error("There have been too many calls to this Instagram account.", 80002,
                     spec.http_status or 429, 2446079, headers=headers)
    if spec.kind == "quota":
        app_usage = json.dumps({"call_count": 100, "total_cputime": 35, "total_time": 41})
        return error("(#4) Application request limit reached", 4, 403, headers={"X-App-Usage": app_usage},
                     transient=True)
    return error("An unexpected error has occurred. Please retry your request later.", 2,
                 spec.http_status or 500, transient=True)


class UsageMeter:
    """Calls in ``sim.instagram_usage_window`` against ``sim.instagram_calls_per_hour`` [sim]."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.calls: deque[float] = deque()

    def spend(self) -> tuple[dict[str, str], float | None]:
        """Count one call: its usage header, and the seconds until access returns when the
        budget is spent (the call is then refused, and not counted)."""
        budget = self.sim.instagram_calls_per_hour
        if not budget:
            return {}, None
        now, window = time.monotonic(), self.sim.instagram_usage_window
        while self.calls and self.calls[0] <= now - window:
            self.calls.popleft()
        refused = len(self.calls) >= budget
        if not refused:
            self.calls.append(now)
        share = min(100, round(100 * len(self.calls) / budget))
        wait = self.calls[0] + window - now if refused else None
        entry = {"type": "instagram", "call_count": share, "total_cputime": share // 5, "total_time": share * 3 // 10,
                 "estimated_time_to_regain_access": 0 if wait is None else max(1, math.ceil(wait / 60))}
        return {"X-Business-Use-Case-Usage": json.dumps({"sim": [entry]})}, wait


def _graph_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _missing(media_id: str) -> web.Response:
    return error(f"Unsupported get request. Object with ID '{media_id}' does not exist, cannot be loaded due "
                 "to missing permissions, or does not support this operation.", 100, 400, 33, "GraphMethodException")


def routes(sim: Simulation) -> list[web.RouteDef]:
    """The Instagram endpoints (each with and without a version segment)."""

    def product(post: Post) -> str:
        default = "REELS" if post.content_form == "reel" else "FEED"
        return edges(sim).instagram_product.get(post.platform_post_id, default)

    def find(request: web.Request) -> tuple[Post | None, float]:
        """The media asked, None when it is gone or not the token's account's."""
        ts = sim.clock.timestamp()
        post = sim.find(NAME, request.match_info["media_id"], ts)
        who = sim.owners.reader(NAME, bearer(request.headers.get("Authorization")) or
                                request.query.get("access_token"))
        return (post if post is not None and who.reads(post) else None), ts

    async def media(request: web.Request) -> web.Response:
        post, ts = find(request)
        if post is None:
            return _missing(request.match_info["media_id"])
        c = sim.counts([post], ts)[0]
        full = {"id": post.platform_post_id, "comments_count": c["comments"], "permalink": post.url,
                "media_type": {"reel": "VIDEO", "carousel": "CAROUSEL_ALBUM"}.get(post.content_form, "IMAGE"),
                "media_product_type": product(post),
                "timestamp": post.published_at.strftime("%Y-%m-%dT%H:%M:%S+0000"), "caption": post.title,
                "username": sim.population.creator(post.creator).account(NAME).handle}
        if c["likes"] is not None:
            full["like_count"] = c["likes"]
        fields = ids_param(request, "fields") or ["id"]
        return json_response({f: full[f] for f in fields if f in full and f in _FIELDS})

    async def insights(request: web.Request) -> web.Response:
        post, ts = find(request)
        if post is None:
            return _missing(request.match_info["media_id"])
        metrics = ids_param(request, "metric")
        bad = [m for m in metrics if m not in INSIGHTS]
        if not metrics or bad:
            return error(f"(#100) metric[{metrics.index(bad[0]) if bad else 0}] must be one of the following "
                         f"values: {', '.join(INSIGHTS)}", 100, 400)
        lacking = [m for m in metrics if m in UNSUPPORTED.get(product(post), ())]
        if lacking:
            return error(f"(#100) The Media Insights API does not support the {', '.join(lacking)} metric for this "
                         "media product type.", 100, 400)
        c = sim.counts([post], ts)[0]
        if int(c["views"] * 0.62) < INSIGHTS_MIN_REACH:
            return error("(#10) Not enough viewers for the media to show insights", 10, 400)
        values = {"views": c["views"], "reach": int(c["views"] * 0.62), "likes": c["likes"],
                  "comments": c["comments"], "shares": c["shares"], "saved": c["saves"]}
        parts = [values[k] for k in ("likes", "comments", "shares", "saved") if values[k] is not None]
        values["total_interactions"] = sum(parts)
        data = [{"name": m, "period": "lifetime", "values": [{"value": values[m]}], "title": m.replace("_", " ").title(),
                 "description": f"Lifetime {m}", "id": f"{post.platform_post_id}/insights/{m}/lifetime"}
                for m in metrics if values[m] is not None]
        return json_response({"data": data})

    async def comments(request: web.Request) -> web.Response:
        post, ts = find(request)
        if post is None:
            return _missing(request.match_info["media_id"])
        size = int_param(request, "limit", 25, 1, 50)
        after = request.query.get("after")
        start = decode_cursor(after) if after else None
        if after and start is None:
            return error("Invalid cursor", 100, 400)
        indices, nxt = newest_first(sim.comment_count(post, ts), start, size)
        fields = ids_param(request, "fields") or ["id", "text", "timestamp"]
        data = []
        for c in sim.comments(post, indices):
            full = {"id": f"179{post.index:05d}{c.index:09d}", "text": c.text, "username": c.author_name,
                    "like_count": c.likes, "timestamp": _graph_time(c.created_ts)}
            data.append({f: full[f] for f in fields if f in full})
        body: dict = {"data": data}
        if indices:
            body["paging"] = {"cursors": {"before": encode_cursor(indices[0]), "after": encode_cursor(indices[-1] - 1)}}
            if nxt is not None:
                body["paging"]["next"] = f"{request.url.with_query({**request.query, 'after': encode_cursor(nxt)})}"
        return json_response(body)

    meter = UsageMeter(sim)

    def metered(handler: Handler) -> Handler:
        async def answer(request: web.Request) -> web.Response:
            who = sim.owners.reader(NAME, bearer(request.headers.get("Authorization")) or
                                    request.query.get("access_token"))
            if who.problem == "expired":
                return error("Error validating access token: Session has expired.", 190, 400, 463)
            if who.problem:
                return error("Invalid OAuth access token - Cannot parse access token", 190, 400, 467)
            headers, wait = meter.spend()
            if wait is not None:
                return error("There have been too many calls to this Instagram account.", 80002, 429, 2446079,
                             headers=headers)
            response = await handler(request)
            response.headers.update(headers)
            return response
        return answer

    out = []
    for prefix in ("/instagram", r"/instagram/{version:v\d+\.\d+}"):
        out += [web.get(prefix + r"/{media_id:\d+}", metered(media)),
                web.get(prefix + r"/{media_id:\d+}/insights", metered(insights)),
                web.get(prefix + r"/{media_id:\d+}/comments", metered(comments))]
    return out

