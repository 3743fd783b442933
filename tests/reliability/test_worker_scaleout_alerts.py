"""Two workers on the same topics: each post's alerts are resolved once, by the worker that
reads the post's partition.

- A ``PostStalled`` firing in the store when the workers start. With a ClickHouse server (the
  distributed topology) every worker sees every firing alert; each read all of them back at
  start and watched them all: the worker that reads the post resolved it on the post's next
  snapshot, and every other worker resolved it again at the end of the post's tracking, a
  second resolve with the same alert id whose row, versioned later, replaced the first one.
- A post whose partition moves to a joining worker. The worker it left kept watching it (and
  reported it stalled once the new worker had its snapshots for 3 × its interval) and kept its
  state: at the end of its tracking it resolved the post's open alerts a second time.
- A post whose own snapshots stop before the end of its tracking. Its window closes on its
  tenant's clock, which a worker read from its own partitions only: on every other worker,
  the post's open alerts never resolved.

Each worker here has its own embedded store, filled with what the shared server would hold
where the test needs it (posts, firing alerts, another worker's totals); the broker and the
alerts topic are shared.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiokafka.errors import KafkaError

from tests.fixtures.data import T0, post_id, registry, snapshot
from tests.fixtures.worker import WorkerProcess, end_offsets, json_records, produce
from tests.reliability.test_worker_rebalance import group_members
from tracker.broker import topics as t
from tracker.broker.topics import home_partition
from tracker.stream import rows as r

pytestmark = pytest.mark.reliability

POSTS = 24  # on each of the 4 partitions
END = T0 + timedelta(hours=48)


def shared_rows() -> dict[str, tuple[list[str], list[tuple[object, ...]]]]:
    """The posts (tracking until END) and one firing PostStalled each, as the shared store has them."""
    fired = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    silence = int((fired - timedelta(hours=1)).timestamp())
    posts, alerts = [], []
    for i in range(POSTS):
        pid = post_id(i)
        posts.append(("acme", pid, "bilibili", pid.split(":")[1], "", "", f"c{i % 3}", "cr", "micro", "video",
                      T0, T0.date(), END, "", [], 0, 1))
        alerts.append(("acme", f"{pid}:PostStalled:{silence}", pid, f"c{i % 3}", "PostStalled", "firing", "warning",
                       fired, None, "no fresh snapshot for this post", "{}", "", int(fired.timestamp() * 1000)))
    return {"posts": (list(r.COLUMNS[r.POSTS]), posts), "alerts": (list(r.COLUMNS[r.ALERTS]), alerts)}


def wait_members(kafka: str, group: str, members: int, timeout: float = 120) -> None:
    """Wait until ``group`` is stable with ``members`` members."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if asyncio.run(group_members(kafka, group)) == ("Stable", members):
                return
        except KafkaError:  # no coordinator for the group yet
            pass
        assert time.monotonic() < deadline, f"{group} never had {members} stable members"
        time.sleep(0.5)


def tracked_posts(worker: WorkerProcess) -> float:
    """The worker's ``tracker_tracked_posts`` (set after each batch it stores)."""
    text = httpx.get(f"http://127.0.0.1:{worker.web_port}/metrics", timeout=10).text
    return next(float(line.split()[1]) for line in text.splitlines() if line.startswith("tracker_tracked_posts "))


@pytest.mark.timeout(300)
def test_each_firing_stall_is_resolved_once_by_the_worker_that_owns_its_post(
        kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    assert len({home_partition(post_id(i).encode(), 4) for i in range(POSTS)}) == 4
    env = {"TRACKER_STALL_CHECK_SECONDS": "0.5"}
    shared = shared_rows()
    a = WorkerProcess(kafka, tracker_topics, tmp_path / "a", **env).prefill(shared)
    b = WorkerProcess(kafka, tracker_topics, tmp_path / "b", **env).prefill(shared)
    try:
        a.start()
        a.client()  # up
        b.start()
        wait_members(kafka, a.group, 2)
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(i, tracking_end=END) for i in range(POSTS)]))
        # a snapshot of every post, then one past the end of its tracking: each worker's clock of
        # the tenant passes END
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(i, 0) for i in range(POSTS)]))
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(i, 50) for i in range(POSTS)]))
        a.wait_caught_up(t.SNAPSHOTS)
        resolved = "SELECT count() FROM alerts FINAL WHERE alert = 'PostStalled' AND state = 'resolved'"
        deadline = time.monotonic() + 60
        while a.scalar(resolved) + b.scalar(resolved) < POSTS:
            assert time.monotonic() < deadline, "a firing PostStalled was never resolved"
            time.sleep(0.5)
        time.sleep(3)  # several stall checks, past the end of every post's tracking
        assert a.alive() and b.alive()
        topic = tracker_topics + t.ALERTS
        messages = asyncio.run(json_records(kafka, topic, asyncio.run(end_offsets(kafka, topic))))
        resolves = Counter(m["alert_id"] for m in messages if m["alert"] == "PostStalled" and m["state"] == "resolved")
        assert len(resolves) == POSTS
        assert set(resolves.values()) == {1}, f"resolved more than once: {resolves}"
        rows = "SELECT alert_id, evidence FROM alerts WHERE alert = 'PostStalled' AND state = 'resolved'"
        stored = a.client().query(rows).result_rows + b.client().query(rows).result_rows
        assert len(stored) == POSTS, stored
        assert all('"creator_id"' in evidence for _, evidence in stored)  # the owner's, from the post's state
    finally:
        a.stop()
        b.stop()


