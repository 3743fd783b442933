"""Metric exports over HTTP: ``GET <base>/export?format=json&post_ids=a,b``.

The source for platforms without an API (WeChat Channels) and for export-only
metrics (Douyin saves and searches after viewing as in Xingtu reports,
Xiaohongshu views as in Pugongying reports). The body is ``{"as_of", "columns",
"rows": [{post_id, platform_post_id, as_of, <metric>...}]}``; a metric the export
lacks is absent or null (None, never 0). ``observed_at`` is the row's ``as_of``:
the time the export states for its figures. Rows are checked with the same
mapping as ``tracker snapshots import`` (``tracker.collect.exportrows``).

Times written without a zone are read in the platform's zone (``PlatformConfig.quota_zone``:
Asia/Shanghai for the Chinese platforms, whose exports — Xingtu, Pugongying, Channels — state
Beijing dates and times). A date alone (Xingtu's 数据日期) is a daily export's: the counts at the
end of that day there, or the present while that day is not over, never a time to come.
A row that cannot be read fails that post alone; the export's other rows are kept. Rows of posts
not asked for (an export of a creator's whole account) are not read, and rows that name no post
(a total line) are left out and logged: neither costs the posts asked for.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tracker.collect import errors as e
from tracker.collect.exportrows import RowError, canonical, observation_from_row
from tracker.collect.http import PlatformHttp, Request
from tracker.collect.model import Observation, PostRef
from tracker.collect.platforms.base import Adapter, http_status, json_body, need, register
from tracker.contracts.vocab import METRICS

log = logging.getLogger(__name__)


def row_id(row: dict[str, Any]) -> str:
    """The platform id a row names (its platform_post_id, or the tail of its post_id), '' if none."""
    fields = {canonical(k): v for k, v in row.items() if canonical(k) in ("post_id", "platform_post_id")}
    pid = str(fields.get("platform_post_id") or "").strip()
    return pid or str(fields.get("post_id") or "").strip().partition(":")[2]


@register
class Export(Adapter):
    name = "export"
    batch_size = 200
    exposes = METRICS

    async def fetch_metrics(self, http: PlatformHttp, posts: Sequence[PostRef]) -> list[Observation]:
        request = Request("GET", "/export", {"format": "json",
                                             "post_ids": ",".join(p.platform_post_id for p in posts)})
        platform = self.platform
        zone = ZoneInfo(self.config.quota_zone)
        asked = {p.platform_post_id: p for p in posts}

        def parse(response: httpx.Response) -> dict[str, Observation]:
            body = json_body(response, platform)
            http_status(response, platform)
            now = datetime.fromtimestamp(http.clock.now(), UTC)
            out = {}
            unnamed = []
            for i, row in enumerate(need(body, "rows", list, platform)):
                if not isinstance(row, dict):
                    raise e.InvalidResponse(f"{platform} export: row {i} is not an object")
                post = asked.get(row_id(row))
                if post is None:  # another post's row (an export of a whole account), or a total line
                    if not row_id(row):
                        unnamed.append(str(i))
                    continue
                row = {"as_of": body.get("as_of"), **row}
                try:
                    out[post.platform_post_id] = observation_from_row(row, platform, tz=zone, now=now)
                except RowError as exc:
                    out[post.platform_post_id] = self.invalid(post, f"{platform} export: row {i}: {exc}")
            if unnamed:
                log.warning("%s export: rows %s name no post (post_id or platform_post_id); left out",
                            platform, ", ".join(unnamed[:10]) + (" …" if len(unnamed) > 10 else ""))
            return out

        found = await http.call(request, parse)
        # an export lists what it had at its as_of: a post it leaves out is not known to be gone
        return [found[p.platform_post_id] for p in posts if p.platform_post_id in found]
