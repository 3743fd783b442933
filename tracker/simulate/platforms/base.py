"""What every platform module of the simulator shares.

A platform module defines ``NAME``, ``KINDS`` (the fault kinds it can express
besides the generic slow/truncated/html), ``routes(sim)`` and
``fault_response(spec, sim)``. Error bodies marked [sim] in a module's
docstring are the simulator's choice where PLATFORMS.md documents none.
"""

from __future__ import annotations

import base64
import bisect
import uuid
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from tracker.simulate.faults import FaultSpec
from tracker.simulate.simulation import Simulation

GENERIC_KINDS = frozenset({"slow", "truncated", "html"})
HTML_PAGE = ("<html>\r\n<head><title>{status} Bad Gateway</title></head>\r\n<body>\r\n"
             "<center><h1>{status} Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
             "</body>\r\n</html>\r\n")


@dataclass
class Edges:
    """Edge formats a simulation serves on request [sim], set in process like
    ``Simulation.instagram_calls_per_hour``: ``edges(sim).pinned["<item id>"] = 3``.

    - ``pinned``: Douyin item id → index (0 = oldest) of the comment its creator pinned: it
      heads the first comment page with ``top`` true, whatever its age, and leaves its place.
    - ``hidden_counters``: Xiaohongshu note id → {interact_info key: "null" | "blank" | "absent"}:
      that counter is answered as null, as "" or not at all (hidden), the others as usual.
    - ``counter_forms``: post id (Bilibili, Weibo, Douyin, Kuaishou, TikTok Display) → {counter
      key as the platform names it: "text" | "bad"}: that counter is answered as a digit string
      of its value ("text") or as a text that is no count ("n/a", "bad").
    - ``douyin_status``: Douyin item id → the ``video_status`` its video_data item carries (1
      otherwise; 2 withheld, 4 in review, 7 private), its counters served as usual.
    - ``douyin_no_extra``: Douyin answers without the envelope's ``extra`` (data.error_code 0).
    - ``weibo_text_cursor``: Weibo writes ``next_cursor`` as a text ("0" at the end).
    - ``instagram_product``: Instagram media id → the ``media_product_type`` served (e.g.
      "STORY"); insights asked for a metric that type lacks (``UNSUPPORTED``) answer Graph's
      "(#100) The Media Insights API does not support the … metric for this media product type".
    - ``export_as_of``: how exports state their time: "" RFC 3339 UTC of the hour; "date" today's
      date alone in ``EXPORT_ZONE`` with the counts of now; "yesterday" yesterday's date alone
      with the counts at that day's end (23:59:59 there); "local" the hour in ``EXPORT_ZONE``
      without a zone ("2025-09-20 14:00:00").
    - ``tiktok_tokens``: TikTok checks tokens: the Display API takes only ``Bearer act.…``, the
      Research API only ``Bearer clt.…``; anything else is 401 access_token_invalid.
    - ``tiktok_unindexed``: TikTok video ids the Research video query leaves out (not indexed yet,
      or not public to research) while the Display API serves them.
    """

    pinned: dict[str, int] = field(default_factory=dict)
    hidden_counters: dict[str, dict[str, str]] = field(default_factory=dict)
    counter_forms: dict[str, dict[str, str]] = field(default_factory=dict)
    douyin_status: dict[str, int] = field(default_factory=dict)
    douyin_no_extra: bool = False
    weibo_text_cursor: bool = False
    instagram_product: dict[str, str] = field(default_factory=dict)
    export_as_of: str = ""
    tiktok_tokens: bool = False
    tiktok_unindexed: set[str] = field(default_factory=set)


EXPORT_ZONE = "Asia/Shanghai"
"""The zone of export times written without one (``Edges.export_as_of``) [sim]."""


def counter_form(sim: Simulation, post_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (counter key → count) as ``edges(sim).counter_forms`` has the post's served."""
    forms = edges(sim).counter_forms.get(post_id)
    if not forms:
        return values
    out = dict(values)
    for key, form in forms.items():
        if key in out:
            out[key] = str(out[key]) if form == "text" else "n/a"
    return out


_EDGES: weakref.WeakKeyDictionary[Simulation, Edges] = weakref.WeakKeyDictionary()


def edges(sim: Simulation) -> Edges:
    """The edge formats ``sim`` serves (none until set)."""
    found = _EDGES.get(sim)
    if found is None:
        found = _EDGES[sim] = Edges()
    return found


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response serialised with orjson (UTF-8, no ASCII escaping)."""
    return web.Response(body=orjson.dumps(data), status=status, headers=headers,
                        content_type="application/json", charset="utf-8")


def html_response(status: int) -> web.Response:
    """An HTML error page like a gateway in front of the API would send."""
    return web.Response(text=HTML_PAGE.format(status=status), status=status, content_type="text/html")


def truncate(response: web.Response) -> web.Response:
    """The same response with its body cut in half (invalid JSON, same headers)."""
    body = response.body if isinstance(response.body, bytes) else b""
    cut = body[: max(0, len(body) // 2)] if len(body) > 1 else b""
    return web.Response(body=cut, status=response.status, content_type=response.content_type,
                        charset=response.charset)


def retry_headers(spec: FaultSpec) -> dict[str, str]:
    """Retry-After (seconds) as configured on a rate-limit fault."""
    return {"Retry-After": str(spec.retry_after)}


def ids_param(request: web.Request, name: str) -> list[str]:
    """A comma-separated id list from the query string (empty items dropped)."""
    return [x for x in request.query.get(name, "").split(",") if x.strip()]


def int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter clamped to [low, high]; ``default`` when absent or bad."""
    try:
        value = int(request.query.get(name, default))
    except ValueError:
        return default
    return max(low, min(high, value))


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object body, or {} when it is missing or not an object."""
    try:
        data = orjson.loads(await request.read() or b"{}")
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def encode_cursor(index: int) -> str:
    """An opaque page token for comment index ``index``."""
    return base64.urlsafe_b64encode(f"c{index}".encode()).decode().rstrip("=")


def decode_cursor(token: str) -> int | None:
    """The comment index in a token from ``encode_cursor``; None when invalid."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        return int(text[1:]) if text.startswith("c") else None
    except (ValueError, UnicodeDecodeError):
        return None


def newest_first(count: int, start: int | None, size: int) -> tuple[list[int], int | None]:
    """Indices of one newest-first page starting at ``start`` (None = newest) and the next start."""
    top = count - 1 if start is None else min(start, count - 1)
    indices = list(range(top, max(top - size, -1), -1))
    nxt = top - size
    return indices, (nxt if nxt >= 0 else None)


def newest_threads(roots: list[int], start: int | None, size: int) -> tuple[list[int], int | None]:
    """One newest-first page of top-level comments ``roots`` (indices, oldest first) from the one at
    comment index ``start`` or the newest before it (None = newest), and the next page's start."""
    top = len(roots) - 1 if start is None else bisect.bisect_right(roots, start) - 1
    page = [roots[i] for i in range(top, max(top - size, -1), -1)]
    return page, (roots[top - size] if top - size >= 0 else None)


def log_id(sim: Simulation) -> str:
    """A request log id like the platforms return (time prefix + random hex)."""
    return sim.clock.now().strftime("%Y%m%d%H%M%S") + uuid.uuid4().hex[:18].upper()


def rfc3339(ts: float) -> str:
    """Unix seconds as RFC 3339 UTC with Z (YouTube style)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
