"""A post's figures do not depend on whether its registry entry or its snapshots are read first.

The worker reads its topics in no set order: a fetch hands it the partitions of every topic in
an order of its own, and a batch full of snapshots (a backfill, `tracker snapshots import` run
right after `tracker posts import`, a worker catching up) can come before the batch that holds
their posts' entries. The entry then came after the post's hours had become final: its publish
time was never taken, and the post kept no tail share, no projections, a publish burst read as
a tracking start (a third of its lift lost, its onset and peak hours late, no curve hours
before the first snapshot) and a decay alert under the campaign "unregistered". The worker now
reads such a post again from its stored snapshots. Two identical posts, against a real broker
and store: one registered before its snapshots, one after them, the batch that brings its entry
killed once before its insert; both must store the same figures, and go on alike after a restart.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.fixtures.data import burst_views, post_id, registry, snapshot
from tests.fixtures.worker import WorkerProcess, produce
from tracker.broker import topics as t

pytestmark = pytest.mark.integration

FIRST, LATE = 31, 34  # the same campaign, creator tier and platform
FIGURES = {
    "long_tail": "SELECT * EXCEPT (post_id, version) FROM long_tail FINAL WHERE post_id = {p:String}",
    "pulses": "SELECT * EXCEPT (post_id, version) FROM pulses FINAL WHERE post_id = {p:String} "
              "AND status != 'removed' ORDER BY pulse_index",
    "curves": "SELECT metric, hour, cumulative, velocity, observed FROM curves FINAL WHERE post_id = {p:String} "
              "ORDER BY metric, hour",
    "post_totals": "SELECT * EXCEPT (post_id, version) FROM post_totals FINAL WHERE post_id = {p:String}",
    # alerts sent before the entry came stay sent: an open one keeps the start it was sent with
    "open alerts": "SELECT alert, replaceOne(alert_id, {p:String}, ''), campaign_id, summary FROM alerts FINAL "
                   "WHERE post_id = {p:String} AND state = 'firing' ORDER BY 1, 2",
}


def hours(i: int, first: int, end: int) -> list[tuple[bytes, bytes]]:
    """Post i's hourly snapshots from ``first`` to ``end`` hours after its publish (a publish
    burst that fades in about a day); the first is 3 h after it."""
    return [snapshot(i, k, views=burst_views(k)) for k in range(first, end)]


def figures(worker: WorkerProcess, i: int) -> dict[str, list[tuple]]:
    client = worker.client()
    return {name: client.query(sql, {"p": post_id(i)}).result_rows for name, sql in FIGURES.items()}


def test_a_post_registered_after_its_snapshots_stores_the_figures_of_one_registered_first(
        kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    worker = WorkerProcess(kafka, tracker_topics, tmp_path).start()
    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(FIRST)]))
        worker.wait_caught_up(t.POSTS)
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, hours(FIRST, 3, 120) + hours(LATE, 3, 120)))
        worker.wait_caught_up(t.SNAPSHOTS)
        assert worker.scalar(f"SELECT tail_share FROM long_tail FINAL WHERE post_id = '{post_id(LATE)}'") is None
    finally:
        worker.stop()

    # the batch with the late entry dies once applied (the post read again), before its insert
    worker.start(TRACKER_FAULT_KILL_AFTER_BATCHES="0")
    asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(LATE)]))
    assert worker.wait_exit(120) != 0
    assert "SIGKILL after a batch was applied, before its insert" in worker.log.read_text()

    worker.start()
    try:
        worker.wait_caught_up(t.POSTS)
        expected = figures(worker, FIRST)
        (tail,) = expected["long_tail"]
        assert tail[2] is not None and tail[5] is not None  # a tail share, a fitted 30-day projection
        assert expected["curves"][0][1].hour == 0  # the curve starts at publish, 3 h before the first snapshot
        assert [row[2] for row in expected["open alerts"]] == ["c1"]
        assert "publish burst" in expected["open alerts"][0][3]
        assert figures(worker, LATE) == expected
    finally:
        worker.stop()

    # what the post was read again into is its state from then on (the changelog, after a restart)
    worker.start()
    try:
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, hours(FIRST, 120, 150) + hours(LATE, 120, 150)))
        worker.wait_caught_up(t.SNAPSHOTS)
        after = figures(worker, FIRST)
        assert after["long_tail"] != expected["long_tail"]
        assert figures(worker, LATE) == after
    finally:
        worker.stop()
