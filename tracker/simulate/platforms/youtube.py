"""YouTube Data API v3 under ``/youtube/v3`` (PLATFORMS.md §2).

- ``GET /youtube/v3/videos?part=statistics[,snippet]&id=A,B`` (≤50 ids): counts are
  strings, ``favoriteCount`` is "0", ``likeCount`` is absent when likes are hidden;
  unknown, unpublished and taken-down ids are simply missing from ``items``.
- ``GET /youtube/v3/commentThreads?part=snippet[,replies]&videoId=&maxResults=1..100&pageToken=``:
  threads newest first (by their top-level comment), each with ``snippet.totalReplyCount``
  and, asked with ``replies``, ``replies.comments[]`` (every reply, oldest first [sim]; each
  ``snippet.parentId`` = the thread's id); the last page has no ``nextPageToken``. The video's
  ``commentCount`` counts the replies too.
- Errors ``{"error":{"code","message","errors":[{"message","domain","reason"}]}}``:
  quota → 403 quotaExceeded; expired token → 401 authError; rate limit → 429
  rateLimitExceeded + Retry-After; 5xx backendError; 404 videoNotFound; 400
  invalidPageToken / missingRequiredParameter.
"""

from __future__ import annotations

from aiohttp import web

from tracker.simulate.clock import iso
from tracker.simulate.comments import Comment
from tracker.simulate.faults import FaultSpec
from tracker.simulate.platforms.base import (
    decode_cursor,
    encode_cursor,
    ids_param,
    int_param,
    json_response,
    newest_threads,
    retry_headers,
    rfc3339,
)
from tracker.simulate.simulation import Simulation

NAME = "youtube"
KINDS = frozenset({"rate_limit", "server_error", "expired_token", "quota"})
_MESSAGES = {
    "quotaExceeded": "The request cannot be completed because you have exceeded your quota.",
    "authError": "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                 "login cookie or other valid authentication credential.",
    "rateLimitExceeded": "The request cannot be completed because you have exceeded your rate limit.",
    "backendError": "The service is currently unavailable.",
    "videoNotFound": "The video identified by the videoId parameter could not be found.",
    "invalidPageToken": "The request specifies an invalid page token.",
    "missingRequiredParameter": "No filter selected. Expected one of: id, chart, myRating.",
}


def error(status: int, reason: str, domain: str = "youtube.api",
          headers: dict[str, str] | None = None) -> web.Response:
    """A YouTube error body."""
    message = _MESSAGES.get(reason, reason)
    body = {"error": {"code": status, "message": message,
                      "errors": [{"message": message, "domain": domain, "reason": reason}]}}
    return json_response(body, status, headers)


def fault_response(spec: FaultSpec, sim: Simulation, path: str) -> web.Response:
    """The error this platform answers for a fault."""
    if spec.kind == "quota":
        return error(403, "quotaExceeded", "youtube.quota")
    if spec.kind == "expired_token":
        return error(401, "authError", "global", {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})
    if spec.kind == "rate_limit":
        return error(spec.http_status or 429, "rateLimitExceeded", "youtube.quota", retry_headers(spec))
    return error(spec.http_status or 503, "backendError", "global")


def routes(sim: Simulation) -> list[web.RouteDef]:
    """The YouTube endpoints."""

    async def videos(request: web.Request) -> web.Response:
        parts = set(ids_param(request, "part"))
        ids = ids_param(request, "id")
        if not parts or not ids:
            return error(400, "missingRequiredParameter")
        if len(ids) > 50:
            return error(400, "invalidParameter")
        ts = sim.clock.timestamp()
        found = sim.find_all(NAME, ids, ts)
        items = []
        for post, counts in zip(found, sim.counts(found, ts), strict=True):
            item: dict = {"kind": "youtube#video", "etag": f"e{post.index}", "id": post.platform_post_id}
            if "snippet" in parts:
                item["snippet"] = {"publishedAt": iso(post.published_at), "channelId": post.extra["account_id"],
                                   "title": post.title, "channelTitle": sim.population.creator(post.creator).name}
            if "statistics" in parts:
                stats = {"viewCount": str(counts["views"])}
                if counts["likes"] is not None:
                    stats["likeCount"] = str(counts["likes"])
                stats["favoriteCount"] = "0"
                stats["commentCount"] = str(counts["comments"])
                item["statistics"] = stats
            items.append(item)
        return json_response({"kind": "youtube#videoListResponse", "etag": "sim",
                              "items": items, "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}})

    async def comment_threads(request: web.Request) -> web.Response:
        video_id = request.query.get("videoId")
        if not video_id:
            return error(400, "missingRequiredParameter")
        ts = sim.clock.timestamp()
        post = sim.find(NAME, video_id, ts)
        if post is None:
            return error(404, "videoNotFound")
        size = int_param(request, "maxResults", 20, 1, 100)
        token = request.query.get("pageToken")
        start = decode_cursor(token) if token else None
        if token and start is None:
            return error(400, "invalidPageToken")
        threads, nxt = newest_threads(sim.threads(post, ts), start, size)
        with_replies = "replies" in ids_param(request, "part")

        def comment(c: Comment, parent: str | None = None) -> dict:
            cid = f"Ug{post.platform_post_id}{c.index:08x}"
            snippet = {"channelId": post.extra["account_id"], "videoId": video_id, "textDisplay": c.text,
                       "textOriginal": c.text, "authorDisplayName": f"@{c.author_name}",
                       "authorChannelId": {"value": f"UC{c.author_id}"}, "canRate": True, "viewerRating": "none",
                       "likeCount": c.likes, "publishedAt": rfc3339(c.created_ts), "updatedAt": rfc3339(c.created_ts)}
            if parent is not None:
                snippet["parentId"] = parent
            return {"kind": "youtube#comment", "etag": cid, "id": cid, "snippet": snippet}

        items = []
        for c in sim.comments(post, threads):
            top = comment(c)
            replies = sim.comments(post, sim.replies(post, c.index, ts))
            item = {"kind": "youtube#commentThread", "etag": top["id"], "id": top["id"],
                    "snippet": {"channelId": post.extra["account_id"], "videoId": video_id, "topLevelComment": top,
                                "canReply": True, "totalReplyCount": len(replies), "isPublic": True}}
            if with_replies and replies:
                item["replies"] = {"comments": [comment(r, top["id"]) for r in replies]}
            items.append(item)
        body: dict = {"kind": "youtube#commentThreadListResponse", "etag": "sim",
                      "pageInfo": {"totalResults": len(items), "resultsPerPage": size}, "items": items}
        if nxt is not None:
            body["nextPageToken"] = encode_cursor(nxt)
        return json_response(body)

    return [web.get("/youtube/v3/videos", videos), web.get("/youtube/v3/commentThreads", comment_threads)]
