"""Collectors: posts refreshed per second against the simulator, and memory with 1M scheduled posts.

Throughput: the simulator runs as its own process with its clock at 3600× and every
cadence set to one event-time second, so every post is always due and one
collector (every platform loop, adapters, validation, idempotent producer to a
private Kafka node) runs flat out for 15 s. The baseline, measured in the same
run, is a bare httpx loop sending the same requests (same batches, same
concurrency per platform) and discarding the answers.

Memory: the scheduler's resident size with 1,000,000 posts (200 tenants, 50,000 creators, 5 %
heated) measured in a fresh process, next to the same posts held the obvious way
(a dataclass per post in a dict, a heap of tuples).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.bench.services import kafka_node, make_topics
from tracker.simulate.population import generate_population

POSTS, SEED, SECONDS = 200, 7, 15.0
START = "2025-09-25T00:00:00Z"  # every post published


def _start_simulator() -> tuple[subprocess.Popen[str], str]:
    tracker = Path(sys.executable).with_name("tracker")
    proc = subprocess.Popen([str(tracker), "simulate", "--posts", str(POSTS), "--seed", str(SEED), "--port", "0",
                             "--speed", "3600", "--start", START], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def _settings(bootstrap: str, prefix: str, url: str) -> Any:
    from tracker.settings import Settings

    second = 1 / 60
    return Settings(_env_file=None, kafka_bootstrap=bootstrap, topic_prefix=prefix, collect_simulator_url=url,
                    collect_cadence=[(1e9, second)], collect_old_minutes=second, collect_heated_minutes=second,
                    collect_comments=False, collect_tick_seconds=0.01)


async def _collector(settings: Any) -> tuple[float, int]:
    """(posts refreshed per second, posts tracked) of one collector over SECONDS."""
    from tracker.collect.service import Collection
    from tracker.registry.importer import send
    from tracker.registry.reader import Document, Row
    from tracker.registry.records import Options, build
    from tracker.simulate.registry import campaign_document

    doc_data = campaign_document(generate_population(SEED, POSTS))
    doc = Document("campaign", meta={"format": doc_data["format"]},
                   sections={k: [Row(None, item) for item in v] for k, v in doc_data.items() if isinstance(v, list)})
    registry = build(doc, Options(version=1))
    for post in registry.posts:
        post["tracking_end"] = None  # keep every post due for the whole run
    from tracker.broker import topics as t

    await send(settings, [(t.POSTS, m) for m in registry.posts])
    async with Collection(settings) as c:
        await asyncio.wait_for(c.feed.loaded.wait(), 60)
        assert c.collector is not None
        await asyncio.sleep(2.0)  # warm up: connections, first batches
        before, started = c.collector.refreshed, time.perf_counter()
        await asyncio.sleep(SECONDS)
        rate = (c.collector.refreshed - before) / (time.perf_counter() - started)
        return rate, len(c.scheduler)


async def _bare(url: str, settings: Any) -> float:
    """Posts per second of a bare httpx loop sending the collector's requests and ignoring the answers."""
    from tracker.collect.config import platform_configs
    from tracker.collect.platforms import adapter_for

    pop = generate_population(SEED, POSTS)
    configs = platform_configs(settings)
    posts = 0
    deadline = time.perf_counter() + SECONDS

    async def platform_loop(name: str) -> None:
        nonlocal posts
        cfg = configs[name]
        adapter = adapter_for(cfg)
        ids = [p.platform_post_id for p in pop.posts if p.platform == name]
        batches = [ids[i:i + adapter.batch] for i in range(0, len(ids), adapter.batch)]
        async with httpx.AsyncClient(base_url=cfg.base_url, timeout=30,
                                     limits=httpx.Limits(max_connections=cfg.concurrency)) as client:

            async def worker(k: int) -> None:
                nonlocal posts
                i = k
                while time.perf_counter() < deadline:
                    batch = batches[i % len(batches)]
                    i += cfg.concurrency
                    method, path, kwargs = _request(name, batch)
                    await client.request(method, path, **kwargs)
                    posts += len(batch)

            await asyncio.gather(*(worker(k) for k in range(cfg.concurrency)))

    started = time.perf_counter()
    await asyncio.gather(*(platform_loop(name) for name in configs))
    return posts / (time.perf_counter() - started)


