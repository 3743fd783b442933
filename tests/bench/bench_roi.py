"""Campaign ROI query for a 10k-post campaign next to 10M (and, when it fits, 100M)
generated snapshot rows on the embedded engine. Goal: < 500 ms at 100M.

Rows are generated inside the engine (INSERT … SELECT FROM numbers()). The ROI
query is what ``tracker roi --campaign C`` runs (groups by platform, totals,
campaign-level money). Its baseline is the same query measured before any
snapshot exists; a second baseline is the naive alternative that reads the
latest counters from snapshots (argMax) instead of post_totals.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from tests.bench.services import engine_url
from tracker.report import queries as q
from tracker.settings import Settings
from tracker.store.access import _StoreReader
from tracker.store.client import embedded_path
from tracker.store.migrations import migrate
from tracker.store.store import Store

POSTS = 10_000
STEPS = (10_000_000, 100_000_000)
TENANT, CAMPAIGN = "bench", "c-bench"
MAX_SECONDS_100M = float(os.environ.get("TRACKER_BENCH_ROI_MAX_SECONDS", "300"))

SEED = [
    "INSERT INTO tenants VALUES ('bench', 'Bench', 'CNY', 1)",
    "INSERT INTO campaigns (tenant, campaign_id, name, reporting_currency, starts_at, version) "
    "VALUES ('bench', 'c-bench', 'Bench', '', '2025-01-01 00:00:00', 1)",
    "INSERT INTO fx_rates VALUES ('', 'USD', 'CNY', '2024-12-01', 7.2, 'bench', 1)",
    "INSERT INTO emv_unit_values SELECT '', '', arrayJoin(['views','likes','comments','shares','saves','searches']), "
    "'2024-01-01', 0.05, 'CNY', 1",
    # 10k posts on 9 platforms and 5 tiers; every 10th in one of 500 two-post bundles
    "INSERT INTO posts SELECT 'bench', concat(p, ':', toString(number)), p, toString(number), '', 'c-bench', "
    "concat('cr', toString(number % 2000)), '', ['mega','macro','mid','micro','nano'][number % 5 + 1], "
    "if(number % 3 = 0, 'image_text', 'video'), toDateTime64('2025-01-01 00:00:00', 3) + number * 60, NULL, "
    "if(number % 10 = 0, concat('b', toString(intDiv(number, 20))), ''), [], 0, 1 "
    "FROM (SELECT number, ['douyin','xiaohongshu','weibo','kuaishou','bilibili','wechat_channels','tiktok',"
    "'instagram','youtube'][number % 9 + 1] AS p FROM numbers(10000))",
    "INSERT INTO cost_lines SELECT 'bench', concat(post_id, ':', k), 'c-bench', post_id, bundle_id, k, "
    "if(k = 'fee', 5000 + cityHash64(post_id) % 20000, 250), if(cityHash64(post_id) % 4 = 0, 'USD', 'CNY'), "
    "toDate(published_at), '', 1 FROM posts ARRAY JOIN ['fee', 'service_fee'] AS k",
    "INSERT INTO bundles SELECT 'bench', bundle_id, 'c-bench', 10000, 'CNY', '2025-01-01', 'by_views', 1 "
    "FROM posts WHERE bundle_id != '' GROUP BY bundle_id",
    "INSERT INTO cost_lines VALUES ('bench', 'agency', 'c-bench', '', '', 'extra', 50000, 'CNY', '2025-01-05', '', 1)",
    "INSERT INTO heating_nodes SELECT 'bench', post_id, 'h1', 'c-bench', 'dou_plus', published_at + INTERVAL 2 DAY, "
    "NULL, 2000, 'CNY', 'executed', 1 FROM posts WHERE cityHash64(post_id) % 5 = 0",
    "INSERT INTO post_totals SELECT 'bench', post_id, platform, 'c-bench', published_at + INTERVAL 30 DAY, 'live', "
    "if(platform = 'weibo', NULL, 100000 + cityHash64(post_id) % 900000), 5000, 300, "
    "if(platform IN ('kuaishou', 'youtube'), NULL, 200), if(platform IN ('weibo', 'kuaishou', 'youtube'), NULL, 800), "
    "if(platform = 'douyin', 120, NULL), 6300, 1 FROM posts",
    "INSERT INTO pulses SELECT 'bench', post_id, 1, start_at, NULL, 'heating', ['h1'], NULL, NULL, NULL, NULL, NULL, "
    "NULL, NULL, '', 1200, 2000, 'CNY', 'decaying', 1 FROM heating_nodes",
    "INSERT INTO long_tail (tenant, post_id, as_of, tail_share, version) "
    "SELECT 'bench', post_id, now(), 0.2 + (cityHash64(post_id) % 30) / 100, 1 FROM posts",
    "INSERT INTO sales SELECT 'bench', concat('o', toString(number)), concat('douyin:', toString(number * 9 % 10000)), "
    "'post', 300, 'CNY', toDateTime64('2025-02-01 00:00:00', 3), 1 FROM numbers(20000)",
]


def snapshot_rows(first: int, count: int) -> str:
    """Hourly cumulative snapshots for the 10k posts, ``count`` rows from row number ``first``."""
    return (
        "INSERT INTO snapshots SELECT 'bench', concat(p, ':', toString(i)), "
        "toDateTime64('2025-01-01 00:00:00', 3) + i * 60 + h * 3600, p, h * 100, h * 5, h, "
        "if(p IN ('kuaishou', 'youtube'), NULL, h), if(p = 'weibo', NULL, h * 2), NULL, 'live', 'simulator', [], "
        f"0, n, 1 FROM (SELECT number AS n, n % {POSTS} AS i, intDiv(n, {POSTS}) AS h, "
        "['douyin','xiaohongshu','weibo','kuaishou','bilibili','wechat_channels','tiktok','instagram','youtube']"
        f"[i % 9 + 1] AS p FROM numbers({first}, {count}))"
    )


def timed(fn: Callable[[], object], runs: int = 5) -> float:
    """Median wall time of ``fn`` in ms, after one warm-up run."""
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(report) -> None:  # type: ignore[no-untyped-def]
    url = engine_url()
    settings = Settings(_env_file=None, clickhouse_url=url, clickhouse_database="bench_roi",  # type: ignore[call-arg]
                        data_dir=embedded_path(url).parent, store_memory_limit="8G")
    store = Store.open(settings)
    try:
        store.command_sync("DROP DATABASE IF EXISTS bench_roi", use_database=False)
        migrate(store)
        for statement in SEED:
            store.command_sync(statement)
        reader = _StoreReader(store)
        camp = q.campaign(reader, CAMPAIGN, TENANT)
        assert len(q.roi_report(reader, camp, "platform")[0]) == 10  # 9 platforms + campaign-level

        def roi() -> object:
            return q.roi_report(reader, camp, "platform")

        def naive() -> object:
            return store.query_sync(
                "SELECT p.platform, sum(s.views), sum(s.likes) FROM (SELECT post_id, argMax(views, observed_at) AS views, "
                "argMax(likes, observed_at) AS likes FROM snapshots WHERE tenant = 'bench' GROUP BY post_id) AS s "
                "INNER JOIN (SELECT post_id, platform FROM posts FINAL WHERE campaign_id = 'c-bench') AS p "
                "USING post_id GROUP BY p.platform")

        where, params = q._post_filter(camp, q.Window())
        read = tables_read(store, f"SELECT r.platform AS value, {q.AGGREGATES} FROM v_roi_post AS r WHERE {where} "
                                  "GROUP BY value", params)
        assert "snapshots" not in read, read
        print(f"  (the ROI query reads {len(read)} tables, not snapshots: it uses post_totals, the latest "
              "counters the worker upserts)")
        baseline = timed(roi)
        report("campaign ROI query, 10k posts, no snapshots (baseline)", baseline, "ms")
        loaded, rate = 0, 0.0
        for target in STEPS:
            if loaded:
                estimate = (target - loaded) / rate
                need = 3 * disk_bytes(url) * (target - loaded) / loaded
                if estimate > MAX_SECONDS_100M or shutil.disk_usage(embedded_path(url)).free < need:
                    print(f"  (skipped {target:,} rows: generating them would take ~{estimate:.0f} s "
                          f"(limit {MAX_SECONDS_100M:.0f} s: TRACKER_BENCH_ROI_MAX_SECONDS) or ~{need / 2**30:.0f} GiB)")
                    break
            started = time.perf_counter()
            for first in range(loaded, target, 10_000_000):
                store.command_sync(snapshot_rows(first, min(10_000_000, target - first)))
            rate = (target - loaded) / (time.perf_counter() - started)
            loaded = target
            report(f"snapshot rows generated in the engine (to {target:,})", rate, "rows/s")
            report(f"background merges settled after the insert (to {target:,})", settle(store), "s")
            report(f"snapshots on disk at {target:,} rows", disk_bytes(url) / 2**20, "MiB")
            report(f"campaign ROI query, 10k posts, {target:,} snapshot rows", timed(roi), "ms", baseline)
            if target == STEPS[0]:
                report(f"naive latest-from-snapshots rollup, {target:,} rows", timed(naive, runs=3), "ms", baseline)
    finally:
        store.command_sync("DROP DATABASE IF EXISTS bench_roi", use_database=False)
        store.close()


def settle(store: Store, timeout: float = 300, quiet: int = 5) -> float:
    """Wait until the engine has run no merge of the bench database for ``quiet`` seconds in a row
    (merges compete for the same cores as the query); returns the seconds waited."""
    started, calm = time.perf_counter(), 0
    while time.perf_counter() - started < timeout and calm < quiet:
        busy = store.query_sync("SELECT count() FROM system.merges WHERE database = 'bench_roi'").scalar()
        calm = 0 if busy else calm + 1
        time.sleep(1)
    return time.perf_counter() - started


def tables_read(store: Store, sql: str, parameters: dict) -> set[str]:
    """Tables the engine's plan of ``sql`` reads (views expanded)."""
    plan = "\n".join(r[0] for r in store.query_sync(f"EXPLAIN PLAN {sql}", parameters).rows)
    return {name.split(".", 1)[1] for name in re.findall(r"ReadFrom\w+ \(([^)]+)\)", plan)}


def disk_bytes(url: str) -> int:
    root = embedded_path(url)
    return sum(p.stat().st_size for p in Path(root).rglob("*") if p.is_file())
