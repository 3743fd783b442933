"""Metric exports under ``/{platform}/export`` for every platform.

The only source for WeChat Channels, and for the export-only metrics of the
others (Douyin saves and 看后搜 searches as in Xingtu reports, Xiaohongshu
views and searches as in Pugongying reports). One row per post published and
still visible at ``as_of`` = the current simulated time floored to the hour;
columns ``post_id, platform_post_id, as_of`` then every metric the platform
has anywhere (``catalog.PlatformSpec.metrics``, DESIGN.md order); a hidden
metric is an empty cell (CSV) or null (JSON), never 0.

``GET /{platform}/export?format=csv|json[&post_ids=a,b]`` (``post_ids`` are
platform ids). JSON: ``{"platform","as_of","columns","rows":[{…}]}``. Faults:
rate limit → 429 + Retry-After, 5xx → plain-text status page [sim]. ``edges(sim).export_as_of``
serves a date alone (daily exports, Xingtu's 数据日期) or a local time without a zone [sim].
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from tracker.simulate.catalog import METRICS, PLATFORMS
from tracker.simulate.clock import iso
from tracker.simulate.faults import FaultSpec
from tracker.simulate.platforms.base import (
    EXPORT_ZONE,
    edges,
    ids_param,
    json_response,
    retry_headers,
)
from tracker.simulate.simulation import Simulation

KINDS = frozenset({"rate_limit", "server_error"})


def columns(platform: str) -> list[str]:
    """The export columns of ``platform``."""
    spec = PLATFORMS[platform]
    return ["post_id", "platform_post_id", "as_of"] + [m for m in METRICS if m in spec.metrics]


def fault_response(spec: FaultSpec, sim: Simulation, path: str) -> web.Response:
    """The error an export download answers for a fault."""
    if spec.kind == "rate_limit":
        return web.Response(text="Too Many Requests\n", status=spec.http_status or 429, headers=retry_headers(spec))
    status = spec.http_status or 503
    return web.Response(text=f"{status} Service Unavailable\n", status=status)


def routes(sim: Simulation) -> list[web.RouteDef]:
    """The export endpoint."""

    async def export(request: web.Request) -> web.Response:
        platform = request.match_info["platform"]
        if platform not in PLATFORMS:
            raise web.HTTPNotFound()
        now = sim.clock.now().replace(minute=0, second=0, microsecond=0)
        stated = iso(now)
        form, zone = edges(sim).export_as_of, ZoneInfo(EXPORT_ZONE)
        if form == "date":  # today's date, the counts of now
            now = sim.clock.now()
            stated = now.astimezone(zone).date().isoformat()
        elif form == "yesterday":  # a daily export of the last whole day: the counts at its end
            day = sim.clock.now().astimezone(zone).date() - timedelta(days=1)
            now = datetime.combine(day, time(23, 59, 59), zone).astimezone(UTC)
            stated = day.isoformat()
        elif form == "local":
            stated = now.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
        ts = now.timestamp()
        wanted = set(ids_param(request, "post_ids"))
        posts = [p for p in sim.population.posts if p.platform == platform and sim.live(p, ts)
                 and (not wanted or p.platform_post_id in wanted)]
        cols = columns(platform)
        rows = []
        for post, counts in zip(posts, sim.counts(posts, ts), strict=True):
            row = {"post_id": post.id, "platform_post_id": post.platform_post_id, "as_of": stated}
            row.update({m: counts[m] for m in cols[3:]})
            rows.append(row)
        if request.query.get("format", "csv") == "json":
            return json_response({"platform": platform, "as_of": stated, "columns": cols, "rows": rows})
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return web.Response(text=buf.getvalue(), content_type="text/csv",
                            headers={"Content-Disposition": f'attachment; filename="{platform}-export.csv"'})

    return [web.get("/{platform}/export", export)]