def _request(platform: str, ids: list[str]) -> tuple[str, str, dict[str, Any]]:
    if platform == "youtube":
        return "GET", "/v3/videos", {"params": {"part": "statistics", "id": ",".join(ids)}}
    if platform == "weibo":
        return "GET", "/2/statuses/count.json", {"params": {"ids": ",".join(ids)}}
    if platform == "douyin":
        return "POST", "/api/douyin/v1/video/video_data/", {"params": {"open_id": "o"}, "json": {"item_ids": ids}}
    if platform == "tiktok":
        return "POST", "/v2/video/query/", {"params": {"fields": "id,view_count,like_count,comment_count,share_count"},
                                            "json": {"filters": {"video_ids": ids}}}
    if platform == "bilibili":
        return "GET", "/x/web-interface/view", {"params": {"bvid": ids[0]}}
    if platform == "kuaishou":
        return "GET", "/openapi/photo/info", {"params": {"photo_id": ids[0]}}
    if platform == "instagram":
        return "GET", f"/{ids[0]}/insights", {"params": {"metric": "views,likes,comments,shares,saved"}}
    if platform == "xiaohongshu":
        return "POST", "/api/sns/web/v1/feed", {"json": {"source_note_id": ids[0]}}
    return "GET", "/export", {"params": {"format": "json", "post_ids": ",".join(ids)}}


MEMORY_PROBE = r"""
import gc, json, os, random, sys, time
def rss():
    for line in open(f"/proc/{os.getpid()}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
from tracker.collect.cadence import Cadence
from tracker.collect.scheduler import Scheduler
import tracker.collect.service, numpy  # what a collector process has loaded anyway
N = 1_000_000
now = 1_758_000_000.0
rnd = random.Random(7)
platforms = ["douyin", "xiaohongshu", "weibo", "kuaishou", "bilibili", "wechat_channels", "tiktok", "instagram", "youtube"]
published = [now - rnd.uniform(0, 60 * 86400) for _ in range(N)]
gc.collect()
base = rss()
kind = sys.argv[1]
started = time.perf_counter()
if kind == "scheduler":
    s = Scheduler(Cadence(), platforms)
    for i in range(N):
        key = f"{platforms[i % 9]}:{7300000000000000000 + i}".encode()  # a fresh id, as from a Kafka key
        s.upsert(key, f"tenant-{i % 200}", platforms[i % 9], published[i], published[i] + 90 * 86400, now, i % 16,
                 f"cr-{i % 50000:05d}")
        if i % 20 == 0:
            s.set_heating(key, "h1", now + 3600, now + 90000, now)
    built = time.perf_counter() - started
    gc.collect()
    size = rss() - base
    t0 = time.perf_counter(); popped = 0
    for p in platforms:
        for slot in s.pop_due(p, now + 3 * 3600, 20000):
            s.done(slot, now + 3 * 3600); popped += 1
    pops = popped / (time.perf_counter() - t0)
else:
    import heapq
    from dataclasses import dataclass
    @dataclass
    class Post:
        post_id: str; tenant: str; creator: str; platform: str; published: float; end: float; due: float
        last: float; heats: list
    posts = {}; heap = []
    for i in range(N):
        key = f"{platforms[i % 9]}:{7300000000000000000 + i}"
        posts[key] = Post(key, f"tenant-{i % 200}", f"cr-{i % 50000:05d}", platforms[i % 9], published[i],
                          published[i] + 90 * 86400,
                          max(now, published[i]), 0.0, [(now + 3600, now + 90000)] if i % 20 == 0 else [])
        heapq.heappush(heap, (posts[key].due, key))
    built = time.perf_counter() - started
    gc.collect()
    size = rss() - base
    pops = 0.0
print(json.dumps({"bytes": size, "seconds": built, "pops": pops}))
"""


def _memory(kind: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", MEMORY_PROBE, kind], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2], env={**os.environ, "PYTHONHASHSEED": "0"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(report: Callable[..., None]) -> None:
    mem = _memory("scheduler")
    naive = _memory("naive")
    report("scheduler memory, 1M scheduled posts (goal <= 300 MB)", mem["bytes"] / 2**20, "MB",
           baseline=naive["bytes"] / 2**20)
    report("scheduler memory per post", mem["bytes"] / 1e6, "bytes", baseline=naive["bytes"] / 1e6)
    report("schedule 1M posts from the registry", 1e6 / mem["seconds"], "posts/s", baseline=1e6 / naive["seconds"])
    report("pop + reschedule due posts (1M held)", mem["pops"], "posts/s")
    proc, url = _start_simulator()
    try:
        with kafka_node() as (bootstrap, _):
            prefix = "bench."
            make_topics(bootstrap, prefix)
            settings = _settings(bootstrap, prefix, url)
            bare = asyncio.run(_bare(url, settings))
            rate, tracked = asyncio.run(_collector(settings))
            report(f"one collector, {tracked} posts, 9 platforms (simulator at 3600x)", rate, "posts/s",
                   baseline=bare)
            report("baseline: bare httpx loop, same requests, answers ignored", bare, "posts/s")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    run(lambda name, value, unit, baseline=None: print(f"{name:<58} {value:>12,.1f} {unit}"
                                                       + (f"  ({value / baseline:.2f}x)" if baseline else "")))
