"""Small shape checks of each platform's documented payloads (PLATFORMS.md).

A spec is a Python value: a type (or tuple of types), a literal, a predicate
(callable), a ``[item_spec]`` list, or a dict whose keys are required,
``"?key"`` optional, ``"!key"`` forbidden (a metric the platform lacks must be
absent). ``problems(payload, spec)`` lists every mismatch with its path;
``SHAPES`` maps "<platform>.<endpoint>" to its spec. Collectors can reuse
them to check their fixtures.
"""

from __future__ import annotations

from typing import Any


def digits(v: Any) -> bool:
    """A count serialised as a string of digits (YouTube)."""
    return isinstance(v, str) and v.isdigit()


def wan(v: Any) -> bool:
    """A Xiaohongshu counter text: digits, or "1.2万"/"12万"."""
    if not isinstance(v, str):
        return False
    body = v[:-1] if v.endswith("万") else v
    return body.replace(".", "", 1).isdigit() and (v.endswith("万") or v.isdigit())


def count(v: Any) -> bool:
    """A non-negative integer count (bool excluded)."""
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def problems(value: Any, spec: Any, path: str = "$") -> list[str]:
    """Mismatches between ``value`` and ``spec`` (empty when it conforms)."""
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return [f"{path}: expected object, got {type(value).__name__}"]
        out: list[str] = []
        for key, sub in spec.items():
            name = key.lstrip("?!")
            if key.startswith("!"):
                if name in value:
                    out.append(f"{path}.{name}: must be absent")
            elif name in value:
                out += problems(value[name], sub, f"{path}.{name}")
            elif not key.startswith("?"):
                out.append(f"{path}.{name}: missing")
        return out
    if isinstance(spec, list):
        if not isinstance(value, list):
            return [f"{path}: expected array, got {type(value).__name__}"]
        return [p for i, item in enumerate(value) for p in problems(item, spec[0], f"{path}[{i}]")]
    if isinstance(spec, type) or (isinstance(spec, tuple) and all(isinstance(t, type) for t in spec)):
        ok = isinstance(value, spec) and not (isinstance(value, bool) and spec in (int, (int,)))
        return [] if ok else [f"{path}: expected {spec}, got {value!r}"]
    if callable(spec):
        return [] if spec(value) else [f"{path}: {getattr(spec, '__name__', 'check')} failed on {value!r}"]
    return [] if value == spec else [f"{path}: expected {spec!r}, got {value!r}"]


_YT_ERR = {"error": {"code": int, "message": str, "errors": [{"message": str, "domain": str, "reason": str}]}}
_BILI = {"code": int, "message": str, "ttl": int, "data": (dict, type(None))}
_DY_EXTRA = {"error_code": int, "description": str, "sub_error_code": int, "logid": str, "now": int}
_TT_ERROR = {"code": str, "message": str, "log_id": str}
_XHS = {"code": int, "success": bool, "msg": str, "data": dict}
_COMMENT_BILI = {"rpid": int, "rpid_str": str, "mid": int, "root": int, "parent": int, "ctime": int, "like": count,
                 "rcount": int, "member": {"uname": str}, "content": {"message": str}}

