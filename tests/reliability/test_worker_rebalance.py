"""A second worker joins the group mid-stream, then the first one leaves.

The partitions move twice (A alone -> A + B -> B alone). Each move must hand over
the per-post state through the table's changelog and lose no record: in the end
every unique snapshot is stored by one of the workers, and the worker that holds
a post last has counted every snapshot of it (its totals row's version is the
post's event count, which only a restored state reaches).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from tests.fixtures.data import registry, snapshot, views_at
from tests.fixtures.worker import WorkerProcess, committed_offsets, produce
from tracker.broker import topics as t

pytestmark = pytest.mark.reliability

POSTS, HOURS = 400, 60


def wait_committed(kafka: str, worker: WorkerProcess, topic: str, at_least: int, timeout: float = 300) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = asyncio.run(committed_offsets(kafka, worker.group, worker.prefix + topic))
        if done >= at_least:
            return done
        assert worker.alive(), worker.log.read_text()[-3000:]
        time.sleep(0.2)
    tail = worker.log.read_text()[-2000:] if worker.log.exists() else "(no log)"
    raise AssertionError(f"{worker.group} committed {done} of {at_least} on {topic}; its log ends:\n{tail}")


async def group_members(bootstrap: str, group: str) -> tuple[str, int]:
    """(state, member count) of a consumer group."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([group])
        _error, _group, state, _protocol_type, _protocol, members, *_ = response.groups[0]
        return state, len(members)
    finally:
        await admin.close()


def stored_snapshots(engine: Path) -> set[tuple[str, int]]:
    """(post_id, observed ms) stored in a stopped worker's embedded store (read in a subprocess:
    one engine path per process)."""
    code = ("import json, sys, clickhouse_connect; c = clickhouse_connect.get_client(dsn='chdb://' + sys.argv[1]); "
            "print(json.dumps(c.query('SELECT DISTINCT post_id, toUnixTimestamp64Milli(observed_at) "
            "FROM tracker.snapshots').result_rows))")
    out = subprocess.run([sys.executable, "-c", code, str(engine)], capture_output=True, text=True, check=True)
    return {(pid, ms) for pid, ms in json.loads(out.stdout)}


def hours(first: int, last: int) -> list[tuple[bytes, bytes]]:
    return [snapshot(i, k) for k in range(first, last) for i in range(POSTS)]


@pytest.mark.timeout(900)
def test_partitions_move_between_workers_with_their_state(kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(i) for i in range(POSTS)]))
    env = {"TRACKER_ANALYTICS_ENABLED": "false", "TRACKER_WORKER_BATCH_MAX": "2000"}
    a = WorkerProcess(kafka, tracker_topics, tmp_path / "a", **env).start()
    b = WorkerProcess(kafka, tracker_topics, tmp_path / "b", **env)
    try:
        sent = asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, hours(0, 20)))
        wait_committed(kafka, a, t.SNAPSHOTS, sent)
        b.start()
        deadline = time.monotonic() + 180
        while asyncio.run(group_members(kafka, a.group)) != ("Stable", 2):
            assert time.monotonic() < deadline, "the second worker never joined the group"
            time.sleep(0.5)
        sent += asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, hours(20, 40)))
        wait_committed(kafka, a, t.SNAPSHOTS, sent)
        assert b.scalar("SELECT count() FROM snapshots") > 0, "the second worker got no partition"
        assert a.stop() == 0  # A leaves: B takes every partition and restores A's posts from the changelog
        sent += asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, hours(40, HOURS)))
        wait_committed(kafka, b, t.SNAPSHOTS, sent)
        assert sent == POSTS * HOURS

        seen = stored_snapshots(tmp_path / "a" / "engine") | {
            (pid, ms) for pid, ms in b.client().query(
                "SELECT DISTINCT post_id, toUnixTimestamp64Milli(observed_at) FROM snapshots").result_rows}
        assert len(seen) == POSTS * HOURS, "a snapshot was lost in a move"
        totals = b.client().query(
            "SELECT post_id, views, version FROM post_totals FINAL ORDER BY post_id").result_rows
        assert len(totals) == POSTS
        assert all(views == views_at(int(pid.split("BV")[1]), HOURS - 1) for pid, views, _ in totals)
        # version = events applied to the post's state; HOURS snapshots + its registry entry at least
        short = [(pid, version) for pid, _, version in totals if version < HOURS + 1]
        assert not short, f"state not handed over for {len(short)} posts, e.g. {short[:3]}"
    finally:
        a.stop()
        b.stop()
