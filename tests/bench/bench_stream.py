"""Stream core: snapshots/s through the production path (one snapshot per message,
validation, state, sink into the embedded engine) next to a bare aiokafka consumer
of the same topic, plus a µs-per-event breakdown of the steps."""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from tests.bench.services import engine_url, kafka_node, make_topics
from tests.fixtures.data import snapshots
from tests.fixtures.worker import WorkerProcess, committed_offsets, produce
from tracker.broker import topics as t
from tracker.contracts.fast import decode_snapshot
from tracker.settings import Settings
from tracker.store.migrations import migrate
from tracker.store.store import Store
from tracker.stream import rows as r
from tracker.stream.processor import Output, Processor, Source
from tracker.stream.state import PostState
from tracker.stream.worker import GC_THRESHOLDS

POSTS, PER_POST = 1000, 1000
MANY_POSTS, MANY_PER_POST = 40_000, 10
BREAKDOWN, SLOW_RUNS = 200_000, 200_000  # the in-process breakdown, the Faust agent and the analytics path


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _bare_consume(bootstrap: str, topic: str, expected: int) -> tuple[float, float]:
    """(snapshots/s, CPU µs per snapshot) of a bare aiokafka consumer reading the topic."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None, max_partition_fetch_bytes=4 << 20)
    await consumer.start()
    seen = 0
    try:
        started, cpu = time.perf_counter(), time.process_time()
        while seen < expected:
            batch = await consumer.getmany(timeout_ms=5000, max_records=20_000)
            for records in batch.values():
                seen += len(records)
        return expected / (time.perf_counter() - started), (time.process_time() - cpu) / expected * 1e6
    finally:
        await consumer.stop()


def _breakdown(report, raws: list[tuple[bytes, bytes]]) -> None:
    gc.set_threshold(*GC_THRESHOLDS)  # as in the worker
    n = len(raws)
    started = time.perf_counter()
    messages = [decode_snapshot(v) for _, v in raws]
    decode_us = (time.perf_counter() - started) / n * 1e6

    proc = Processor()
    table: dict[bytes, bytes] = {}
    out = Output()
    started = time.perf_counter()
    batch_size = 20_000
    emit_s = 0.0
    for b in range(0, n, batch_size):
        states: dict[bytes, PostState] = {}
        for i in range(b, min(n, b + batch_size)):
            key = raws[i][0]
            st = states.get(key)
            if st is None:
                st = states[key] = PostState.from_bytes(table.get(key))
            proc.apply(Source(t.SNAPSHOTS, 0, i, key), messages[i], st, out)
        for key, st in states.items():
            table[key] = st.to_bytes()
        e0 = time.perf_counter()
        for pid in out.touched:
            out.add(r.POST_TOTALS, proc.totals_row(pid, states[pid.encode()]))
        out.touched.clear()
        emit_s += time.perf_counter() - e0
    state_us = (time.perf_counter() - started - emit_s) / n * 1e6
    emit_us = emit_s / n * 1e6

    settings = Settings(clickhouse_url=engine_url(), clickhouse_database=f"bench_{uuid.uuid4().hex[:8]}")
    store = Store.open(settings)
    migrate(store)
    snaps = out.rows[r.SNAPSHOTS]
    started = time.perf_counter()
    for b in range(0, len(snaps), batch_size):
        store.insert_sync(r.SNAPSHOTS, snaps[b:b + batch_size], r.COLUMNS[r.SNAPSHOTS], dedup_token=f"b{b}",
                          as_json=True)
    totals = out.rows[r.POST_TOTALS]
    store.insert_sync(r.POST_TOTALS, totals, r.COLUMNS[r.POST_TOTALS], dedup_token="totals", as_json=True)
    insert_us = (time.perf_counter() - started) / n * 1e6
    store.close()
    report("decode + validate", decode_us, "µs/event")
    report("state (load, apply, store bytes)", state_us, "µs/event")
    report("emit (totals rows)", emit_us, "µs/event")
    report("insert (snapshots + totals, chDB)", insert_us, "µs/event")
    report("sum of steps → ceiling", 1e6 / (decode_us + state_us + emit_us + insert_us), "snapshots/s")


def run(report) -> None:
    raws = list(snapshots(POSTS, PER_POST))
    n = len(raws)
    print(f"  {n:,} snapshots of {POSTS} posts, one per message (long enough that a run's last, partial "
          f"batch does not weigh on the rate); the slower paths are timed over the first {SLOW_RUNS:,}")
    _breakdown(report, raws[:BREAKDOWN])
    with kafka_node() as (bootstrap, root):
        prefix = f"b{uuid.uuid4().hex[:6]}."
        make_topics(bootstrap, prefix)
        asyncio.run(produce(bootstrap, prefix + t.SNAPSHOTS, raws))
        bare, bare_cpu = asyncio.run(_bare_consume(bootstrap, prefix + t.SNAPSHOTS, n))
        report("bare aiokafka consumer (baseline)", bare, "snapshots/s")
        noop, _ = _noop_rate(bootstrap, prefix, SLOW_RUNS)
        report("Faust agent doing nothing (framework ceiling)", noop, "snapshots/s", baseline=bare)
        core, core_cpu = _worker_rate(bootstrap, prefix, root / "core", n, TRACKER_ANALYTICS_ENABLED="false")
        report("tracker worker, stream core: validate + state + sink + commit", core, "snapshots/s", baseline=bare)
        many_prefix = f"m{uuid.uuid4().hex[:6]}."
        make_topics(bootstrap, many_prefix)
        many = asyncio.run(produce(bootstrap, many_prefix + t.SNAPSHOTS, snapshots(MANY_POSTS, MANY_PER_POST)))
        wide, wide_cpu = _worker_rate(bootstrap, many_prefix, root / "wide", many, TRACKER_ANALYTICS_ENABLED="false")
        report(f"stream core, {MANY_POSTS:,} posts (each batch touches a post about once)", wide, "snapshots/s",
               baseline=core)
        full, full_cpu = _worker_rate(bootstrap, prefix, root / "full", SLOW_RUNS, TRACKER_ANALYTICS_ENABLED="true")
        report("tracker worker, full analytics path into ClickHouse", full, "snapshots/s", baseline=core)
        # CPU time does not depend on what else the machine runs, unlike the rates above
        report("CPU per snapshot: bare aiokafka consumer", bare_cpu, "µs")
        report("CPU per snapshot: worker, stream core (all its threads)", core_cpu, "µs", baseline=bare_cpu)
        report(f"CPU per snapshot: worker, stream core, {MANY_POSTS:,} posts", wide_cpu, "µs", baseline=core_cpu)
        report("CPU per snapshot: worker, full analytics", full_cpu, "µs", baseline=core_cpu)
        report("stream core on one free core (10⁶ / CPU µs)", 1e6 / core_cpu, "snapshots/s")


def _committed_rate(bootstrap: str, group: str, topic: str, n: int, proc, log) -> tuple[float, float]:
    """(messages/s, CPU µs of ``proc`` per message) committed by ``group`` from its first commit
    until at least ``n`` are committed."""
    first_seen = None
    done = 0
    now = time.perf_counter()
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        done = asyncio.run(committed_offsets(bootstrap, group, topic))
        now = time.perf_counter()
        if done > 0 and first_seen is None:
            first_seen = (now, done, _cpu_seconds(proc.pid))
        if done >= n:
            break
        if proc.poll() is not None:
            raise RuntimeError(log())
        time.sleep(0.05)
    assert first_seen is not None and done >= n, f"{group} committed {done} of {n}"
    cpu_us = (_cpu_seconds(proc.pid) - first_seen[2]) / max(1, n - first_seen[1]) * 1e6
    return (n - first_seen[1]) / max(1e-9, now - first_seen[0]), cpu_us


def _noop_rate(bootstrap: str, prefix: str, n: int) -> tuple[float, float]:
    group = f"{prefix}bench-noop"
    proc = subprocess.Popen([sys.executable, "-m", "tests.bench.faust_noop", group, bootstrap, prefix + t.SNAPSHOTS],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        return _committed_rate(bootstrap, group, prefix + t.SNAPSHOTS, n, proc, lambda: proc.stderr.read().decode())
    finally:
        proc.terminate()
        proc.wait(60)


def _worker_rate(bootstrap: str, prefix: str, root, n: int, **env: str) -> tuple[float, float]:
    """(snapshots/s, CPU µs per snapshot) of a worker consuming the topic from the start (its own group and store)."""
    worker = WorkerProcess(bootstrap, prefix, root, TRACKER_WORKER_BATCH_SECONDS="0.5",
                           TRACKER_WORKER_APP_ID=f"bench-{root.name}", **env).start()
    try:
        return _committed_rate(bootstrap, worker.group, prefix + t.SNAPSHOTS, n, worker.proc,
                               lambda: worker.log.read_text()[-3000:])
    finally:
        worker.stop()