SHAPES: dict[str, Any] = {
    "youtube.videos": {"kind": "youtube#videoListResponse", "pageInfo": {"totalResults": int, "resultsPerPage": int},
                       "items": [{"id": str, "statistics": {"viewCount": digits, "?likeCount": digits,
                                                            "favoriteCount": "0", "commentCount": digits,
                                                            "!shareCount": None, "!dislikeCount": None}}]},
    "youtube.commentThreads": {"?nextPageToken": str, "pageInfo": dict, "items": [{"id": str, "snippet": {
        "totalReplyCount": int, "topLevelComment": {"id": str, "snippet": {
            "textDisplay": str, "textOriginal": str, "authorDisplayName": str, "likeCount": count,
            "publishedAt": str}}}, "?replies": {"comments": [{"id": str, "snippet": {
                "textDisplay": str, "textOriginal": str, "authorDisplayName": str, "likeCount": count,
                "publishedAt": str, "parentId": str}}]}}]},
    "youtube.error": _YT_ERR,
    "bilibili.envelope": _BILI,
    "bilibili.view": {**_BILI, "code": 0, "data": {"bvid": str, "aid": int, "title": str, "pubdate": int,
                                                   "owner": {"mid": int, "name": str},
                                                   "stat": {"aid": int, "view": count, "reply": count,
                                                            "favorite": count, "share": count, "like": count,
                                                            "dislike": 0}}},
    "bilibili.reply": {**_BILI, "code": 0, "data": {"page": {"num": int, "size": int, "count": int, "acount": int},
                                                    "replies": [_COMMENT_BILI]}},
    "bilibili.reply_reply": {**_BILI, "code": 0, "data": {"page": {"num": int, "size": int, "count": int},
                                                          "replies": [_COMMENT_BILI]}},
    "bilibili.reply_main": {**_BILI, "code": 0, "data": {"cursor": {"is_begin": bool, "is_end": bool, "next": int,
                                                                    "all_count": int, "pagination_reply": dict},
                                                         "replies": [_COMMENT_BILI]}},
    "weibo.count": [{"id": int, "reposts": count, "comments": count, "attitudes": count, "!views": None}],
    "weibo.comments": {"comments": [{"id": int, "idstr": str, "created_at": str, "text": str, "user": dict,
                                     "status": dict}], "total_number": int, "previous_cursor": int,
                       "next_cursor": int, "hasvisible": bool},
    "weibo.error": {"request": str, "error_code": (str, int), "error": str},
    "douyin.video_data": {"data": {"error_code": 0, "description": str, "list": [{
        "item_id": str, "create_time": int, "statistics": {
            "play_count": count, "digg_count": count, "comment_count": count, "share_count": count,
            "forward_count": int, "download_count": int, "!collect_count": None}}]}, "extra": _DY_EXTRA},
    "douyin.comments": {"data": {"error_code": 0, "list": [{"comment_id": str, "comment_user_id": str,
                                                            "content": str, "digg_count": count,
                                                            "reply_comment_total": int, "top": bool,
                                                            "create_time": int}],
                                 "cursor": int, "has_more": bool}, "extra": _DY_EXTRA},
    "douyin.error": {"data": {"error_code": int, "description": str}, "extra": _DY_EXTRA},
    "kuaishou.info": {"result": 1, "video_info": {"photo_id": str, "create_time": int, "like_count": count,
                                                  "comment_count": count, "view_count": count,
                                                  "!share_count": None}},
    "kuaishou.error": {"result": int, "error_msg": str},
    "xiaohongshu.envelope": _XHS,
    "xiaohongshu.feed": {**_XHS, "code": 0, "data": {"items": [{"id": str, "model_type": "note", "note_card": {
        "note_id": str, "interact_info": {"liked_count": wan, "collected_count": wan, "comment_count": wan,
                                          "share_count": wan, "!view_count": None}}}]}},
    "xiaohongshu.comments": {**_XHS, "code": 0, "data": {"comments": [{
        "id": str, "content": str, "create_time": int, "like_count": digits, "sub_comment_count": digits,
        "user_info": {"user_id": str, "nickname": str}}], "cursor": str, "has_more": bool}},
    "tiktok.video_query": {"data": {"videos": [{"id": str, "?view_count": count, "?like_count": count,
                                                "?comment_count": count, "?share_count": count,
                                                "!favorites_count": None}]}, "error": {**_TT_ERROR, "code": "ok"}},
    "tiktok.research_query": {"data": {"videos": [{"id": int, "?favorites_count": count}], "cursor": int,
                                       "has_more": bool, "search_id": str}, "error": {**_TT_ERROR, "code": "ok"}},
    "tiktok.comments": {"data": {"comments": [{"?id": int, "?text": str, "?create_time": int, "?like_count": count}],
                                 "cursor": int, "has_more": bool}, "error": {**_TT_ERROR, "code": "ok"}},
    "tiktok.error": {"data": dict, "error": _TT_ERROR},
    "instagram.insights": {"data": [{"name": str, "period": "lifetime", "values": [{"value": count}],
                                     "title": str, "description": str, "id": str}]},
    "instagram.media": {"id": str, "?like_count": count, "?comments_count": count, "?media_type": str,
                        "?timestamp": str},
    "instagram.comments": {"data": [{"id": str, "?text": str, "?timestamp": str, "?username": str,
                                     "?like_count": count}],
                           "?paging": {"cursors": {"before": str, "after": str}, "?next": str}},
    "instagram.error": {"error": {"message": str, "type": str, "code": int, "fbtrace_id": str}},
}


def check(name: str, payload: Any) -> list[str]:
    """Mismatches of ``payload`` against ``SHAPES[name]``."""
    return problems(payload, SHAPES[name])

