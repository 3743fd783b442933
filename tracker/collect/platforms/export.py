"""Metric exports over HTTP: ``GET <base>/export?format=json&post_ids=a,b``.

The source for platforms without an API (WeChat Channels) and for export-only
metrics (Douyin saves and searches after viewing as in Xingtu reports,
Xiaohongshu views as in Pugongying reports). The body is ``{"as_of", "columns",
"rows": [{post_id, platform_post_id, as_of, <metric>...}]}``; a metric the export
lacks is absent or null (None, never 0). ``observed_at`` is the row's ``as_of``:
the time the export states for its figures. Rows are checked with the same
mapping as ``tracker snapshots import`` (``tracker.collect.exportrows``).
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from tracker.collect import errors as e
from tracker.collect.exportrows import RowError, observation_from_row
from tracker.collect.http import PlatformHttp, Request
from tracker.collect.model import Observation, PostRef
from tracker.collect.platforms.base import Adapter, http_status, json_body, need, register
from tracker.contracts.vocab import METRICS


@register
class Export(Adapter):
    name = "export"
    batch_size = 200
    exposes = METRICS

    async def fetch_metrics(self, http: PlatformHttp, posts: Sequence[PostRef]) -> list[Observation]:
        request = Request("GET", "/export", {"format": "json",
                                             "post_ids": ",".join(p.platform_post_id for p in posts)})
        platform = self.platform

        def parse(response: httpx.Response) -> dict[str, Observation]:
            body = json_body(response, platform)
            http_status(response, platform)
            out = {}
            for i, row in enumerate(need(body, "rows", list, platform)):
                if not isinstance(row, dict):
                    raise e.InvalidResponse(f"{platform} export: row {i} is not an object")
                row = {"as_of": body.get("as_of"), **row}
                try:
                    obs = observation_from_row(row, platform)
                except RowError as exc:
                    raise e.InvalidResponse(f"{platform} export: row {i}: {exc}") from None
                out[obs.post_id.partition(":")[2]] = obs
            return out

        found = await http.call(request, parse)
        # an export lists what it had at its as_of: a post it leaves out is not known to be gone
        return [found[p.platform_post_id] for p in posts if p.platform_post_id in found]