@pytest.mark.timeout(300)
def test_a_post_whose_partition_moved_has_its_alerts_resolved_by_its_new_worker_alone(
        kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    """The worker a partition leaves kept watching its posts, and their states: at the end of
    their tracking it resolved their open alerts too, from the states it had when they left, and
    ``tracker_tracked_posts`` counted them on both workers."""
    env = {"TRACKER_STALL_CHECK_SECONDS": "0.5"}
    a = WorkerProcess(kafka, tracker_topics, tmp_path / "a", **env).start()
    b = WorkerProcess(kafka, tracker_topics, tmp_path / "b", **env)
    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(i, tracking_end=END) for i in range(POSTS)]))
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(i, h) for h in range(10) for i in range(POSTS)]
                            + [snapshot(i, 10, status="unavailable") for i in range(POSTS)]))
        a.wait_for("SELECT count() FROM alerts FINAL WHERE alert = 'PostUnavailable' AND state = 'firing'", POSTS)
        a.wait_caught_up(t.SNAPSHOTS)
        b.start()
        wait_members(kafka, a.group, 2)
        # polled on, then past the end of their tracking: every open alert resolves
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS,
                            [snapshot(i, h, status="unavailable") for h in (11, 50) for i in range(POSTS)]))
        a.wait_caught_up(t.SNAPSHOTS)
        assert b.scalar("SELECT uniqExact(post_id) FROM snapshots") > 0, "the second worker got no partition"
        topic = tracker_topics + t.ALERTS
        deadline = time.monotonic() + 60
        while True:
            messages = asyncio.run(json_records(kafka, topic, asyncio.run(end_offsets(kafka, topic))))
            resolves = Counter(m["alert_id"] for m in messages if m["state"] == "resolved")
            if len(resolves) == POSTS:
                break
            assert time.monotonic() < deadline, f"resolved: {resolves}"
            time.sleep(0.5)
        time.sleep(3)  # several checks past the end of every post's tracking
        messages = asyncio.run(json_records(kafka, topic, asyncio.run(end_offsets(kafka, topic))))
        resolves = Counter(m["alert_id"] for m in messages if m["state"] == "resolved")
        assert set(resolves.values()) == {1}, f"resolved more than once: {resolves}"
        assert all(m["evidence"]["reason"] == "end of tracking" for m in messages if m["state"] == "resolved")
        assert tracked_posts(a) + tracked_posts(b) == POSTS  # each post's state is held by its worker alone
    finally:
        a.stop()
        b.stop()


@pytest.mark.timeout(300)
def test_a_post_window_closes_on_its_tenants_clock_whichever_worker_read_it(
        kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    """A post's window closes when a snapshot of any post of its tenant passes its end. A worker
    saw only its partitions' snapshots: the open alerts of a post whose own snapshots stopped
    before its end resolved on the worker that read a later snapshot of its tenant, and never
    on another. The store holds the tenant's newest snapshot, whichever worker stored it."""
    clock = POSTS  # a post of the tenant another worker read past END, in the shared store
    newest = [("acme", post_id(clock), "bilibili", "c0", END + timedelta(hours=2), "ok", 100, 10, 1, 0, 2, None, 13, 60)]
    rows = {"post_totals": (list(r.COLUMNS[r.POST_TOTALS]), newest)}
    env = {"TRACKER_STALL_CHECK_SECONDS": "0.5"}
    a = WorkerProcess(kafka, tracker_topics, tmp_path / "a", **env).prefill(rows).start()
    b = WorkerProcess(kafka, tracker_topics, tmp_path / "b", **env).prefill(rows)
    try:
        a.client()
        b.start()
        wait_members(kafka, a.group, 2)
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(i, tracking_end=END) for i in range(POSTS)]))
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(i, h) for h in range(10) for i in range(POSTS)]
                            + [snapshot(i, 10, status="unavailable") for i in range(POSTS)]))
        a.wait_caught_up(t.SNAPSHOTS)
        assert b.scalar("SELECT uniqExact(post_id) FROM snapshots") > 0, "the second worker got no partition"
        resolved = ("SELECT count() FROM alerts FINAL WHERE alert = 'PostUnavailable' AND state = 'resolved' "
                    "AND JSONExtractString(evidence, 'reason') = 'end of tracking'")
        deadline = time.monotonic() + 60
        while a.scalar(resolved) + b.scalar(resolved) < POSTS:
            assert time.monotonic() < deadline, "an alert stayed open after the end of its post's tracking"
            time.sleep(0.5)
        for worker in (a, b):
            assert worker.scalar("SELECT countIf(state = 'firing') FROM alerts FINAL") == 0
    finally:
        a.stop()
        b.stop()
