"""Requests/s the platform simulator sustains for a 200-post campaign.

The simulator runs as its own process (``tracker simulate``, clock running at
60×); an httpx AsyncClient loop with a few concurrent workers drives it for
~10 s with a mix of every platform's metrics and comment endpoints. The
baseline, measured in the same run, is ``/_sim/health`` (aiohttp's own ceiling
with this client on this machine).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tracker.simulate.population import generate_population

POSTS, SEED, WORKERS = 200, 7, 16
START = "2025-09-25T00:00:00Z"  # every post published (the clock then runs at 60x)
Req = tuple[str, str, dict[str, Any], Any, int]  # method, path, params, json body, posts covered


def _requests() -> list[Req]:
    """A mix of metric batches and comment pages over the population."""
    pop = generate_population(SEED, POSTS)
    by: dict[str, list] = {}
    for p in pop.posts:
        by.setdefault(p.platform, []).append(p)
    ids = {k: [p.platform_post_id for p in v] for k, v in by.items()}
    out: list[Req] = [
        ("GET", "/youtube/v3/videos", {"part": "statistics", "id": ",".join(ids["youtube"][:50])}, None,
         len(ids["youtube"][:50])),
        ("GET", "/weibo/2/statuses/count.json", {"ids": ",".join(ids["weibo"][:100])}, None, len(ids["weibo"][:100])),
        ("POST", "/douyin/api/douyin/v1/video/video_data/", {"open_id": "o"}, {"item_ids": ids["douyin"][:20]},
         len(ids["douyin"][:20])),
        ("POST", "/tiktok/v2/video/query/", {"fields": "id,view_count,like_count,comment_count,share_count"},
         {"filters": {"video_ids": ids["tiktok"][:20]}}, len(ids["tiktok"][:20])),
        ("GET", "/wechat_channels/export", {"format": "json"}, None, len(ids["wechat_channels"])),
    ]
    for p in by["bilibili"][:5]:
        out.append(("GET", "/bilibili/x/web-interface/view", {"bvid": p.platform_post_id}, None, 1))
        out.append(("GET", "/bilibili/x/v2/reply", {"type": 1, "oid": p.extra["aid"], "ps": 20}, None, 0))
    for p in by["xiaohongshu"][:5]:
        out.append(("POST", "/xiaohongshu/api/sns/web/v1/feed", {}, {"source_note_id": p.platform_post_id}, 1))
    for p in by["instagram"][:5]:
        out.append(("GET", f"/instagram/{p.platform_post_id}/insights",
                    {"metric": "views,likes,comments,shares,saved"}, None, 1))
    for p in by["kuaishou"][:3]:
        out.append(("GET", "/kuaishou/openapi/photo/info", {"photo_id": p.platform_post_id}, None, 1))
    out.append(("GET", "/youtube/v3/commentThreads", {"part": "snippet", "videoId": ids["youtube"][0],
                                                       "maxResults": 50}, None, 0))
    return out


async def _drive(url: str, requests: list[Req], seconds: float) -> tuple[float, float, int]:
    """(requests/s, posts/s, errors) over ``seconds`` with WORKERS concurrent loops."""
    cycle = itertools.cycle(requests)
    done = posts = errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=WORKERS, max_keepalive_connections=WORKERS)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal done, posts, errors
            while time.perf_counter() < deadline:
                method, path, params, body, covered = next(cycle)
                r = await client.request(method, path, params=params, json=body)
                done += 1
                posts += covered
                errors += r.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(WORKERS)))
        elapsed = time.perf_counter() - started
    return done / elapsed, posts / elapsed, errors


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(report: Callable[..., None]) -> None:
    """Start the simulator, measure the baseline and the platform mix, print the figures."""
    tracker = Path(sys.executable).with_name("tracker")
    started = time.perf_counter()
    proc = subprocess.Popen([str(tracker), "simulate", "--posts", str(POSTS), "--seed", str(SEED), "--port", "0",
                             "--speed", "60", "--start", START], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        report("simulator start (200 posts: generate + simulate + bind)", time.perf_counter() - started, "s")
        health = [("GET", "/_sim/health", {}, None, 0)]
        cpu0 = _cpu_seconds(proc.pid)
        base_rps, _, _ = asyncio.run(_drive(url, health, 3.0))
        cpu1 = _cpu_seconds(proc.pid)
        rps, posts, errors = asyncio.run(_drive(url, _requests(), 10.0))
        cpu2 = _cpu_seconds(proc.pid)
        report("baseline: GET /_sim/health (httpx loop, client-bound)", base_rps, "req/s")
        report("platform mix (metrics batches + comment pages)", rps, "req/s", baseline=base_rps)
        report("post snapshots served", posts, "posts/s")
        report("non-200 answers in the mix (no faults configured)", errors, "responses")
        base_cpu = (cpu1 - cpu0) / max(base_rps * 3.0, 1) * 1000
        mix_cpu = (cpu2 - cpu1) / max(rps * 10.0, 1) * 1000
        report("simulator CPU per request, /_sim/health", base_cpu, "ms")
        report("simulator CPU per request, platform mix", mix_cpu, "ms", baseline=base_cpu)
        report("simulator capacity on one core, platform mix (1000 / CPU ms)", 1000 / max(mix_cpu, 1e-6), "req/s")
        report("simulator resident memory", _rss_mb(proc.pid), "MB")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    run(lambda name, value, unit, baseline=None: print(f"{name:<58} {value:>12,.1f} {unit}"))
