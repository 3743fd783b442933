"""`tracker analyze` on the export its help gives against what the stream stored, post by post:
the same pulses (onset, peak, half-life, incremental, status), long tail and decay alerts. A
real worker reads the posts from a real broker into its store; the recipe is run through that
worker's read endpoint, as an analyst runs it.

- A Xiaohongshu post polled as its collector polls it: its "1.2万" counters listed as rounded,
  beside a daily exact export, and polls that said the post was taken down (no counter). The
  export lost the rounded flags (analyze read 1.2万 as an exact 12,000: its first pulse's
  peak 5 % higher and half-life 8 % shorter than the stream's) and analyze refused the taken-down
  rows ("no metric column holds a value", exit 2).
- A post whose first pulse leans on the response shape and whose log-linear baseline on the
  ratios the worker learned from the store's finished posts: analyze could not be given them
  (``--learned-from-store`` reads them as the worker does).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from click.testing import CliRunner

from tests.fixtures.data import T0, post_id
from tests.fixtures.worker import WorkerProcess, heat_first_post, produce
from tests.integration.test_analytics_accuracy import snapshots_of
from tracker.analytics.metrics import METRICS
from tracker.analytics.resample import Snapshot
from tracker.broker import topics as t
from tracker.cli.analyze import RECIPE
from tracker.cli.main import main
from tracker.contracts import encode
from tracker.simulate import Simulation

pytestmark = pytest.mark.integration

PULSES = ("SELECT pulse_index, onset, peak_at, half_life_hours, incremental_engagements, status FROM pulses FINAL "
          "WHERE post_id = {p:String} AND status != 'removed' ORDER BY pulse_index")
LONG_TAIL = ("SELECT tail_share, projected_30d, projected_90d, loglinear_30d, loglinear_90d FROM long_tail FINAL "
             "WHERE post_id = {p:String}")
DECAYING = ("SELECT starts_at, state, ends_at FROM alerts FINAL WHERE post_id = {p:String} "
            "AND alert = 'PostDecaying' ORDER BY starts_at")


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else utc(moment).isoformat().replace("+00:00", "Z")


def stream_said(worker: WorkerProcess, post: str) -> dict[str, Any]:
    """The post's pulses, long tail and PostDecaying episodes as the worker stored them."""
    client = worker.client()
    pulses = [(index, iso(onset), iso(peak), half_life, incremental, status)
              for index, onset, peak, half_life, incremental, status in client.query(PULSES, {"p": post}).result_rows]
    decaying = []
    for starts, state, ends in client.query(DECAYING, {"p": post}).result_rows:
        decaying.append(("firing", iso(starts)))
        if state == "resolved":
            decaying.append(("resolved", iso(ends)))
    return {"pulses": pulses, "long_tail": client.query(LONG_TAIL, {"p": post}).result_rows[0],
            "decaying": sorted(decaying, key=lambda x: (x[1] or "", x[0]))}


def analyze_said(report: dict[str, Any]) -> dict[str, Any]:
    """The same figures from a post's `tracker analyze --format json` report."""
    lt = report["long_tail"]
    fit = {p["horizon_hours"]: p["value"] for p in lt["projections"]}
    loglinear = {p["horizon_hours"]: p["value"] for p in lt["baseline_projections"]}
    pulses = [(p["index"], p["onset"], p["peak"], p["half_life_hours"], p["incremental"], p["status"])
              for p in report["pulses"]]
    decaying = [(a["state"], a["at"]) for a in report["alerts"] if a["type"] == "PostDecaying"]
    return {"pulses": pulses, "long_tail": (lt["tail_share"], fit.get(720.0), fit.get(2160.0), loglinear.get(720.0),
                                            loglinear.get(2160.0)),
            "decaying": sorted(decaying, key=lambda x: (x[1] or "", x[0]))}


def close(a: Any, b: Any) -> bool:
    """Equal, numbers to the store's float precision."""
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return b == pytest.approx(a, rel=1e-6, abs=1e-6)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    return a == b


