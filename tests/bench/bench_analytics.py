"""Analytics: cost of one snapshot through ``PostAnalytics`` as the worker runs it (decode the
post's state, apply, encode) next to the stream core's state step measured in the same run,
and the process memory of the states a worker keeps, per tracked post.

Posts and snapshots come from the simulator (seed 7) polled as in the accuracy test
(hourly ±30 %, missed polls, daily exports, Xiaohongshu rounding).
"""

from __future__ import annotations

import random
import struct
import subprocess
import sys
import tempfile
import time

from tests.fixtures.data import snapshots as core_snapshots
from tests.integration.test_analytics_accuracy import snapshots_of
from tracker.analytics.params import AnalyticsParams
from tracker.analytics.post import PostAnalytics
from tracker.analytics.pulses import POPULATION_MIN, HeatingNode, population_shape
from tracker.broker import topics as t
from tracker.contracts import decode
from tracker.simulate import Simulation
from tracker.stream.processor import Output, Processor, Source
from tracker.stream.state import PostState

SPEED_POSTS = 24
SAMPLE_POSTS = 60
MEMORY_POSTS = 100_000
SAMPLES_PER_POST = 12


def _posts(sim: Simulation, n: int):
    """(post, heating nodes, snapshots, publish hours) of the first ``n`` posts."""
    nodes: dict[str, list] = {}
    for h in sim.population.heating:
        nodes.setdefault(h.post_id, []).append(
            HeatingNode(h.id, h.start.timestamp() / 3600, h.end.timestamp() / 3600, h.spend, h.currency)
        )
    rnd = random.Random(7)
    for post in sim.population.posts[:n]:
        publish = sim.series.publish_ts[post.index] / 3600.0
        yield post, nodes.get(post.id, []), snapshots_of(sim, post, rnd), publish


def _core_state_us(n_posts: int = 500, per_post: int = 40) -> float:
    """The stream core's state step (load PostState bytes, apply, store bytes), µs/event."""
    raws = list(core_snapshots(n_posts, per_post))
    messages = [decode(t.SNAPSHOTS, v) for _, v in raws]
    proc, table, out = Processor(), {}, Output()
    started = time.perf_counter()
    for i, (key, _) in enumerate(raws):
        st = PostState.from_bytes(table.get(key))
        proc.apply(Source(t.SNAPSHOTS, 0, i, key), messages[i], st, out)
        table[key] = st.to_bytes()
    return (time.perf_counter() - started) / len(raws) * 1e6


POPULATION = population_shape([[0.3, 0.35, 0.2, 0.15, 0.0, 0.0, 0.0]] * POPULATION_MIN)
"""The response shape first pulses lean on, as they do once the worker has learned one."""


def _analytics_us(sim: Simulation, params: AnalyticsParams) -> tuple[float, float, int]:
    """µs/snapshot with decode + apply + encode per snapshot, and with the object kept (first
    pulses leaning on a population shape, set before each event as the worker sets it)."""
    posts = list(_posts(sim, SPEED_POSTS))
    table: dict[str, bytes] = {}
    n = 0
    started = time.perf_counter()
    for post, nodes, snaps, publish in posts:
        state = PostAnalytics(publish, publish + post.tracking_hours, params)
        state.population = POPULATION
        for node in nodes:
            state.apply_heating(node)
        table[post.id] = state.to_bytes()
        for snap in snaps:
            state = PostAnalytics.from_bytes(table[post.id], params)
            state.population = POPULATION
            state.apply_snapshot(snap)
            table[post.id] = state.to_bytes()
            n += 1
    cold = (time.perf_counter() - started) / n * 1e6
    started = time.perf_counter()
    for post, nodes, snaps, publish in posts:
        state = PostAnalytics(publish, publish + post.tracking_hours, params)
        state.population = POPULATION
        for node in nodes:
            state.apply_heating(node)
        for snap in snaps:
            state.apply_snapshot(snap)
    warm = (time.perf_counter() - started) / n * 1e6
    return cold, warm, n


def _state_samples(sim: Simulation, params: AnalyticsParams) -> list[bytes]:
    """States of SAMPLE_POSTS posts at SAMPLES_PER_POST points of their life (as a table holds them)."""
    out = []
    for post, nodes, snaps, publish in _posts(sim, SAMPLE_POSTS):
        state = PostAnalytics(publish, publish + post.tracking_hours, params)
        for node in nodes:
            state.apply_heating(node)
        marks = {int(len(snaps) * (i + 1) / SAMPLES_PER_POST) - 1 for i in range(SAMPLES_PER_POST)}
        for i, snap in enumerate(snaps):
            state.apply_snapshot(snap)
            if i in marks:
                out.append(state.to_bytes())
    return out


def run(report) -> None:
    params = AnalyticsParams()
    sim = Simulation.build(seed=7, posts=200)
    core = _core_state_us()
    cold, warm, n = _analytics_us(sim, params)
    print(f"  {n:,} snapshots of {SPEED_POSTS} simulated posts")
    report("stream core state step (baseline, same run)", core, "µs/event")
    report("analytics: decode state + apply snapshot + encode", cold, "µs/snapshot", baseline=core)
    report("analytics: apply snapshot, state kept in memory", warm, "µs/snapshot", baseline=core)

    samples = _state_samples(sim, params)
    sizes = sorted(len(s) for s in samples)
    report("serialised state, median over posts and ages", sizes[len(sizes) // 2], "bytes")
    report("serialised state, largest", sizes[-1], "bytes")
    with tempfile.NamedTemporaryFile(suffix=".states") as f:
        for blob in samples:
            f.write(struct.pack("<I", len(blob)) + blob)
        f.flush()
        out = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, f.name, str(MEMORY_POSTS)],
                             capture_output=True, text=True, check=True)
    report(f"process memory per tracked post ({MEMORY_POSTS:,} states kept as table bytes)",
           float(out.stdout.strip()), "bytes")


# A fresh interpreter, so memory freed earlier in this process cannot hide the growth.
_MEMORY_CHILD = """
import gc, struct, sys
path, n = sys.argv[1], int(sys.argv[2])
raw = open(path, "rb").read()
samples, off = [], 0
while off < len(raw):
    (size,) = struct.unpack_from("<I", raw, off)
    samples.append(raw[off + 4:off + 4 + size])
    off += 4 + size
del raw

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024

gc.collect()
before = rss()
table = {f"post:{i:09d}".encode(): bytes(bytearray(samples[i % len(samples)])) for i in range(n)}
gc.collect()
print((rss() - before) / len(table))
"""
