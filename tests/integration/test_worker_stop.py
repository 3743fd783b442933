"""A graceful stop (SIGINT, SIGTERM) stores the batch in hand and commits what is stored before
the consumer closes; the records queued behind it are left for the next start."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest

from tests.fixtures.data import registry, snapshot, snapshots
from tests.fixtures.worker import WorkerProcess, end_offsets, produce
from tracker.broker import topics as t

pytestmark = pytest.mark.integration


def test_a_stop_commits_the_batch_in_hand(kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    """SIGINT while the worker gathers a batch (here for up to 5 s): the stop used to go on
    without it and the batch was stored, if at all, after the consumer had closed ("offset
    commit failed … Event loop is closed"), leaving lag on every partition. The batch is now
    stored and committed before the consumer closes: the committed offsets equal the end."""
    worker = WorkerProcess(kafka, tracker_topics, tmp_path, TRACKER_WORKER_BATCH_SECONDS="5").start()
    posts = range(8)
    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(i) for i in posts]))
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(i, 0) for i in posts]))
        worker.wait_for("SELECT count() FROM snapshots FINAL", len(posts))
        worker.wait_caught_up(t.SNAPSHOTS)
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(i, 1) for i in posts]))
        time.sleep(1.5)  # fetched: the worker waits for more before it prepares the batch
        assert worker.stop(signal.SIGINT) == 0, worker.log.read_text()[-3000:]
    finally:
        worker.stop(signal.SIGKILL)
    log = worker.log.read_text()
    assert "offset commit failed" not in log and "not stored" not in log, log[-3000:]
    end = asyncio.run(end_offsets(kafka, tracker_topics + t.SNAPSHOTS))
    assert end == 2 * len(posts)
    assert worker.committed(t.SNAPSHOTS) == end
    worker.start()  # nothing left to read: what it serves is what the stopped worker stored
    try:
        assert worker.scalar("SELECT count() FROM snapshots FINAL") == 2 * len(posts)
    finally:
        worker.stop()


def test_a_stop_in_a_backlog_ends_at_once_and_loses_nothing(kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    """SIGINT with thousands of records fetched and queued: the worker went on through the whole
    queue and was killed by the stop timeout (TRACKER_STOP_TIMEOUT_SECONDS, exit 1). It now
    stores the batch in hand, commits it and exits 0; the next start reads the rest. The stop
    comes after two of the backlog's six batches, each a few seconds of analytics."""
    posts, per_post = 120, 100
    worker = WorkerProcess(kafka, tracker_topics, tmp_path, TRACKER_WORKER_BATCH_MAX="2000").start()
    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(i) for i in range(posts)]))
        total = asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, snapshots(posts, per_post)))
        worker.wait_for("SELECT count() > 4000 FROM snapshots", 1)
        assert worker.stop(signal.SIGINT) == 0, worker.log.read_text()[-3000:]
    finally:
        worker.stop(signal.SIGKILL)
    assert "offset commit failed" not in worker.log.read_text()
    committed = worker.committed(t.SNAPSHOTS)
    assert 4000 <= committed < total, "the stop must come in the middle of the backlog"
    worker.start()
    try:
        worker.wait_caught_up(t.SNAPSHOTS)
        assert worker.scalar("SELECT count() FROM snapshots FINAL") == total
    finally:
        worker.stop()