def run_recipe(worker: WorkerProcess, post: str, tmp_path: Path, learned: bool = True) -> tuple[int, str, str]:
    """The help's export of ``post`` through the worker's read endpoint, then its `tracker analyze`
    (without ``--learned-from-store`` when not ``learned``) as JSON: (exit code, stdout, stderr)."""
    env = {k: v for k, v in worker.env.items() if k.startswith("TRACKER_")}
    for sql, name in re.findall(r'tracker sql "(.*?)" > (\S+)', " ".join(RECIPE.split())):
        result = CliRunner().invoke(main, ["sql", sql.replace("douyin:123", post)], env=env)
        assert result.exit_code == 0, result.output
        (tmp_path / name).write_text(result.stdout, "utf-8")
    command = " ".join(RECIPE.split()).split("tracker analyze ", 1)[1].split()
    args = [str(tmp_path / a) if a.endswith(".csv") else a for a in command]
    if not learned:
        args.remove("--learned-from-store")
    result = CliRunner().invoke(main, ["analyze", *args, "--format", "json"], env=env)
    return result.exit_code, result.stdout, result.stderr


def xiaohongshu_messages(sim: Simulation) -> tuple[str, list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]]:
    """A Xiaohongshu post of the simulator polled as its collector polls it (rounded counters
    listed, a daily exact export, a last reading at its tracking end); polls from 100 to 110 h of
    age said it was taken down. (post id, registry and heating messages, snapshot messages)."""
    post = next(p for p in sim.population.posts if p.platform == "xiaohongshu")
    tier = next(c.tier for c in sim.population.creators if c.id == post.creator)
    publish = post.published_at
    end = publish + timedelta(days=post.tracking_days)
    key = post.id.encode()
    setup = [(key, encode(t.POSTS, {
        "tenant": post.tenant, "post_id": post.id, "platform": post.platform, "platform_post_id": post.platform_post_id,
        "campaign_id": post.campaign, "creator_id": post.creator, "creator_tier": tier, "published_at": publish,
        "tracking_end": end, "content_form": "image", "updated_at": publish}))]
    setup += [(key, encode(t.HEATING, {
        "tenant": post.tenant, "post_id": post.id, "heating_id": h.id, "channel": h.channel, "start": h.start,
        "end": h.end, "spend": {"amount": f"{h.spend:.2f}", "currency": h.currency}, "status": h.status,
        "updated_at": publish})) for h in sim.population.heating if h.post_id == post.id]
    snaps = snapshots_of(sim, post, random.Random(7))
    counts = sim.series.counters(np.array([post.index]), end.timestamp())[0]
    export = next(s for s in reversed(snaps) if s.t.is_integer())  # the last export's metrics, exact
    snaps.append(Snapshot(end.timestamp() / 3600, tuple(None if v is None else float(counts[i])
                                                         for i, v in enumerate(export.values))))
    published = publish.timestamp() / 3600
    messages = []
    for s in snaps:
        gone = 100 <= s.t - published < 110 and not s.t.is_integer()  # the polls, not the exports
        metrics = {m: None if gone or v is None else int(v) for m, v in zip(METRICS, s.values, strict=True)}
        messages.append((key, encode(t.SNAPSHOTS, {
            "tenant": post.tenant, "post_id": post.id, "platform": post.platform,
            "observed_at": datetime.fromtimestamp(s.t * 3600, UTC), "source": "api", "metrics": metrics,
            "rounded": [] if gone else list(s.rounded), **({"status": "deleted"} if gone else {})})))
    return post.id, setup, messages


