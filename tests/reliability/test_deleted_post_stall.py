"""A post deleted from the registry is not reported stalled, whatever snapshots of it still come.

Snapshots of a post that come after it left the registry (a poll in flight when it was deleted, read
in the batch of its tombstone; an export's rows) put it back in the stall watcher: nobody polls it, so
``PostStalled`` fired for it three of its intervals later, and never resolved. The watcher learns a
post's usual interval from arrivals a minute apart at least (wall clock): the test waits about four
minutes.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.fixtures.data import post_id, registry, snapshot
from tests.fixtures.worker import WorkerProcess, produce
from tracker.broker import topics as t

pytestmark = pytest.mark.reliability


def test_a_deleted_post_is_not_reported_stalled(kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    """Snapshots of a post that still come after it left the registry (an in-flight poll read in
    the batch of its tombstone, an export's rows) put it back in the stall watcher: nobody polls it,
    so ``PostStalled`` fired for it three intervals later, and never resolved. A post still registered,
    observed alike, is reported stalled; the deleted one is not."""
    deleted, kept = 7, 10
    asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(deleted), registry(kept),
                                                          (post_id(deleted).encode(), None)]))
    asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(deleted, 0), snapshot(kept, 0)]))
    worker = WorkerProcess(kafka, tracker_topics, tmp_path, TRACKER_STALL_CHECK_SECONDS="1").start()
    try:
        worker.wait_caught_up(t.SNAPSHOTS)
        worker.wait_caught_up(t.POSTS)
        assert worker.scalar(f"SELECT deleted FROM posts FINAL WHERE post_id = '{post_id(deleted)}'") == 1
        time.sleep(61)  # the watcher learns a post's usual interval from arrivals a minute apart at least
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(deleted, 1), snapshot(kept, 1)]))
        stalled = "SELECT groupArray(post_id) FROM alerts FINAL WHERE alert = 'PostStalled' AND state = 'firing'"
        worker.wait_for(f"SELECT has(({stalled}), '{post_id(kept)}')", 1, timeout=420)
        assert worker.scalar(stalled) == [post_id(kept)]
    finally:
        worker.stop()