def test_the_recipe_reads_rounded_counters_and_take_downs_as_the_stream_did(kafka: str, tracker_topics: str,
                                                                             tmp_path: Path) -> None:
    post, setup, snaps = xiaohongshu_messages(Simulation.build(seed=7, posts=200))
    worker = WorkerProcess(kafka, tracker_topics, tmp_path / "worker", TRACKER_STALL_CHECK_SECONDS="1").start()
    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, setup[:1]))
        asyncio.run(produce(kafka, tracker_topics + t.HEATING, setup[1:]))
        worker.wait_caught_up(t.HEATING)
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, snaps))
        worker.wait_caught_up(t.SNAPSHOTS)
        # the last poll, at the tracking end, closes the post's window: every alert resolves there
        worker.wait_for(f"SELECT count() FROM alerts FINAL WHERE post_id = '{post}' AND state = 'firing'", 0)
        stream = stream_said(worker, post)
        code, out, err = run_recipe(worker, post, tmp_path)
        assert code == 0, err  # the taken-down polls are read, not refused
        assert f"{post} is deleted then (no counter to analyse)" in err
        got = analyze_said(json.loads(out)[0])
        assert len(stream["pulses"]) >= 3 and any("resolved" in d for d in stream["decaying"])
        assert close(stream, got), (stream, got)
    finally:
        worker.stop()


def metrics_when(worker: WorkerProcess, line: str, timeout: float = 30) -> None:
    """Wait for ``line`` in the worker's /metrics."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.ConnectError):  # not serving yet
            text = httpx.get(f"http://127.0.0.1:{worker.web_port}/metrics").text
        if line in text:
            return
        time.sleep(0.5)
    raise AssertionError(f"{line!r} not in /metrics")


def finished_posts() -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """25 finished bilibili posts of micro creators in the store: their first pulses' response
    shape, and engagement curves that gained ten times their first-month count at day 30."""
    start = T0 - timedelta(days=60)
    shape = [0.1, 0.1, 0.2, 0.3, 0.3, 0.0, 0.0]
    posts = [f"bilibili:F{i}" for i in range(25)]
    curve = [(k, 100.0 if k <= 700 else 1000.0) for k in range(1, 721)]
    return {
        "posts": (["tenant", "post_id", "platform", "creator_tier", "published_at", "version"],
                  [("acme", p, "bilibili", "micro", start, 1) for p in posts]),
        "pulses": (["tenant", "post_id", "pulse_index", "onset", "ends_at", "trigger", "status", "response_shape",
                    "version"],
                   [("acme", p, 0, start, start + timedelta(days=10), "organic", "settled", shape, 1) for p in posts]),
        "post_totals": (["tenant", "post_id", "as_of", "version"],
                        [("acme", p, start + timedelta(hours=720), 1) for p in posts]),
        "curves": (["tenant", "post_id", "metric", "hour", "cumulative", "version"],
                   [("acme", p, "engagements", start + timedelta(hours=k), c, 1) for p in posts for k, c in curve]),
    }


def test_analyze_leans_on_what_the_stream_learned_from_the_store(kafka: str, tracker_topics: str,
                                                                 tmp_path: Path) -> None:
    worker = WorkerProcess(kafka, tracker_topics, tmp_path / "worker", TRACKER_RATIO_STATS_SECONDS="1")
    worker.prefill(finished_posts()).start()
    try:
        metrics_when(worker, "tracker_shape_populations 1.0")
        metrics_when(worker, "tracker_loglinear_populations 1.0")
        heat_first_post(worker, hours=90)
        worker.wait_caught_up(t.SNAPSHOTS)
        stream = stream_said(worker, post_id(1))
        code, out, err = run_recipe(worker, post_id(1), tmp_path)
        assert code == 0, err
        report = json.loads(out)[0]
        assert report["notes"] == [] and "--learned-from-store reads them" not in err
        assert close(stream, analyze_said(report)), (stream, analyze_said(report))

        code, out, err = run_recipe(worker, post_id(1), tmp_path, learned=False)
        alone = analyze_said(json.loads(out)[0])
        assert code == 0 and "--learned-from-store reads them" in " ".join(err.split())
        assert not close(stream["long_tail"][3:], alone["long_tail"][3:])  # the prior's log-linear baseline
        assert not close(stream["pulses"][0], alone["pulses"][0])  # a first pulse fitted without the shape
    finally:
        worker.stop()
